// The pure parts: request checks, the allocation decision, name resolution, filters, the view.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseAddressPools } from '../../../manager/allocator/subnets.js';
import { NetworkAllocator, allocateNetwork, poolsOf } from '../../../manager/networks/allocate.js';
import { listFilter, parseUntil, pruneFilter } from '../../../manager/networks/filters.js';
import { checkCreateRequest, type CreateNetworkRequest } from '../../../manager/networks/request.js';
import { resolveNetwork } from '../../../manager/networks/resolve.js';
import { networkView, rfc3339Nano } from '../../../manager/networks/view.js';
import type { Network, NetworkContent } from '../../../manager/store/index.js';
import { failsWith } from '../errors.js';

let seq = 0;
/** A stored network as the store would hand it out. */
function stored(content: NetworkContent, id = `n${String(++seq).padStart(24, '0')}`, createdAt = '2024-01-02T03:04:05.678Z'): Network {
  return Object.freeze({ id, version: seq, createdAt, updatedAt: createdAt, name: content.spec.name, ...content });
}

const pools = parseAddressPools(['10.0.0.0/8'], 24);

function make(req: CreateNetworkRequest, existing: Network[] = [], p = pools): Network {
  return stored(allocateNetwork(checkCreateRequest(req), { networks: existing, pools: p }));
}

describe('checkCreateRequest', () => {
  it('defaults to an overlay network and keeps what was asked', () => {
    assert.deepEqual(checkCreateRequest({ name: 'web' }), {
      name: 'web', driverConfiguration: { name: 'overlay' }, ipv6Enabled: false, internal: false, attachable: false, ingress: false,
    });
    assert.deepEqual(checkCreateRequest({
      name: 'web', driver: 'overlay', internal: true, attachable: true, labels: { team: 'net' },
      options: { encrypted: '', 'com.docker.network.driver.mtu': '1400' },
      ipam: { driver: 'default', options: { o: '1' }, configs: [{ subnet: '10.1.0.0/24', gateway: '10.1.0.254', ipRange: '10.1.0.128/25' }, {}] },
    }), {
      name: 'web',
      labels: { team: 'net' },
      driverConfiguration: { name: 'overlay', options: { encrypted: '', 'com.docker.network.driver.mtu': '1400' } },
      ipv6Enabled: false, internal: true, attachable: true, ingress: false,
      ipamOptions: { driver: { name: 'default', options: { o: '1' } }, configs: [{ subnet: '10.1.0.0/24', ipRange: '10.1.0.128/25', gateway: '10.1.0.254' }] },
    });
  });

  it('refuses what this cluster does not do, saying what to do instead', () => {
    const cases: [CreateNetworkRequest, string | RegExp][] = [
      [{ name: 'n', driver: 'bridge' }, 'network driver "bridge" is not supported: this cluster only creates "overlay" networks (use -d overlay)'],
      [{ name: 'n', ipv6: true }, /IPv6 is not supported/],
      [{ name: 'n', ipv4: false }, /needs IPv4/],
      [{ name: 'n', scope: 'local' }, /scope "local" is not supported/],
      [{ name: 'n', configOnly: true }, /config-only/],
      [{ name: 'n', ipam: { driver: 'dhcp' } }, 'IPAM driver "dhcp" is not supported: only "default"'],
      [{ name: 'n', ipam: { configs: [{ subnet: 'fd00::/64' }] } }, 'IPv6 is not supported on overlay networks here: subnet fd00::/64'],
      [{ name: 'n', ingress: true, attachable: true }, 'an ingress network cannot be attachable'],
      [{ name: 'n', options: { 'com.docker.network.driver.mtu': 'abc' } }, 'invalid com.docker.network.driver.mtu "abc": must be an integer from 68 to 65535'],
      [{ name: 'n', options: { 'com.docker.network.driver.mtu': '67' } }, /must be an integer from 68 to 65535/],
      [{ name: 'n', options: { 'com.docker.network.driver.mtu': '65536' } }, /must be an integer from 68 to 65535/],
      [{ name: 'n', options: { 'com.docker.network.driver.mtu': '1400.5' } }, /must be an integer/],
      [{ name: 'n', options: { 'com.docker.network.driver.overlay.vxlanid_list': '4096,4097' } }, /give one VXLAN ID/],
      [{ name: 'n', ipam: { configs: [{ subnet: '10.0.0.0/33' }] } }, 'invalid CIDR 10.0.0.0/33: prefix 33 is larger than 32'],
      [{ name: 'n', ipam: { configs: [{ subnet: '10.1.0.5/24' }] } }, '10.1.0.5/24 is not a network address; did you mean 10.1.0.0/24?'],
      [{ name: 'n', ipam: { configs: [{ subnet: '10.1.0.0/24', gateway: '10.1.0.300' }] } }, /^invalid gateway 10\.1\.0\.300: /],
      [{ name: 'n', ipam: { configs: [{ subnet: '10.1.0.0/24', ipRange: 'nope' }] } }, /^invalid CIDR nope: /],
      [{ name: 'n', ipam: { configs: [{ subnet: '10.1.0.0/24', auxiliaryAddresses: { a: '10.1.0.9' } }] } }, /auxiliary addresses are not supported/],
      [{ name: '' }, 'a network needs a name'],
      [{ name: 'a.b' }, /invalid network name "a\.b"/],
      [{ name: 'x'.repeat(64) }, /too long: at most 63/],
    ];
    for (const [req, message] of cases) assert.throws(() => checkCreateRequest(req), failsWith('Invalid', message), JSON.stringify(req));
    assert.throws(() => checkCreateRequest({ name: 'host' }), failsWith('Refused', 'host is a pre-defined network and cannot be created'));
    assert.equal(checkCreateRequest({ name: 'n', options: { 'com.docker.network.driver.mtu': '68' } }).name, 'n');
  });
});

describe('allocateNetwork', () => {
  it('takes the lowest free /24 and VNI, the first host as gateway, and records the VNI in the options', () => {
    const a = make({ name: 'a', options: { encrypted: '' } });
    assert.deepEqual(a.ipam, { driver: { name: 'default' }, configs: [{ subnet: '10.0.0.0/24', gateway: '10.0.0.1' }] });
    assert.deepEqual(a.driverState, {
      name: 'overlay', vni: 4096, options: { encrypted: '', 'com.docker.network.driver.overlay.vxlanid_list': '4096' },
    });
    const b = make({ name: 'b', ipam: { configs: [{ subnet: '10.0.1.0/24' }] } }, [a]);
    const c = make({ name: 'c' }, [a, b]);
    assert.equal(c.ipam?.configs[0].subnet, '10.0.2.0/24', 'skips the user-chosen 10.0.1.0/24');
    assert.deepEqual([a, b, c].map((n) => n.driverState?.vni), [4096, 4097, 4098]);
    // Freed by removal: derived from what exists.
    const d = make({ name: 'd' }, [b, c]);
    assert.equal(d.ipam?.configs[0].subnet, '10.0.0.0/24');
    assert.equal(d.driverState?.vni, 4096);
  });

  it('gives every requested subnet, refusing overlaps within the request and with other networks, by name', () => {
    const two = make({ name: 'two', ipam: { configs: [{ subnet: '10.1.0.0/24', ipRange: '10.1.0.128/25', gateway: '10.1.0.254' }, { subnet: '10.2.0.0/24' }] } });
    assert.deepEqual(two.ipam?.configs, [
      { subnet: '10.1.0.0/24', gateway: '10.1.0.254', ipRange: '10.1.0.128/25' },
      { subnet: '10.2.0.0/24', gateway: '10.2.0.1' },
    ]);
    assert.throws(() => make({ name: 'x', ipam: { configs: [{ subnet: '10.1.0.0/16' }] } }, [two]),
      failsWith('Conflict', 'subnet 10.1.0.0/16 overlaps with 10.1.0.0/24 of network two'));
    assert.throws(() => make({ name: 'x', ipam: { configs: [{ subnet: '10.5.0.0/16' }, { subnet: '10.5.3.0/24' }] } }),
      failsWith('Conflict', 'subnet 10.5.3.0/24 overlaps with 10.5.0.0/16 of network x'));
    assert.throws(() => make({ name: 'x', ipam: { configs: [{ subnet: '10.3.0.0/24', gateway: '10.4.0.1' }] } }),
      failsWith('Invalid', 'gateway 10.4.0.1 is not in subnet 10.3.0.0/24'));
    assert.throws(() => make({ name: 'x', ipam: { configs: [{ subnet: '10.3.0.0/24', ipRange: '10.4.0.0/25' }] } }),
      failsWith('Invalid', 'ip-range 10.4.0.0/25 is not inside subnet 10.3.0.0/24'));
    assert.throws(() => make({ name: 'x', ipam: { configs: [{ gateway: '10.3.0.1' }] } }),
      failsWith('Invalid', 'gateway 10.3.0.1 given without a subnet'));
  });

  it('refuses a taken name (ignoring case), a second ingress network, and a taken or out-of-range VNI', () => {
    const a = make({ name: 'web', ingress: true });
    assert.throws(() => make({ name: 'WEB' }, [a]), failsWith('NameExists', 'network with name WEB already exists'));
    assert.throws(() => make({ name: 'in2', ingress: true }, [a]), failsWith('Conflict', /^ingress network web \(.+\) is already present/));
    const v = make({ name: 'v', options: { 'com.docker.network.driver.overlay.vxlanid_list': '5000' } }, [a]);
    assert.equal(v.driverState?.vni, 5000);
    assert.throws(() => make({ name: 'w', options: { 'com.docker.network.driver.overlay.vxlanid_list': '5000' } }, [a, v]),
      failsWith('Conflict', 'VXLAN ID 5000 is already in use'));
    assert.throws(() => make({ name: 'w', options: { 'com.docker.network.driver.overlay.vxlanid_list': '4095' } }, [a, v]),
      failsWith('Invalid', /invalid VXLAN ID 4095/));
  });

  it('says so when the pools or the VNIs run out', () => {
    const tiny = poolsOf({ defaultAddrPool: ['10.9.0.0/30'], subnetSize: 30 });
    const only = make({ name: 'only' }, [], tiny);
    assert.deepEqual(only.ipam?.configs, [{ subnet: '10.9.0.0/30', gateway: '10.9.0.1' }]);
    assert.throws(() => make({ name: 'more' }, [only], tiny), failsWith('Unavailable', 'address pools exhausted: no free /30 in 10.9.0.0/30'));
    const spec = checkCreateRequest({ name: 'z' });
    assert.throws(() => allocateNetwork(spec, { networks: [only], pools, vniRange: { min: 4096, max: 4096 } }),
      failsWith('Unavailable', 'VXLAN IDs exhausted: all of 4096-4096 are in use'));
  });

  it('reads the pools from the cluster object, with Docker\'s defaults when there is none', () => {
    assert.deepEqual(poolsOf(undefined), parseAddressPools(['10.0.0.0/8'], 24));
    assert.deepEqual(poolsOf({ defaultAddrPool: [], subnetSize: 0 }), parseAddressPools(['10.0.0.0/8'], 24));
    assert.deepEqual(poolsOf({ defaultAddrPool: ['172.20.0.0/16'], subnetSize: 26 }), parseAddressPools(['172.20.0.0/16'], 26));
  });
});

describe('resolveNetwork', () => {
  const content = (name: string): NetworkContent => allocateNetwork(checkCreateRequest({ name }), { networks: [], pools });
  const ids = [
    stored(content('alpha'), 'abc0000000000000000000001'),
    stored(content('beta'), 'abc0000000000000000000002'),
    stored(content('abc'), 'zzz0000000000000000000003'),
  ];

  it('tries the full id, then the exact name, then a unique id prefix', () => {
    assert.equal(resolveNetwork('abc0000000000000000000002', ids).spec.name, 'beta');
    assert.equal(resolveNetwork('abc', ids).spec.name, 'abc', 'a name beats an id prefix');
    assert.equal(resolveNetwork('zz', ids).spec.name, 'abc');
    assert.equal(resolveNetwork('alpha', ids).id, 'abc0000000000000000000001');
  });

  it('reports an ambiguous prefix and a missing network in Docker\'s words', () => {
    assert.throws(() => resolveNetwork('abc0', ids), failsWith('Invalid', 'network abc0 is ambiguous (2 matches found based on ID prefix)'));
    assert.throws(() => resolveNetwork('ALPHA', ids), failsWith('NotFound', 'network ALPHA not found'));
    assert.throws(() => resolveNetwork('', ids), failsWith('NotFound', 'network  not found'));
  });
});

describe('filters', () => {
  const web = stored(allocateNetwork(checkCreateRequest({ name: 'web-1', labels: { team: 'net', app: 'web' } }), { networks: [], pools }),
    'web0000000000000000000000a', '2024-05-01T10:00:00.000Z');
  const db = stored(allocateNetwork(checkCreateRequest({ name: 'db' }), { networks: [web], pools }),
    'db00000000000000000000000', '2024-05-03T10:00:00.000Z');
  const all = [web, db];
  const ls = (f: Record<string, string[]>, used: string[] = []): string[] =>
    all.filter((n) => listFilter(f)(n, () => used.includes(n.id))).map((n) => n.spec.name);

  it('matches docker\'s network ls filters', () => {
    assert.deepEqual(ls({}), ['web-1', 'db']);
    assert.deepEqual(ls({ name: ['web'] }), ['web-1'], 'name matches a part');
    assert.deepEqual(ls({ name: ['db', 'web-1'] }), ['web-1', 'db'], 'values of one filter are alternatives');
    assert.deepEqual(ls({ id: ['db0'] }), ['db']);
    assert.deepEqual(ls({ driver: ['overlay'] }), ['web-1', 'db']);
    assert.deepEqual(ls({ driver: ['bridge'] }), []);
    assert.deepEqual(ls({ label: ['team'] }), ['web-1']);
    assert.deepEqual(ls({ label: ['team=net', 'app=web'] }), ['web-1'], 'every label given must match');
    assert.deepEqual(ls({ label: ['team=net', 'app=db'] }), []);
    assert.deepEqual(ls({ scope: ['swarm'] }), ['web-1', 'db']);
    assert.deepEqual(ls({ scope: ['local'] }), []);
    assert.deepEqual(ls({ type: ['custom'] }), ['web-1', 'db']);
    assert.deepEqual(ls({ type: ['builtin'] }), []);
    assert.deepEqual(ls({ dangling: ['true'] }, [db.id]), ['web-1']);
    assert.deepEqual(ls({ dangling: ['0'] }, [db.id]), ['db']);
    assert.deepEqual(ls({ name: ['web'], driver: ['bridge'] }), [], 'different filters must all match');
  });

  it('refuses unknown filters and values', () => {
    assert.throws(() => listFilter({ colour: ['red'] }), failsWith('Invalid', "invalid filter 'colour'"));
    assert.throws(() => listFilter({ type: ['special'] }), failsWith('Invalid', "invalid filter: 'type'='special'"));
    assert.throws(() => listFilter({ dangling: ['maybe'] }), failsWith('Invalid', /invalid value for filter 'dangling'/));
    assert.throws(() => pruneFilter({ name: ['x'] }, 0), failsWith('Invalid', "invalid filter 'name'"));
    assert.throws(() => pruneFilter({ until: ['yesterday'] }, 0), failsWith('Invalid', /invalid filter 'until=yesterday'/));
  });

  it('selects for prune by label, label! and until', () => {
    const now = Date.parse('2024-05-04T10:00:00Z');
    const prune = (f: Record<string, string[]>): string[] => all.filter(pruneFilter(f, now)).map((n) => n.spec.name);
    assert.deepEqual(prune({}), ['web-1', 'db']);
    assert.deepEqual(prune({ label: ['app=web'] }), ['web-1']);
    assert.deepEqual(prune({ 'label!': ['team'] }), ['db']);
    assert.deepEqual(prune({ until: ['48h'] }), ['web-1'], 'created at least 48 hours before now');
    assert.deepEqual(prune({ until: ['1h30m'] }), ['web-1', 'db']);
    assert.deepEqual(prune({ until: ['2024-05-02T00:00:00Z'] }), ['web-1']);
    assert.deepEqual(prune({ until: [String(Date.parse('2024-05-03T10:00:00Z') / 1000)] }), ['web-1', 'db'], 'at the instant counts');
    assert.equal(parseUntil('1.5h', 10_000_000), 10_000_000 - 5_400_000);
    assert.equal(parseUntil('1700000000.25', 0), 1_700_000_000_250);
  });
});

describe('networkView', () => {
  it('shows a network as docker network inspect does', () => {
    const n = stored(allocateNetwork(checkCreateRequest({
      name: 'mynet', attachable: true, labels: { team: 'net' }, options: { encrypted: '' },
      ipam: { configs: [{ subnet: '10.1.0.0/24', ipRange: '10.1.0.128/25' }] },
    }), { networks: [], pools }), 'x'.repeat(25), '2024-01-02T03:04:05.500Z');
    assert.deepEqual(networkView(n), {
      Name: 'mynet',
      Id: 'x'.repeat(25),
      Created: '2024-01-02T03:04:05.5Z',
      Scope: 'swarm',
      Driver: 'overlay',
      EnableIPv4: true,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.1.0.1', IPRange: '10.1.0.128/25' }] },
      Internal: false,
      Attachable: true,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: {},
      Options: { encrypted: '', 'com.docker.network.driver.overlay.vxlanid_list': '4096' },
      Labels: { team: 'net' },
      Peers: [],
    });
    assert.deepEqual(networkView(make({ name: 'bare' })).Labels, {});
  });

  it('writes times as Go\'s RFC3339Nano does', () => {
    assert.equal(rfc3339Nano('2024-01-02T03:04:05.678Z'), '2024-01-02T03:04:05.678Z');
    assert.equal(rfc3339Nano('2024-01-02T03:04:05.670Z'), '2024-01-02T03:04:05.67Z');
    assert.equal(rfc3339Nano('2024-01-02T03:04:05.000Z'), '2024-01-02T03:04:05Z');
  });
});

describe('NetworkAllocator (one batch of creates)', () => {
  it('hands each member of a batch what the one-at-a-time path would, and reserves it', () => {
    const existing = [make({ name: 'first' })];
    const a = new NetworkAllocator({ networks: existing, pools });
    const x = a.allocate(checkCreateRequest({ name: 'x' }));
    const y = a.allocate(checkCreateRequest({ name: 'y' }));
    assert.equal(x.ipam?.configs[0]?.subnet, '10.0.1.0/24');
    assert.equal(y.ipam?.configs[0]?.subnet, '10.0.2.0/24');
    assert.equal(x.driverState?.vni, 4097);
    assert.equal(y.driverState?.vni, 4098);
    const oneByOne = allocateNetwork(checkCreateRequest({ name: 'y' }), { networks: [...existing, stored(x)], pools });
    assert.deepEqual(oneByOne.ipam, y.ipam);
  });

  it('refuses a name or subnet taken earlier in the batch, and a failed member reserves nothing', () => {
    const a = new NetworkAllocator({ networks: [], pools });
    a.allocate(checkCreateRequest({ name: 'Web', ipam: { configs: [{ subnet: '10.5.0.0/24' }] } }));
    assert.throws(() => a.allocate(checkCreateRequest({ name: 'web' })), failsWith('NameExists', /already exists/));
    assert.throws(() => a.allocate(checkCreateRequest({ name: 'other', ipam: { configs: [{ subnet: '10.5.0.128/25' }] } })), failsWith('Conflict', /overlaps with 10\.5\.0\.0\/24 of network Web/));
    // Two subnets of which the second clashes: the first must not stay reserved.
    assert.throws(() => a.allocate(checkCreateRequest({ name: 'pair', ipam: { configs: [{ subnet: '10.6.0.0/24' }, { subnet: '10.5.0.0/26' }] } })), failsWith('Conflict', /overlaps/));
    const after = a.allocate(checkCreateRequest({ name: 'later', ipam: { configs: [{ subnet: '10.6.0.0/24' }] } }));
    assert.equal(after.ipam?.configs[0]?.subnet, '10.6.0.0/24');
    assert.equal(after.driverState?.vni, 4097);
  });
});
