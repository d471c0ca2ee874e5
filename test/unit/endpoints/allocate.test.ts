// The pure decision: which address a container gets on a network.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TsswarmError } from '../../../shared/errors.js';
import { EndpointAllocator, addressesInUse, checkAttachable } from '../../../manager/endpoints/allocate.js';
import { checkAttachRequest } from '../../../manager/endpoints/request.js';
import type { Endpoint, Network, NetworkSpec } from '../../../manager/store/index.js';

function net(spec: Partial<NetworkSpec>, configs = [{ subnet: '10.9.0.0/24', gateway: '10.9.0.1' }]): Network {
  return Object.freeze({
    id: 'n'.repeat(25), version: 3, createdAt: '', updatedAt: '', name: spec.name ?? 'front',
    spec: { name: 'front', driverConfiguration: { name: 'overlay' }, ipv6Enabled: false, internal: false, attachable: true, ingress: false, ...spec },
    driverState: { name: 'overlay', vni: 4096 },
    ipam: { driver: { name: 'default' }, configs },
  });
}

function ep(network: Network, name: string, address: string, id = name.padEnd(25, 'x')): Endpoint {
  return Object.freeze({
    id, version: 1, createdAt: '', updatedAt: '',
    spec: { networkId: network.id, nodeId: 'node1', containerName: name, containerId: `id${name}`, aliases: [] },
    address, mac: '',
  });
}

const req = (name: string, ip?: string) => checkAttachRequest({ containerName: name, containerId: `id${name}`, nodeId: 'node1', ...(ip ? { ipv4Address: ip } : {}) });

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TsswarmError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'no error';
}

describe('EndpointAllocator', () => {
  it('hands out the lowest free host address, skipping the gateway, with Docker\'s MAC', () => {
    const n = net({});
    const a = new EndpointAllocator(n, []);
    const first = a.allocate(req('a'));
    assert.deepEqual(first, {
      spec: { networkId: n.id, nodeId: 'node1', containerName: 'a', containerId: 'ida', aliases: [] },
      address: '10.9.0.2/24',
      mac: '02:42:0a:09:00:02',
    });
    assert.equal(a.allocate(req('b')).address, '10.9.0.3/24');
  });

  it('reuses a released address: what is in use is derived from the endpoints given', () => {
    const n = net({});
    const held = [ep(n, 'a', '10.9.0.2/24'), ep(n, 'c', '10.9.0.4/24')];
    assert.equal(new EndpointAllocator(n, held).allocate(req('b')).address, '10.9.0.3/24');
  });

  it('stays inside the ip-range for dynamic addresses, but takes a requested one outside it', () => {
    const n = net({}, [{ subnet: '10.9.0.0/24', gateway: '10.9.0.1', ipRange: '10.9.0.128/25' } as never]);
    const a = new EndpointAllocator(n, []);
    assert.equal(a.allocate(req('a')).address, '10.9.0.128/24');
    assert.equal(a.allocate(req('b', '10.9.0.7')).address, '10.9.0.7/24');
  });

  it('moves on to the next subnet when the first is full', () => {
    const n = net({}, [{ subnet: '10.9.0.0/30', gateway: '10.9.0.1' }, { subnet: '10.9.1.0/24', gateway: '10.9.1.1' }]);
    const a = new EndpointAllocator(n, []);
    assert.equal(a.allocate(req('a')).address, '10.9.0.2/30');
    assert.equal(a.allocate(req('b')).address, '10.9.1.2/24');
  });

  it('says Unavailable when the network is full', () => {
    const n = net({}, [{ subnet: '10.9.0.0/30', gateway: '10.9.0.1' }]);
    const a = new EndpointAllocator(n, []);
    a.allocate(req('a'));
    assert.match(code(() => a.allocate(req('b'))), /^Unavailable: no free address in subnet 10\.9\.0\.0\/30 of network front/);
  });

  it('checks a requested address: taken, gateway, outside, network and broadcast', () => {
    const n = net({});
    const a = new EndpointAllocator(n, [ep(n, 'x', '10.9.0.5/24')]);
    assert.match(code(() => a.allocate(req('a', '10.9.0.5'))), /^Conflict: IP address 10\.9\.0\.5 is already in use on network front/);
    assert.match(code(() => a.allocate(req('a', '10.9.0.1'))), /^Conflict: IP address 10\.9\.0\.1 is the gateway/);
    assert.match(code(() => a.allocate(req('a', '10.8.0.5'))), /^Invalid: IP address 10\.8\.0\.5 is not in the subnet 10\.9\.0\.0\/24 of network front/);
    assert.match(code(() => a.allocate(req('a', '10.9.0.255'))), /^Invalid: .*broadcast/);
    assert.match(code(() => a.allocate(req('a', '10.9.0.0'))), /^Invalid: .*network address/);
    const ok = a.allocate(req('a', '10.9.0.9'));
    assert.equal(ok.address, '10.9.0.9/24');
    assert.equal(ok.spec.requestedAddress, '10.9.0.9');
    // Reserved for the rest of the batch.
    assert.match(code(() => a.allocate(req('b', '10.9.0.9'))), /^Conflict/);
  });

  it('refuses a second container of the same name, or the same container twice, on a network', () => {
    const n = net({});
    const a = new EndpointAllocator(n, [ep(n, 'web', '10.9.0.2/24')]);
    assert.match(code(() => a.allocate(req('web'))), /^Refused: endpoint with name web already exists in network front/);
    a.allocate(req('api'));
    assert.match(code(() => a.allocate(req('api'))), /^Refused: endpoint with name api already exists/);
    const again = checkAttachRequest({ containerName: 'other', containerId: 'idapi', nodeId: 'node1' });
    assert.match(code(() => a.allocate(again)), /^Refused: container idapi is already attached to network front/);
  });

  it('refuses networks that are not attachable, and the ingress network', () => {
    assert.match(code(() => checkAttachable(net({ attachable: false }))), /^Refused: network front not manually attachable/);
    assert.match(code(() => checkAttachable(net({ ingress: true, attachable: false, name: 'ingress' }))), /^Refused: network ingress is the ingress network/);
    assert.match(code(() => checkAttachable(net({}, []))), /^Unavailable/);
    assert.equal(code(() => checkAttachable(net({ internal: true }))), 'no error');
  });

  it('counts addresses held by live tasks, virtual IPs and nodes, not by finished tasks', () => {
    const n = net({});
    const task = (state: 'running' | 'complete', addr: string) => ({
      networksAttachments: [{ networkId: n.id, addresses: [addr] }], status: { state, timestamp: '' },
    });
    const used = addressesInUse(n.id, [ep(n, 'a', '10.9.0.2/24')], {
      tasks: [task('running', '10.9.0.3/24'), task('complete', '10.9.0.4/24')] as never,
      services: [{ endpoint: { spec: { mode: 'vip' }, virtualIPs: [{ networkId: n.id, addr: '10.9.0.5/24' }, { networkId: 'other', addr: '10.9.0.6/24' }] } }] as never,
      nodes: [{ attachments: [{ networkId: n.id, addresses: ['10.9.0.7/24'] }] }] as never,
    });
    assert.deepEqual(used, ['10.9.0.2/24', '10.9.0.3/24', '10.9.0.5/24', '10.9.0.7/24']);
  });
});

describe('checkAttachRequest', () => {
  it('normalises and refuses bad input', () => {
    assert.deepEqual(checkAttachRequest({ containerName: '/web', containerId: 'abc', nodeId: 'n1', aliases: ['w'], ipv4Address: '10.9.0.7' }),
      { containerName: 'web', containerId: 'abc', nodeId: 'n1', aliases: ['w'], ipv4Address: '10.9.0.7' });
    const bad = (r: Parameters<typeof checkAttachRequest>[0]) => code(() => checkAttachRequest(r));
    assert.match(bad({ containerName: 'a b', containerId: 'abc', nodeId: 'n1' }), /^Invalid: invalid container name/);
    assert.match(bad({ containerName: 'web', containerId: 'ABC', nodeId: 'n1' }), /^Invalid: invalid container id/);
    assert.match(bad({ containerName: 'web', containerId: 'abc', nodeId: '' }), /^Invalid: invalid node id/);
    assert.match(bad({ containerName: 'web', containerId: 'abc', nodeId: 'n1', aliases: ['a b'] }), /^Invalid: invalid alias/);
    assert.match(bad({ containerName: 'web', containerId: 'abc', nodeId: 'n1', ipv4Address: '10.9.0.300' }), /^Invalid: invalid IP address/);
    assert.match(bad({ containerName: 'web', containerId: 'abc', nodeId: 'n1', ipv4Address: 'fd00::1' }), /^Invalid: IPv6/);
  });
});
