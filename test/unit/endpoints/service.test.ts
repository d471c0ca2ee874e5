// EndpointService over one store: attach, release, concurrency across managers, and the
// network's in-use rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TsswarmError } from '../../../shared/errors.js';
import { networkUsers, inUseMessage } from '../../../manager/networks/usage.js';
import { attachableNet, container, endpointWorld } from './helpers.js';

async function rejects(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TsswarmError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

describe('EndpointService', () => {
  it('allocates in order and reuses a released address', async () => {
    const w = await endpointWorld();
    const n = await attachableNet(w, 'front');
    const a = await w.eps.attach('front', container('a'));
    const b = await w.eps.attach(n.id, container('b'));
    const c = await w.eps.attach(n.id.slice(0, 10), container('c'));
    assert.deepEqual([a, b, c].map((x) => x.endpoint.address), ['10.9.0.2/24', '10.9.0.3/24', '10.9.0.4/24']);
    assert.equal(b.endpoint.mac, '02:42:0a:09:00:03');
    assert.equal(b.network.id, n.id);

    await w.eps.detach('front', b.endpoint.id);
    assert.equal((await w.eps.attach('front', container('d'))).endpoint.address, '10.9.0.3/24');
    assert.equal((await w.eps.attach('front', container('e'))).endpoint.address, '10.9.0.5/24');
    await rejects(w.eps.detach('front', b.endpoint.id), 'NotFound', /endpoint .* not found on network front/);
  });

  it('takes a requested address when free and in the subnet, refuses it otherwise, writing nothing', async () => {
    const w = await endpointWorld();
    await attachableNet(w, 'front');
    const a = await w.eps.attach('front', container('a', 'node1', { ipv4Address: '10.9.0.50' }));
    assert.equal(a.endpoint.address, '10.9.0.50/24');
    assert.equal(a.endpoint.spec.requestedAddress, '10.9.0.50');
    const before = w.sm.snapshot();
    await rejects(w.eps.attach('front', container('b', 'node1', { ipv4Address: '10.9.0.50' })), 'Conflict', /10\.9\.0\.50 is already in use on network front/);
    await rejects(w.eps.attach('front', container('b', 'node1', { ipv4Address: '10.9.0.1' })), 'Conflict', /is the gateway/);
    await rejects(w.eps.attach('front', container('b', 'node1', { ipv4Address: '192.168.0.5' })), 'Invalid', /not in the subnet 10\.9\.0\.0\/24/);
    assert.deepEqual(w.sm.snapshot(), before);
    // Dynamic allocation goes around it.
    assert.equal((await w.eps.attach('front', container('b'))).endpoint.address, '10.9.0.2/24');
  });

  it('refuses non-attachable networks, unknown ones, and a container name already on the network', async () => {
    const w = await endpointWorld();
    await w.net.create({ name: 'closed' });
    await attachableNet(w, 'front');
    await rejects(w.eps.attach('closed', container('a')), 'Refused', /^network closed not manually attachable/);
    await rejects(w.eps.attach('nope', container('a')), 'NotFound', /^network nope not found/);
    await w.eps.attach('front', container('web', 'node1'));
    await rejects(w.eps.attach('front', container('web', 'node2')), 'Refused', /^endpoint with name web already exists in network front/);
    // The same name on another network is fine.
    await w.net.create({ name: 'back', attachable: true });
    await w.eps.attach('back', container('web', 'node2'));
  });

  for (const jitterSeed of [undefined, 7]) {
    it(`100 concurrent attaches through 3 managers get 100 distinct addresses (${jitterSeed === undefined ? 'FakeRaft' : 'jittery Raft'})`, async () => {
      const retries: string[] = [];
      const w = await endpointWorld({ managers: 3, jitterSeed, endpoints: { onRetry: (_a, r) => retries.push(r) } });
      await attachableNet(w, 'front');
      const entriesBefore = w.raft.index;
      const got = await Promise.all(Array.from({ length: 100 }, (_, i) =>
        w.endpointServices[i % 3].attach('front', container(`c${i}`, `node${i % 7}`))));
      const addresses = got.map((g) => g.endpoint.address);
      assert.equal(new Set(addresses).size, 100);
      assert.equal(new Set(got.map((g) => g.endpoint.mac)).size, 100);
      // Lowest first and nothing released: exactly the first 100 hosts after the gateway.
      const expected = Array.from({ length: 100 }, (_, i) => `10.9.0.${i + 2}/24`);
      assert.deepEqual([...addresses].sort(), [...expected].sort());
      const stored = (await w.store.list('endpoints')).objects;
      assert.equal(stored.length, 100);
      assert.deepEqual(stored.map((e) => e.address).sort(), [...expected].sort());
      // The managers did contend (the lock is what kept them apart), and each batched.
      assert.ok(retries.length > 0, 'no attach lost a race: the test proves nothing');
      assert.ok(w.raft.index - entriesBefore < 50, `${w.raft.index - entriesBefore} Raft entries for 100 attaches`);
      assert.ok(retries.every((r) => /networks .*: expected version/.test(r)), retries.join('\n'));
    });
  }

  it('lists by network and across networks with filters, and removes all of a container', async () => {
    const w = await endpointWorld();
    await attachableNet(w, 'front');
    await w.net.create({ name: 'back', attachable: true });
    const web = container('web', 'node1');
    await w.eps.attach('front', web);
    await w.eps.attach('back', { ...web });
    await w.eps.attach('front', container('db', 'node2'));
    assert.deepEqual((await w.eps.listOn('front')).map((a) => a.endpoint.spec.containerName), ['web', 'db']);
    assert.deepEqual((await w.eps.list()).map((a) => `${a.network.spec.name}:${a.endpoint.spec.containerName}`), ['back:web', 'front:web', 'front:db']);
    assert.deepEqual((await w.eps.list({ node: ['node2'] })).map((a) => a.endpoint.spec.containerName), ['db']);
    assert.deepEqual((await w.eps.list({ network: ['back'], container: ['web'] })).length, 1);
    assert.deepEqual((await w.eps.list({ container: [web.containerId] })).length, 2);
    await rejects(w.eps.list({ bogus: ['x'] }), 'Invalid', /invalid filter 'bogus'/);

    assert.equal((await w.eps.detachContainer(web.containerId, 'node2')).length, 0);
    assert.equal((await w.eps.detachContainer(web.containerId, 'node1')).length, 2);
    assert.deepEqual((await w.eps.list()).map((a) => a.endpoint.spec.containerName), ['db']);
  });

  it('a network with endpoints is in use: the containers are named', async () => {
    const w = await endpointWorld();
    const n = await attachableNet(w, 'front');
    const other = await w.net.create({ name: 'back', attachable: true });
    await w.eps.attach('front', container('web'));
    await w.eps.attach('front', container('api'));
    const { objects: endpoints } = await w.store.list('endpoints');
    const users = networkUsers([n, other], [], [], endpoints);
    assert.ok(!users.has(other.id));
    const user = users.get(n.id);
    assert.ok(user);
    assert.equal(inUseMessage(n, user), 'network front has active endpoints (containers api, web): remove or disconnect the containers first');
  });

  // Needs NetworkService.users() to pass the endpoints to networkUsers (a change in
  // manager/networks/service.ts, outside this task's files; see the report).
  it('network rm is refused while endpoints exist and allowed after; prune skips it', async () => {
    const w = await endpointWorld();
    await attachableNet(w, 'front');
    const a = await w.eps.attach('front', container('web'));
    await rejects(w.net.remove('front'), 'Refused', /network front has active endpoints \(containers web\)/);
    assert.deepEqual(await w.net.prune(), []);
    await w.eps.detach('front', a.endpoint.id);
    assert.equal((await w.net.remove('front')).spec.name, 'front');
  });
});
