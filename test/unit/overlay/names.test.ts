// Overlay names and MACs: what the kernel will be asked to create.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { macForIp, normalizeMac, sandboxName, sandboxVni, vethName } from '../../../worker/overlay/names.js';
import { failsWith } from '../errors.js';

describe('overlay names', () => {
  it('names a sandbox <prefix>ov-<vni> and reads the VNI back only from its own prefix', () => {
    assert.equal(sandboxName('tsab12cd-', 4096), 'tsab12cd-ov-4096');
    assert.equal(sandboxVni('tsab12cd-', 'tsab12cd-ov-4096'), 4096);
    assert.equal(sandboxVni('tsab12cd-', 'tsab12cd-x-ov-4096'), undefined);
    assert.equal(sandboxVni('tsab12cd-', 'tsab12cd-ov-04096'), undefined);
    assert.equal(sandboxVni('tsab12cd-', 'tsab12cd-ov-4096x'), undefined);
    assert.equal(sandboxVni('tsab12cd-', 'tsab12cd-ov-16777216'), undefined);
    assert.equal(sandboxVni('tsab12cd-', 'tsab12cd-m1'), undefined);
  });

  it('refuses VNIs outside 24 bits and prefixes that are not file-name safe or too long', () => {
    assert.throws(() => sandboxName('ts-', 0), failsWith('Invalid', /VNI 0 /));
    assert.throws(() => sandboxName('ts-', 0x1000000), failsWith('Invalid', /24 bits/));
    assert.throws(() => sandboxName('ts/x-', 4096), failsWith('Invalid', /prefix "ts\/x-"/));
    assert.throws(() => sandboxName('t'.repeat(60), 4096), failsWith('Invalid', /longer than 64/));
  });

  it('derives Docker-style MACs and short veth names from the address', () => {
    assert.equal(macForIp('10.0.0.2'), '02:42:0a:00:00:02');
    assert.equal(macForIp('192.168.255.254'), '02:42:c0:a8:ff:fe');
    assert.equal(vethName('10.0.0.2'), 've0a000002');
    assert.equal(vethName('255.255.255.255'), 'veffffffff');
    assert.ok(vethName('255.255.255.255').length <= 15);
    assert.throws(() => vethName('10.0.0.256'), failsWith('Invalid', /10\.0\.0\.256/));
  });

  it('normalizes MACs to the kernel form and refuses anything else', () => {
    assert.equal(normalizeMac('02:42:0A:00:00:FF'), '02:42:0a:00:00:ff');
    assert.throws(() => normalizeMac('02:42:0a:00:00'), failsWith('Invalid', /not a MAC/));
    assert.throws(() => normalizeMac('02:42:0a:00:00:02\nneigh flush all'), failsWith('Invalid', /not a MAC/));
  });
});
