import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { allocateVni, checkRequestedVni, MAX_VNI, MIN_VNI } from '../../../manager/allocator/vni.js';
import { failsWith as fails } from '../errors.js';

describe('VNI allocation', () => {
  it('uses Docker overlay range 4096 .. 2^24-1', () => {
    assert.equal(MIN_VNI, 4096);
    assert.equal(MAX_VNI, 16777215);
  });

  it('takes the lowest free, whatever the order of the set in use', () => {
    assert.equal(allocateVni([]), 4096);
    assert.equal(allocateVni([4096, 4097]), 4098);
    assert.equal(allocateVni([4098, 4096, 4097, 4100]), 4099);
    assert.equal(allocateVni(new Set([4097, 4096])), 4098);
    // Out-of-range values in use (e.g. from an older version) do not matter.
    assert.equal(allocateVni([1, 4095, 20000000]), 4096);
  });

  it('reuses a released VNI first', () => {
    const used = [4096, 4097, 4098];
    used.splice(1, 1);
    assert.equal(allocateVni(used), 4097);
  });

  it('says so when exhausted', () => {
    const range = { min: 4096, max: 4098 };
    assert.equal(allocateVni([4096, 4097], range), 4098);
    assert.throws(() => allocateVni([4096, 4097, 4098], range),
      fails('Unavailable', 'VXLAN IDs exhausted: all of 4096-4098 are in use'));
  });

  it('sequential allocation of 1000 is fast', () => {
    const used = new Set<number>();
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) used.add(allocateVni(used));
    const ms = performance.now() - t0;
    assert.equal(allocateVni(used), 5096);
    assert.ok(ms < 2000, `took ${ms.toFixed(1)} ms (a loose guard against a quadratic scan, not a benchmark)`);
  });

  it('checks a requested VNI', () => {
    assert.equal(checkRequestedVni(5000, [4096]), 5000);
    assert.throws(() => checkRequestedVni(4096, [4096]), fails('Conflict', 'VXLAN ID 4096 is already in use'));
    assert.throws(() => checkRequestedVni(4095, []), fails('Invalid', 'invalid VXLAN ID 4095: must be from 4096 to 16777215'));
    assert.throws(() => checkRequestedVni(2 ** 24, []), fails('Invalid', /invalid VXLAN ID 16777216/));
    assert.throws(() => checkRequestedVni(4096.5, []), fails('Invalid', /invalid VXLAN ID/));
  });
});
