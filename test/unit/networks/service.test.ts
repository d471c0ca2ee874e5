// NetworkService over a real state machine: allocation races between managers, refusals
// that leave the store untouched, removal and prune with what keeps a network in use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Collection, NamedCollection, Network, ReadOptions, StoredObject } from '../../../manager/store/index.js';
import { failsWith } from '../errors.js';
import { serviceOn, stateBytes, subnetOf, taskOn, vniOf, world, type World } from './helpers.js';

const N = 50;

async function raceCreates(w: World): Promise<Network[]> {
  return Promise.all(Array.from({ length: N }, (_, i) => w.services[i % w.services.length].create({ name: `n${i}` })));
}

function assertDistinctAllocations(made: readonly Network[]): void {
  const subnets = made.map(subnetOf);
  const vnis = made.map(vniOf);
  assert.equal(new Set(subnets).size, N, `duplicate subnets: ${subnets.join(' ')}`);
  assert.equal(new Set(vnis).size, N, `duplicate VNIs: ${vnis.join(' ')}`);
  // Lowest free first and nothing lost: exactly the first N of each.
  assert.deepEqual([...subnets].sort(), Array.from({ length: N }, (_, i) => `10.0.${i}.0/24`).sort());
  assert.deepEqual([...vnis].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => 4096 + i));
  for (const n of made) assert.equal(n.ipam?.configs[0].gateway, subnetOf(n).replace(/0\/24$/, '1'));
}

describe('concurrent creates across managers', () => {
  for (const jitterSeed of [undefined, 1, 2, 3]) {
    const how = jitterSeed === undefined ? 'proposals applied at once' : `interleaved proposals (seed ${jitterSeed})`;
    it(`${N} creates through 3 managers get distinct subnets and VNIs; removing all frees them (${how})`, async () => {
      let retries = 0;
      const w = await world({ managers: 3, jitterSeed, service: { onRetry: () => retries++ } });
      const made = await raceCreates(w);
      assertDistinctAllocations(made);
      // The store agrees with what the callers were told.
      const { objects } = await w.store.list('networks');
      assert.equal(objects.length, N);
      assertDistinctAllocations(objects);
      if (jitterSeed !== undefined) assert.ok(retries > 0, 'the managers raced: some creates lost and retried');

      await Promise.all(made.map((n, i) => w.services[(i + 1) % 3].remove(i % 2 === 0 ? n.id : n.spec.name)));
      assert.equal((await w.store.list('networks')).objects.length, 0);
      const again = await w.services[2].create({ name: 'again' });
      assert.equal(subnetOf(again), '10.0.0.0/24');
      assert.equal(vniOf(again), 4096);
    });
  }

  it('control: with no allocation lock the same interleaving hands out duplicates (so the test above can fail)', async () => {
    // No cluster object: nothing versioned to commit against, only each manager's own queue.
    const w = await world({ managers: 3, jitterSeed: 1, pools: null });
    const made = await raceCreates(w);
    assert.ok(new Set(made.map(subnetOf)).size < N, 'expected duplicate subnets without the lock');
  });

  it('a network another manager commits between the reads of an allocation is never missed', async () => {
    const w = await world({ managers: 2 });
    const [a, b] = w.services;
    const store = w.stores[0];
    // Before each of manager A's reads, manager B commits a network (twice in all), so the
    // state moves on between any two reads A makes while deciding.
    let injected = 0;
    const others: Network[] = [];
    const before = async (): Promise<void> => {
      if (injected < 2) {
        injected++;
        others.push(await b.create({ name: `b${injected}` }));
      }
    };
    const getByName = store.getByName.bind(store);
    const list = store.list.bind(store);
    store.getByName = async <C extends NamedCollection>(c: C, name: string, opts?: ReadOptions) => {
      await before();
      return getByName(c, name, opts);
    };
    store.list = async <C extends Collection>(c: C, filter?: (o: StoredObject<C>) => boolean, opts?: ReadOptions) => {
      await before();
      return list(c, filter, opts);
    };
    const mine = await a.create({ name: 'a' });
    assert.equal(injected, 2);
    const all = [mine, ...others];
    assert.equal(new Set(all.map(subnetOf)).size, 3, all.map(subnetOf).join(' '));
    assert.equal(new Set(all.map(vniOf)).size, 3);
  });

  it('every create moves the cluster object\'s version on, even though its content is unchanged', async () => {
    const w = await world();
    const before = await w.store.getByName('clusters', 'default');
    await w.net.create({ name: 'a' });
    const after = await w.store.getByName('clusters', 'default');
    assert.ok(before && after && after.version > before.version);
    const { spec: _s1, version: _v1, updatedAt: _u1, ...restBefore } = before;
    const { spec: _s2, version: _v2, updatedAt: _u2, ...restAfter } = after;
    assert.deepEqual(restAfter, restBefore);
    assert.deepEqual(after.spec, before.spec);
  });

  it('two managers creating the same name at once: one wins, the other is told the name exists', async () => {
    const w = await world({ managers: 2, jitterSeed: 7 });
    const results = await Promise.allSettled([w.services[0].create({ name: 'same' }), w.services[1].create({ name: 'SAME' })]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const lost = results.find((r) => r.status === 'rejected');
    assert.ok(lost && lost.status === 'rejected');
    assert.ok(failsWith('NameExists', /^network with name (same|SAME) already exists$/)(lost.reason));
    assert.equal((await w.store.list('networks')).objects.length, 1);
  });

  it('gives up with a clear error after the configured number of lost races', async () => {
    const w = await world({ service: { attempts: 3 } });
    // Another writer moves the cluster object on between every read and commit.
    const { store } = w;
    const realTransact = store.transact.bind(store);
    store.transact = async (ops) => {
      await store.modify('clusters', w.clusterId ?? '', () => undefined);
      return realTransact(ops);
    };
    const before = (await w.store.list('networks')).objects.length;
    await assert.rejects(w.net.create({ name: 'unlucky' }),
      failsWith('Conflict', 'network unlucky: lost the allocation race to concurrent changes 3 times in a row; try again'));
    assert.equal((await w.store.list('networks')).objects.length, before);
  });
});

describe('refusals leave the store as it was', () => {
  async function refused(w: World, req: Parameters<World['net']['create']>[0], check: (e: unknown) => boolean): Promise<void> {
    const before = stateBytes(w);
    const applied = w.sm.applied();
    await assert.rejects(w.net.create(req), check);
    assert.equal(w.sm.applied(), applied, `${req.name}: nothing was proposed`);
    assert.ok(stateBytes(w).equals(before), `${req.name}: state unchanged`);
  }

  it('invalid CIDRs, overlaps, gateways and ranges outside, taken names, bad drivers and MTUs', async () => {
    const w = await world();
    await w.net.create({ name: 'auto' });
    await w.net.create({ name: 'user', ipam: { configs: [{ subnet: '10.20.0.0/16' }] } });
    await refused(w, { name: 'x', ipam: { configs: [{ subnet: '10.0.0.0/33' }] } }, failsWith('Invalid', 'invalid CIDR 10.0.0.0/33: prefix 33 is larger than 32'));
    await refused(w, { name: 'x', ipam: { configs: [{ subnet: '10.1.2.3.4/24' }] } }, failsWith('Invalid', /^invalid CIDR 10\.1\.2\.3\.4\/24: /));
    await refused(w, { name: 'x', ipam: { configs: [{ subnet: '10.0.0.0/16' }] } }, failsWith('Conflict', 'subnet 10.0.0.0/16 overlaps with 10.0.0.0/24 of network auto'));
    await refused(w, { name: 'x', ipam: { configs: [{ subnet: '10.20.5.0/24' }] } }, failsWith('Conflict', 'subnet 10.20.5.0/24 overlaps with 10.20.0.0/16 of network user'));
    await refused(w, { name: 'x', ipam: { configs: [{ subnet: '10.30.0.0/24', gateway: '10.31.0.1' }] } }, failsWith('Invalid', 'gateway 10.31.0.1 is not in subnet 10.30.0.0/24'));
    await refused(w, { name: 'x', ipam: { configs: [{ subnet: '10.30.0.0/24', gateway: '10.30.0.255' }] } }, failsWith('Invalid', 'gateway 10.30.0.255 is the broadcast address of subnet 10.30.0.0/24'));
    await refused(w, { name: 'x', ipam: { configs: [{ subnet: '10.30.0.0/24', ipRange: '10.30.1.0/25' }] } }, failsWith('Invalid', 'ip-range 10.30.1.0/25 is not inside subnet 10.30.0.0/24'));
    await refused(w, { name: 'auto' }, failsWith('NameExists', 'network with name auto already exists'));
    await refused(w, { name: 'Auto' }, failsWith('NameExists', 'network with name Auto already exists'));
    await refused(w, { name: 'x', driver: 'macvlan' }, failsWith('Invalid', /network driver "macvlan" is not supported/));
    await refused(w, { name: 'x', options: { 'com.docker.network.driver.mtu': '9x' } }, failsWith('Invalid', /must be an integer from 68 to 65535/));
    await refused(w, { name: 'x', options: { 'com.docker.network.driver.mtu': '70000' } }, failsWith('Invalid', /must be an integer from 68 to 65535/));
    await refused(w, { name: 'x', ipv6: true }, failsWith('Invalid', /IPv6 is not supported/));
    await refused(w, { name: 'bridge' }, failsWith('Refused', 'bridge is a pre-defined network and cannot be created'));
    // And a good request still works afterwards, with the next free allocation.
    const ok = await w.net.create({ name: 'x', options: { 'com.docker.network.driver.mtu': '1400' } });
    assert.equal(subnetOf(ok), '10.0.1.0/24');
    assert.equal(vniOf(ok), 4098);
  });

  it('an exhausted pool (10.9.0.0/30 in /30s) and exhausted VNIs, freed again by removal', async () => {
    const w = await world({ pools: ['10.9.0.0/30'], subnetSize: 30, service: { vniRange: { min: 4096, max: 4097 } } });
    const only = await w.net.create({ name: 'only' });
    assert.deepEqual(only.ipam?.configs, [{ subnet: '10.9.0.0/30', gateway: '10.9.0.1' }]);
    await refused(w, { name: 'more' }, failsWith('Unavailable', 'address pools exhausted: no free /30 in 10.9.0.0/30'));
    await w.net.create({ name: 'own', ipam: { configs: [{ subnet: '192.168.7.0/24' }] } });
    await refused(w, { name: 'third', ipam: { configs: [{ subnet: '192.168.8.0/24' }] } }, failsWith('Unavailable', 'VXLAN IDs exhausted: all of 4096-4097 are in use'));
    await w.net.remove('only');
    const next = await w.net.create({ name: 'more' });
    assert.equal(subnetOf(next), '10.9.0.0/30');
    assert.equal(vniOf(next), 4096);
  });

  it('a second ingress network', async () => {
    const w = await world();
    await w.net.create({ name: 'ingress', ingress: true });
    await refused(w, { name: 'ingress2', ingress: true }, failsWith('Conflict', /^ingress network ingress \(\w+\) is already present/));
  });
});

describe('find, list, remove, prune', () => {
  it('finds by id, name and unique id prefix, as docker does', async () => {
    const w = await world();
    // 37 ids over 36 base-36 digits: at least two share their first character.
    const made = await Promise.all(Array.from({ length: 37 }, (_, i) => w.net.create({ name: `net${i}` })));
    const first = made[5];
    assert.equal((await w.net.find(first.id)).spec.name, 'net5');
    assert.equal((await w.net.find('net5')).id, first.id);
    assert.equal((await w.net.find(first.id.slice(0, 20))).id, first.id, 'a unique prefix');
    const shared = made.map((n) => n.id[0]).find((c, _i, all) => all.filter((x) => x === c).length > 1);
    assert.ok(shared);
    const count = made.filter((n) => n.id.startsWith(shared)).length;
    await assert.rejects(w.net.find(shared), failsWith('Invalid', `network ${shared} is ambiguous (${count} matches found based on ID prefix)`));
    // A name beats an id prefix.
    const named = await w.net.create({ name: first.id.slice(0, 8) });
    assert.equal((await w.net.find(first.id.slice(0, 8))).id, named.id);
    await assert.rejects(w.net.find('nope'), failsWith('NotFound', 'network nope not found'));
    await assert.rejects(w.net.find('NET5'), failsWith('NotFound', 'network NET5 not found'));
  });

  it('lists sorted by name, with filters, and reports dangling ones', async () => {
    const w = await world();
    const b = await w.net.create({ name: 'b', labels: { team: 'net' } });
    await w.net.create({ name: 'a' });
    await w.store.create('services', serviceOn('api', [b.id]));
    assert.deepEqual((await w.net.list()).map((n) => n.spec.name), ['a', 'b']);
    assert.deepEqual((await w.net.list({ label: ['team=net'] })).map((n) => n.spec.name), ['b']);
    assert.deepEqual((await w.net.list({ dangling: ['true'] })).map((n) => n.spec.name), ['a']);
    await assert.rejects(w.net.list({ bogus: ['1'] }), failsWith('Invalid', "invalid filter 'bogus'"));
  });

  it('refuses to remove a network a service or a live task uses; terminal tasks do not count', async () => {
    const w = await world();
    const net = await w.net.create({ name: 'backend' });
    const svc = await w.store.create('services', serviceOn('api', ['backend']));
    assert.ok(svc.ok);
    const before = stateBytes(w);
    await assert.rejects(w.net.remove(net.id.slice(0, 5)), failsWith('Refused',
      `network backend is in use by service api (${svc.object.id}): remove the service, or detach it with \`service update --network-rm backend api\`, first`));
    assert.ok(stateBytes(w).equals(before));

    await w.store.delete('services', svc.object.id);
    const running = await w.store.create('tasks', taskOn(svc.object.id, net.id, 'running'));
    assert.ok(running.ok);
    await assert.rejects(w.net.remove('backend'), failsWith('Refused', /^network backend is in use by task \w+ \(state running\)/));
    await w.store.update('tasks', running.object.id, running.object.version, { status: { ...running.object.status, state: 'shutdown' } });
    assert.equal((await w.net.remove('backend')).id, net.id);
    await assert.rejects(w.net.remove('backend'), failsWith('NotFound', 'network backend not found'));
  });

  it('keeps the ingress network while a service publishes through the routing mesh', async () => {
    const w = await world();
    await w.net.create({ name: 'ingress', ingress: true });
    const svc = await w.store.create('services', { ...serviceOn('web', []), spec: { ...serviceOn('web', []).spec, endpointSpec: { mode: 'vip', ports: [{ protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'ingress' }] } } });
    assert.ok(svc.ok);
    await assert.rejects(w.net.remove('ingress'), failsWith('Refused', /in use by service web/));
    await w.store.delete('services', svc.object.id);
    await w.net.remove('ingress');
  });

  it('prunes every unused network matching the filters, never the ingress network', async () => {
    const w = await world();
    // The store's clock starts at 2024-01-02T03:04:05.678Z and moves one second per write:
    // the cluster object is at :06.678, then old :07.678, used :08.678, kept :09.678.
    const old = await w.net.create({ name: 'old', labels: { keep: 'no' } });
    const used = await w.net.create({ name: 'used' });
    await w.net.create({ name: 'kept', labels: { keep: 'yes' } });
    await w.net.create({ name: 'ingress', ingress: true });
    await w.store.create('services', serviceOn('api', [used.id]));
    assert.deepEqual((await w.net.prune({ until: ['2020-01-01T00:00:00Z'] })).map((n) => n.spec.name), [], 'all made after that');
    assert.deepEqual((await w.net.prune({ label: ['keep=yes'], until: ['2024-01-02T03:04:08Z'] })).map((n) => n.spec.name), []);
    assert.deepEqual((await w.net.prune({ until: ['2024-01-02T03:04:08Z'] })).map((n) => n.spec.name), ['old']);
    assert.ok(!(await w.store.get('networks', old.id)));
    assert.deepEqual((await w.net.prune({ 'label!': ['keep=yes'] })).map((n) => n.spec.name), [], 'used is in use');
    assert.deepEqual((await w.net.prune()).map((n) => n.spec.name), ['kept']);
    assert.deepEqual((await w.net.list()).map((n) => n.spec.name), ['ingress', 'used']);
  });
});
