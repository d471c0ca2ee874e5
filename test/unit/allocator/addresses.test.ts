import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { allocateAddress, macFromIPv4, requestAddress } from '../../../manager/allocator/addresses.js';
import { failsWith as fails } from '../errors.js';
import { parseIPv4 } from '../../../shared/net/cidr.js';

const net24 = { subnet: '10.0.1.0/24', gateway: '10.0.1.1' };

describe('endpoint addresses', () => {
  it('takes the lowest free host, skipping network and gateway', () => {
    assert.deepEqual(allocateAddress(net24, []), { ip: '10.0.1.2', cidr: '10.0.1.2/24', mac: '02:42:0a:00:01:02' });
    assert.equal(allocateAddress(net24, ['10.0.1.2/24', '10.0.1.3/24']).ip, '10.0.1.4');
    // Bare addresses in use work too; a released one is reused first.
    assert.equal(allocateAddress(net24, ['10.0.1.2', '10.0.1.4']).ip, '10.0.1.3');
  });

  it('skips a gateway placed anywhere', () => {
    const net = { subnet: '10.0.1.0/24', gateway: '10.0.1.2' };
    assert.equal(allocateAddress(net, []).ip, '10.0.1.1');
    assert.equal(allocateAddress(net, ['10.0.1.1']).ip, '10.0.1.3');
  });

  it('never hands out the broadcast address; a /30 holds one endpoint', () => {
    const net30 = { subnet: '10.0.0.4/30', gateway: '10.0.0.5' };
    const first = allocateAddress(net30, []);
    assert.equal(first.ip, '10.0.0.6');
    assert.throws(() => allocateAddress(net30, [first.cidr], 'tiny'),
      fails('Unavailable', 'no free address in subnet 10.0.0.4/30 of network tiny'));
    const full = Array.from({ length: 253 }, (_, i) => `10.0.1.${i + 2}`);
    assert.equal(allocateAddress(net24, full.slice(0, 252)).ip, '10.0.1.254');
    assert.throws(() => allocateAddress(net24, full), fails('Unavailable', 'no free address in subnet 10.0.1.0/24'));
  });

  it('allocates inside --ip-range only', () => {
    const net = { subnet: '10.0.1.0/24', gateway: '10.0.1.1', ipRange: '10.0.1.128/30' };
    assert.equal(allocateAddress(net, []).ip, '10.0.1.128');
    assert.equal(allocateAddress(net, ['10.0.1.128', '10.0.1.129']).ip, '10.0.1.130');
    assert.throws(() => allocateAddress(net, ['10.0.1.128', '10.0.1.129', '10.0.1.130', '10.0.1.131']),
      fails('Unavailable', 'no free address in ip-range 10.0.1.128/30'));
    // A range at the bottom of the subnet still skips network and gateway; at the top, broadcast.
    const low = { subnet: '10.0.1.0/24', gateway: '10.0.1.1', ipRange: '10.0.1.0/30' };
    assert.equal(allocateAddress(low, []).ip, '10.0.1.2');
    assert.throws(() => allocateAddress(low, ['10.0.1.2', '10.0.1.3']), fails('Unavailable', /ip-range/));
    const high = { subnet: '10.0.1.0/24', gateway: '10.0.1.1', ipRange: '10.0.1.252/30' };
    assert.throws(() => allocateAddress(high, ['10.0.1.252', '10.0.1.253', '10.0.1.254']), fails('Unavailable', /ip-range/));
  });

  it('is deterministic', () => {
    const used = ['10.0.1.9', '10.0.1.2', '10.0.1.3', '10.0.1.5'];
    const want = allocateAddress(net24, used);
    assert.equal(want.ip, '10.0.1.4');
    assert.deepEqual(allocateAddress(net24, [...used].reverse()), want);
    assert.deepEqual(allocateAddress(net24, new Set(used)), want);
  });

  it('fills a /22 with 1000 endpoints quickly', () => {
    const net = { subnet: '10.0.4.0/22', gateway: '10.0.4.1' };
    const used: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) used.push(allocateAddress(net, used).cidr);
    const ms = performance.now() - t0;
    assert.equal(used[999], '10.0.7.233/22');
    assert.equal(new Set(used).size, 1000);
    assert.ok(ms < 2000, `took ${ms.toFixed(1)} ms (a loose guard against a quadratic scan, not a benchmark)`);
  });

  it('checks a requested static address', () => {
    assert.equal(requestAddress(net24, '10.0.1.77', ['10.0.1.2']).cidr, '10.0.1.77/24');
    assert.throws(() => requestAddress(net24, '10.0.1.2', ['10.0.1.2/24'], 'b'),
      fails('Conflict', 'IP address 10.0.1.2 is already in use on network b'));
    assert.throws(() => requestAddress(net24, '10.0.1.1', [], 'b'), fails('Conflict', 'IP address 10.0.1.1 is the gateway on network b'));
    assert.throws(() => requestAddress(net24, '10.0.1.255', []),
      fails('Invalid', 'IP address 10.0.1.255 is the broadcast address of subnet 10.0.1.0/24'));
    assert.throws(() => requestAddress(net24, '10.0.1.0', []), fails('Invalid', /network address/));
    assert.throws(() => requestAddress(net24, '10.0.2.5', []), fails('Invalid', 'IP address 10.0.2.5 is not in subnet 10.0.1.0/24'));
    assert.throws(() => requestAddress(net24, '10.0.1.256', []), fails('Invalid', /^invalid IP address 10\.0\.1\.256/));
    // Outside --ip-range but inside the subnet is allowed, as Docker does.
    assert.equal(requestAddress({ ...net24, ipRange: '10.0.1.128/25' }, '10.0.1.10', []).ip, '10.0.1.10');
  });
});

describe('MAC from IPv4', () => {
  it('is 02:42 followed by the address bytes, as Docker', () => {
    assert.equal(macFromIPv4(parseIPv4('10.0.0.2')), '02:42:0a:00:00:02');
    assert.equal(macFromIPv4(parseIPv4('172.18.255.254')), '02:42:ac:12:ff:fe');
    assert.equal(macFromIPv4(0), '02:42:00:00:00:00');
  });
});
