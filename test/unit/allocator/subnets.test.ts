import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  assignSubnet, DEFAULT_SUBNET_SIZE, parseAddressPools, SubnetSpace, usedSubnets, type UsedSubnet,
} from '../../../manager/allocator/subnets.js';
import { failsWith as fails } from '../errors.js';
import { formatCidr, overlaps, parseCidr, subnetsOf, type Cidr } from '../../../shared/net/cidr.js';

const used = (...subnets: string[]): UsedSubnet[] => subnets.map((subnet, i) => ({ subnet, network: `net${i}` }));

describe('address pools', () => {
  it('defaults to 10.0.0.0/8 carved into /24s', () => {
    const p = parseAddressPools();
    assert.deepEqual(p.pools.map(formatCidr), ['10.0.0.0/8']);
    assert.equal(p.subnetSize, DEFAULT_SUBNET_SIZE);
    assert.equal(p.subnetSize, 24);
  });

  it('validates pools and subnet size', () => {
    assert.throws(() => parseAddressPools([]), fails('Invalid', /at least one/));
    assert.throws(() => parseAddressPools(['10.0.0.1/8']), fails('Invalid', /did you mean 10\.0\.0\.0\/8/));
    assert.throws(() => parseAddressPools(['10.0.0.0/8'], 31), fails('Invalid', /invalid subnet size \/31/));
    assert.throws(() => parseAddressPools(['10.0.0.0/8'], 0), fails('Invalid', /invalid subnet size \/0/));
    assert.throws(() => parseAddressPools(['10.0.0.0/26'], 24),
      fails('Invalid', 'default address pool 10.0.0.0/26 is smaller than the subnet size /24'));
  });
});

describe('next free subnet', () => {
  it('starts at the bottom of the pool and takes the lowest gap', () => {
    assert.equal(formatCidr(new SubnetSpace([]).nextFree()), '10.0.0.0/24');
    assert.equal(formatCidr(new SubnetSpace(used('10.0.0.0/24')).nextFree()), '10.0.1.0/24');
    assert.equal(formatCidr(new SubnetSpace(used('10.0.0.0/24', '10.0.2.0/24')).nextFree()), '10.0.1.0/24');
    assert.equal(formatCidr(new SubnetSpace(used('10.0.1.0/24')).nextFree()), '10.0.0.0/24');
  });

  it('skips a larger block in use that covers many candidates', () => {
    assert.equal(formatCidr(new SubnetSpace(used('10.0.0.0/16')).nextFree()), '10.1.0.0/24');
    assert.equal(formatCidr(new SubnetSpace(used('10.0.0.0/24', '10.0.1.0/24', '10.0.0.0/16', '10.1.0.0/23')).nextFree()), '10.1.2.0/24');
  });

  it('skips candidates that a smaller used block only partly covers', () => {
    assert.equal(formatCidr(new SubnetSpace(used('10.0.0.128/25')).nextFree()), '10.0.1.0/24');
    assert.equal(formatCidr(new SubnetSpace(used('10.0.0.77/32', '10.0.1.4/30')).nextFree()), '10.0.2.0/24');
  });

  it('ignores used subnets outside the pools and IPv6 ones', () => {
    assert.equal(formatCidr(new SubnetSpace(used('192.168.0.0/16', '0.0.0.0/5', 'fd00::/64')).nextFree()), '10.0.0.0/24');
  });

  it('goes on to the next pool, in the order given', () => {
    const pools = parseAddressPools(['192.168.0.0/23', '172.16.0.0/12'], 24);
    assert.equal(formatCidr(new SubnetSpace(used('192.168.0.0/24', '192.168.1.0/24'), pools).nextFree()), '172.16.0.0/24');
    assert.equal(formatCidr(new SubnetSpace(used('192.168.0.0/24'), pools).nextFree()), '192.168.1.0/24');
  });

  it('says so when the pools are exhausted', () => {
    const pools = parseAddressPools(['10.0.0.0/23'], 24);
    const space = new SubnetSpace([], pools);
    assert.equal(space.assign(undefined, 'a').subnet, '10.0.0.0/24');
    assert.equal(space.assign(undefined, 'b').subnet, '10.0.1.0/24');
    assert.throws(() => space.assign(undefined, 'c'), fails('Unavailable', 'address pools exhausted: no free /24 in 10.0.0.0/23'));
    assert.throws(() => new SubnetSpace(used('10.0.0.0/8')).nextFree(),
      fails('Unavailable', 'address pools exhausted: no free /24 in 10.0.0.0/8'));
    const two = parseAddressPools(['10.0.0.0/24', '10.9.0.0/24'], 24);
    assert.throws(() => new SubnetSpace(used('10.0.0.0/24', '10.9.0.0/24'), two).nextFree(),
      fails('Unavailable', 'address pools exhausted: no free /24 in 10.0.0.0/24, 10.9.0.0/24'));
  });

  it('gives the whole pool when subnet size equals the pool', () => {
    const pools = parseAddressPools(['10.5.0.0/16'], 16);
    assert.equal(assignSubnet(undefined, 'x', [], pools).subnet, '10.5.0.0/16');
    assert.throws(() => assignSubnet(undefined, 'y', used('10.5.255.0/24'), pools), fails('Unavailable', /no free \/16/));
  });

  it('fills freed holes first (release = the network leaves the store)', () => {
    const inUse = used('10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24');
    inUse.splice(1, 1);
    assert.equal(assignSubnet(undefined, 'n', inUse).subnet, '10.0.1.0/24');
  });

  it('is deterministic: the answer depends on the set in use, not its order', () => {
    const list = ['10.0.0.0/24', '10.0.3.0/24', '10.0.1.0/25', '10.0.2.0/23', '10.0.6.0/24', '10.0.4.128/25'];
    const want = assignSubnet(undefined, 'n', used(...list));
    assert.deepEqual(want, { subnet: '10.0.5.0/24', gateway: '10.0.5.1' });
    for (let r = 0; r < list.length; r++) {
      const rotated = [...list.slice(r), ...list.slice(0, r)];
      assert.deepEqual(assignSubnet(undefined, 'n', used(...rotated)), want);
      assert.deepEqual(assignSubnet(undefined, 'n', used(...rotated.reverse())), want);
    }
  });
});

describe('next free subnet agrees with brute force', () => {
  it('on generated used sets', () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const poolText = '10.0.0.0/20';
    for (let round = 0; round < 500; round++) {
      const size = 22 + next(7);
      const pools = parseAddressPools([poolText], size);
      const inUse: UsedSubnet[] = [];
      const count = next(40);
      for (let k = 0; k < count; k++) {
        const prefix = 19 + next(14);
        const step = 2 ** (32 - prefix);
        const network = 0x0a000000 + Math.floor(next(2 ** 13) * 256 / step) * step;
        if (network + step - 1 > 0x0a001fff) continue;
        inUse.push({ subnet: formatCidr({ network, prefix }), network: `n${k}` });
      }
      const usedCidrs = inUse.map((u) => parseCidr(u.subnet));
      let want: Cidr | undefined;
      for (const cand of subnetsOf(parseCidr(poolText), size)) {
        if (!usedCidrs.some((u) => overlaps(u, cand))) {
          want = cand;
          break;
        }
      }
      const label = `/${size} with ${inUse.map((u) => u.subnet).join(' ')}`;
      if (want === undefined) {
        assert.throws(() => new SubnetSpace(inUse, pools).nextFree(), fails('Unavailable', /exhausted/), label);
      } else {
        assert.equal(formatCidr(new SubnetSpace(inUse, pools).nextFree()), formatCidr(want), label);
      }
    }
  });
});

describe('user-given subnet', () => {
  it('takes a free subnet with the first usable address as gateway', () => {
    assert.deepEqual(assignSubnet({ subnet: '192.168.7.0/24' }, 'n', used('10.0.0.0/24')),
      { subnet: '192.168.7.0/24', gateway: '192.168.7.1' });
    assert.deepEqual(assignSubnet({ subnet: '10.0.1.0/24' }, 'n', used('10.0.0.0/24', '10.0.2.0/24')),
      { subnet: '10.0.1.0/24', gateway: '10.0.1.1' });
  });

  it('refuses overlap either way and names the network in the way', () => {
    const inUse: UsedSubnet[] = [{ subnet: '10.0.1.0/24', network: 'backend' }, { subnet: '10.0.9.0/24', network: 'front' }];
    assert.throws(() => assignSubnet({ subnet: '10.0.1.0/24' }, 'n', inUse),
      fails('Conflict', 'subnet 10.0.1.0/24 overlaps with 10.0.1.0/24 of network backend'));
    assert.throws(() => assignSubnet({ subnet: '10.0.1.128/25' }, 'n', inUse),
      fails('Conflict', 'subnet 10.0.1.128/25 overlaps with 10.0.1.0/24 of network backend'));
    assert.throws(() => assignSubnet({ subnet: '10.0.0.0/16' }, 'n', inUse),
      fails('Conflict', 'subnet 10.0.0.0/16 overlaps with 10.0.1.0/24 of network backend, 10.0.9.0/24 of network front'));
    // Adjacent is fine.
    assert.equal(assignSubnet({ subnet: '10.0.0.0/24' }, 'n', inUse).subnet, '10.0.0.0/24');
    assert.equal(assignSubnet({ subnet: '10.0.2.0/23' }, 'n', inUse).subnet, '10.0.2.0/23');
  });

  it('validates the subnet text', () => {
    assert.throws(() => assignSubnet({ subnet: '10.0.0.300/24' }, 'n', []), fails('Invalid', /^invalid CIDR 10\.0\.0\.300\/24/));
    assert.throws(() => assignSubnet({ subnet: '10.0.0.1/24' }, 'n', []),
      fails('Invalid', '10.0.0.1/24 is not a network address; did you mean 10.0.0.0/24?'));
    assert.throws(() => assignSubnet({ subnet: '10.0.0.0/31' }, 'n', []), fails('Invalid', /too small/));
  });

  it('checks --gateway: inside the subnet, not network or broadcast', () => {
    const s = '10.1.0.0/24';
    assert.deepEqual(assignSubnet({ subnet: s, gateway: '10.1.0.254' }, 'n', []), { subnet: s, gateway: '10.1.0.254' });
    assert.throws(() => assignSubnet({ subnet: s, gateway: '10.1.1.1' }, 'n', []),
      fails('Invalid', 'gateway 10.1.1.1 is not in subnet 10.1.0.0/24'));
    assert.throws(() => assignSubnet({ subnet: s, gateway: '10.1.0.0' }, 'n', []),
      fails('Invalid', 'gateway 10.1.0.0 is the network address of subnet 10.1.0.0/24'));
    assert.throws(() => assignSubnet({ subnet: s, gateway: '10.1.0.255' }, 'n', []),
      fails('Invalid', 'gateway 10.1.0.255 is the broadcast address of subnet 10.1.0.0/24'));
    assert.throws(() => assignSubnet({ subnet: s, gateway: '10.1.0.x' }, 'n', []), fails('Invalid', /^invalid gateway 10\.1\.0\.x/));
    assert.throws(() => assignSubnet({ gateway: '10.0.0.1' }, 'n', []), fails('Invalid', 'gateway 10.0.0.1 given without a subnet'));
  });

  it('checks --ip-range: a block inside the subnet', () => {
    const s = '10.1.0.0/24';
    assert.deepEqual(assignSubnet({ subnet: s, ipRange: '10.1.0.128/25' }, 'n', []),
      { subnet: s, gateway: '10.1.0.1', ipRange: '10.1.0.128/25' });
    assert.deepEqual(assignSubnet({ subnet: s, ipRange: s }, 'n', []), { subnet: s, gateway: '10.1.0.1', ipRange: s });
    assert.throws(() => assignSubnet({ subnet: s, ipRange: '10.1.0.0/23' }, 'n', []),
      fails('Invalid', 'ip-range 10.1.0.0/23 is not inside subnet 10.1.0.0/24'));
    assert.throws(() => assignSubnet({ subnet: s, ipRange: '10.2.0.0/25' }, 'n', []), fails('Invalid', /not inside/));
    assert.throws(() => assignSubnet({ subnet: s, ipRange: '10.1.0.1/25' }, 'n', []), fails('Invalid', /did you mean 10\.1\.0\.0\/25/));
    assert.throws(() => assignSubnet({ ipRange: '10.0.0.0/25' }, 'n', []), fails('Invalid', /given without a subnet/));
  });

  it('a batch in one space does not collide with itself; a failed request reserves nothing', () => {
    const space = new SubnetSpace(used('10.0.1.0/24'));
    assert.throws(() => space.assign({ subnet: '10.0.0.0/24', gateway: '10.0.0.0' }, 'bad'), fails('Invalid', /network address/));
    assert.equal(space.assign(undefined, 'a').subnet, '10.0.0.0/24');
    assert.equal(space.assign({ subnet: '10.0.3.0/24' }, 'b').subnet, '10.0.3.0/24');
    assert.equal(space.assign(undefined, 'c').subnet, '10.0.2.0/24');
    assert.equal(space.assign(undefined, 'd').subnet, '10.0.4.0/24');
    assert.throws(() => space.assign({ subnet: '10.0.3.0/25' }, 'e'), fails('Conflict', /of network b$/));
  });

  it('reads subnets in use from network objects', () => {
    const nets = [
      { name: 'a', ipam: { configs: [{ subnet: '10.0.0.0/24' }, { subnet: 'fd00::/64' }] } },
      { name: 'b' },
      { name: 'c', ipam: { configs: [{}] } },
    ];
    assert.deepEqual(usedSubnets(nets), [{ subnet: '10.0.0.0/24', network: 'a' }]);
  });
});

// Not a benchmark: the bounds are loose enough for a loaded CI machine and only catch an
// algorithm that went quadratic (trying every /24 of a /8 one by one takes seconds).
const QUADRATIC_GUARD_MS = 2000;

describe('no quadratic blow-up', () => {
  it('1000 sequential allocations, all previous in use', () => {
    // One space, as a manager allocating a batch would.
    const t0 = performance.now();
    const space = new SubnetSpace([]);
    for (let i = 0; i < 1000; i++) space.assign(undefined, `n${i}`);
    const batchMs = performance.now() - t0;
    assert.equal(formatCidr(space.nextFree()), '10.3.232.0/24');

    // One fresh space per network from the full in-use list, as one store command per network would.
    const t1 = performance.now();
    const inUse: UsedSubnet[] = [];
    for (let i = 0; i < 1000; i++) {
      const got = assignSubnet(undefined, `n${i}`, inUse);
      inUse.push({ subnet: got.subnet, network: `n${i}` });
    }
    const oneShotMs = performance.now() - t1;
    assert.equal(inUse[999].subnet, '10.3.231.0/24');
    assert.ok(batchMs < QUADRATIC_GUARD_MS, `batch took ${batchMs.toFixed(1)} ms`);
    assert.ok(oneShotMs < QUADRATIC_GUARD_MS, `one-shot took ${oneShotMs.toFixed(1)} ms`);
  });

  it('a fragmented space (every other /24 used) is still fast to search', () => {
    const inUse = used(...Array.from({ length: 5000 }, (_, i) => `10.${Math.floor((2 * i) / 256)}.${(2 * i) % 256}.0/24`));
    const pools = parseAddressPools(['10.0.0.0/8'], 23);
    const t0 = performance.now();
    const got = assignSubnet(undefined, 'n', inUse, pools);
    const ms = performance.now() - t0;
    assert.equal(got.subnet, '10.39.16.0/23');
    assert.ok(ms < QUADRATIC_GUARD_MS, `took ${ms.toFixed(1)} ms`);
  });
});
