// networkdb as a pure replicated structure: convergence, tombstones, reaping, failures,
// incarnations, network scoping and watchers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NetDb } from '../../../worker/netdb/netdb.js';
import type { TableEvent, TableValue } from '../../../worker/netdb/types.js';
import { failsWith } from '../errors.js';
import { mulberry32 } from '../prng.js';

const NET = 'net1';
const REAP = 30_000;

/** Deterministic PRNG (mulberry32) so a failing order can be replayed from its seed. */
const rng = mulberry32;

function shuffle<T>(xs: T[], r: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

function db(nodeId: string, incarnation = 1, networks = [NET]): NetDb {
  const d = new NetDb({ nodeId, incarnation, reapIntervalMs: REAP });
  for (const n of networks) d.joinNetwork(n);
  return d;
}

const peer = (i: number, vtep = '192.168.0.1') => ({ ip: `10.0.0.${i}`, mac: `02:42:0a:00:00:${i.toString(16).padStart(2, '0')}`, vtep });
const rec = (name: string, i: number) => ({ name, aliases: [`${name}-alias`], ip: `10.0.0.${i}` });

describe('NetDb local operations', () => {
  it('create, update and delete bump the Lamport clock and return events owned by this node', () => {
    const a = db('A');
    const e1 = a.create('overlay_peer', NET, 'ep1', peer(2), 0);
    assert.deepEqual(e1, { table: 'overlay_peer', network: NET, key: 'ep1', owner: 'A', incarnation: 1, ltime: 1, deleted: false, value: peer(2) });
    const e2 = a.update('overlay_peer', NET, 'ep1', peer(3), 0);
    assert.equal(e2.ltime, 2);
    assert.deepEqual(a.get('overlay_peer', NET, 'ep1'), peer(3));
    const e3 = a.delete('overlay_peer', NET, 'ep1', 0);
    assert.equal(e3.ltime, 3);
    assert.equal(e3.deleted, true);
    assert.equal(e3.value, null);
    assert.equal(a.get('overlay_peer', NET, 'ep1'), undefined);
    assert.equal(a.entry('overlay_peer', NET, 'ep1')?.deleted, true);
    assert.equal(a.clock, 3);
  });

  it('refuses a duplicate create, an update or delete of nothing, and writes to a network not joined', () => {
    const a = db('A');
    a.create('dns', NET, 'ep1', rec('c1', 2), 0);
    assert.throws(() => a.create('dns', NET, 'ep1', rec('c1', 2), 0), failsWith('Conflict', /already exists/));
    assert.throws(() => a.update('dns', NET, 'nope', rec('c1', 2), 0), failsWith('NotFound', /create it first/));
    assert.throws(() => a.delete('dns', NET, 'nope', 0), failsWith('NotFound', /does not exist/));
    assert.throws(() => a.create('dns', 'other', 'ep2', rec('c2', 3), 0), failsWith('Invalid', /joinNetwork first/));
    assert.throws(() => a.create('dns', NET, 'ep3', { name: 'bad name', aliases: [], ip: '10.0.0.3' }, 0), failsWith('Corrupt', /dns name/));
  });

  it('a witnessed remote time makes the next local write later than it', () => {
    const a = db('A');
    const b = db('B');
    b.apply({ table: 'dns', network: NET, key: 'x', owner: 'A', incarnation: 1, ltime: 41, deleted: false, value: rec('x', 9) }, 0);
    assert.equal(b.create('dns', NET, 'ep', rec('b', 2), 0).ltime, 42);
    assert.equal(a.clock, 0);
  });
});

describe('NetDb convergence', () => {
  // Three replicas each write, overwrite and delete, partly on the same keys; every replica
  // then receives all events, shuffled and with duplicates.
  function workload(): { events: TableEvent[]; writers: NetDb[] } {
    const writers = [db('A'), db('B'), db('C')];
    const [a, b, c] = writers as [NetDb, NetDb, NetDb];
    const events: TableEvent[] = [];
    const send = (from: NetDb, e: TableEvent): void => {
      events.push(e);
      // Some causal knowledge flows between writers, as gossip would give them.
      for (const w of writers) if (w !== from && events.length % 2 === 0) w.apply(e, 0);
    };
    send(a, a.create('overlay_peer', NET, 'ep1', peer(1), 0));
    send(b, b.create('overlay_peer', NET, 'ep2', peer(2), 0));
    send(c, c.create('dns', NET, 'ep3', rec('c3', 3), 0));
    send(a, a.create('dns', NET, 'ep1', rec('c1', 1), 0));
    send(b, b.create('overlay_peer', NET, 'shared', peer(7, '192.168.0.2'), 0));
    send(c, c.create('overlay_peer', NET, 'shared', peer(8, '192.168.0.3'), 0)); // concurrent: same ltime possible
    send(a, a.update('overlay_peer', NET, 'ep1', peer(11), 0));
    send(b, b.delete('overlay_peer', NET, 'ep2', 0));
    send(c, c.update('dns', NET, 'ep3', rec('c3b', 33), 0));
    send(a, a.delete('dns', NET, 'ep1', 0));
    send(b, b.create('dns', NET, 'ep4', rec('c4', 4), 0));
    return { events, writers };
  }

  it('replicas that apply the same events in any order, duplicated, end identical', () => {
    const { events } = workload();
    let reference: string | undefined;
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const replicas = [db('R1'), db('R2'), db('R3')];
      for (const rep of replicas) {
        const delivery = shuffle([...events, ...events.filter(() => r() < 0.5)], r);
        for (const e of delivery) rep.apply(e, 0);
      }
      for (const rep of replicas) {
        const state = JSON.stringify(rep.exportState().entries);
        reference ??= state;
        assert.equal(state, reference, `seed ${seed} diverged`);
      }
    }
    const final = db('Z');
    for (const e of events) final.apply(e, 0);
    // Concrete expectations, so "identical" is not identically wrong.
    assert.deepEqual(final.get('overlay_peer', NET, 'ep1'), peer(11));
    assert.equal(final.get('overlay_peer', NET, 'ep2'), undefined);
    assert.equal(final.get('dns', NET, 'ep1'), undefined);
    assert.deepEqual(final.get('dns', NET, 'ep3'), rec('c3b', 33));
    assert.deepEqual(final.get('dns', NET, 'ep4'), rec('c4', 4));
  });

  it('a concurrent write on the same key is settled by node id when Lamport times tie', () => {
    const b = db('B');
    const c = db('C');
    // C's value sorts lower, so only the node id can make C win.
    const eb = b.create('overlay_peer', NET, 'k', peer(2), 0);
    const ec = c.create('overlay_peer', NET, 'k', peer(1), 0);
    assert.equal(eb.ltime, ec.ltime);
    for (const order of [[eb, ec], [ec, eb]]) {
      const r = db('R');
      for (const e of order) r.apply(e, 0);
      assert.deepEqual(r.get('overlay_peer', NET, 'k'), peer(1));
      assert.equal(r.entry('overlay_peer', NET, 'k')?.owner, 'C');
    }
  });

  it('writers themselves converge after exchanging full state', () => {
    const { writers } = workload();
    for (let round = 0; round < 2; round++) {
      for (const w of writers) for (const other of writers) if (other !== w) w.importState(other.exportState(), 0);
    }
    const live = writers.map((w) => JSON.stringify(w.entries()));
    assert.equal(live[0], live[1]);
    assert.equal(live[1], live[2]);
  });
});

describe('NetDb tombstones and reaping', () => {
  it('a tombstone beats a late create of the same write and any older write', () => {
    const a = db('A');
    const create = a.create('dns', NET, 'ep', rec('c', 2), 0);
    const del = a.delete('dns', NET, 'ep', 0);
    const r = db('R');
    assert.equal(r.apply(del, 0), true);
    assert.equal(r.apply(create, 0), false);
    assert.equal(r.get('dns', NET, 'ep'), undefined);
    assert.equal(r.entry('dns', NET, 'ep')?.deleted, true);
  });

  it('tombstones are dropped after the reap interval, not before', () => {
    const a = db('A');
    a.create('dns', NET, 'ep', rec('c', 2), 0);
    const del = a.delete('dns', NET, 'ep', 1000);
    const r = db('R');
    r.apply(del, 5000);
    assert.equal(r.reap(5000 + REAP - 1), 0);
    assert.ok(r.entry('dns', NET, 'ep'));
    assert.equal(r.reap(5000 + REAP), 1);
    assert.equal(r.entry('dns', NET, 'ep'), undefined);
    assert.equal(a.reap(1000 + REAP), 1);
    assert.equal(a.exportState().entries.length, 0);
  });

  it('an echo of this node\'s own write cannot resurrect it, even after its tombstone is reaped', () => {
    const a = db('A');
    const create = a.create('dns', NET, 'ep', rec('c', 2), 0);
    a.delete('dns', NET, 'ep', 0);
    a.reap(REAP);
    assert.equal(a.apply(create, REAP), false);
    assert.equal(a.get('dns', NET, 'ep'), undefined);
    const restarted = db('A', 2);
    assert.equal(restarted.apply(create, 0), false, 'nor can the same node\'s previous life');
  });

  it('reaping leaves live entries alone', () => {
    const a = db('A');
    a.create('dns', NET, 'ep', rec('c', 2), 0);
    assert.equal(a.reap(10 * REAP), 0);
    assert.deepEqual(a.get('dns', NET, 'ep'), rec('c', 2));
  });
});

describe('NetDb node failure and incarnations', () => {
  it('a failed node\'s entries become tombstones on every replica, and its late events are ignored', () => {
    const a = db('A', 7);
    const evs = [a.create('dns', NET, 'e1', rec('c1', 1), 0), a.create('overlay_peer', NET, 'e1', peer(1), 0)];
    const b = db('B');
    const c = db('C');
    const own = b.create('dns', NET, 'b1', rec('b1', 5), 0);
    c.apply(own, 0);
    for (const r of [b, c]) for (const e of evs) r.apply(e, 0);
    const late = a.update('dns', NET, 'e1', rec('c1', 9), 0);
    for (const r of [b, c]) {
      r.nodeLeft('A', 100);
      assert.equal(r.entries().filter((e) => e.owner === 'A').length, 0);
      assert.equal(r.apply(late, 100), false);
      assert.equal(r.get('dns', NET, 'e1'), undefined);
      assert.deepEqual(r.get('dns', NET, 'b1'), rec('b1', 5), 'other owners are untouched');
      assert.equal(r.reap(100 + REAP), 2);
    }
  });

  it('with the incarnation from gossip, events of the failed life not seen before are stale too', () => {
    const a = db('A', 5);
    const r = db('R');
    const unseen = a.create('dns', NET, 'e', rec('c', 1), 0);
    r.nodeLeft('A', 0, 5);
    assert.equal(r.apply(unseen, 0), false);
  });

  it('a node rejoining with a new incarnation is heard again, and its old life stays dead', () => {
    const old = db('A', 1);
    const oldCreate = old.create('dns', NET, 'old', rec('old', 1), 0);
    const oldLate = old.create('dns', NET, 'late', rec('late', 2), 0);
    const r = db('R');
    r.apply(oldCreate, 0);
    r.nodeLeft('A', 10);
    const fresh = db('A', 2);
    fresh.importState(r.exportState(), 10); // a rejoining node syncs first, witnessing the clock
    const newCreate = fresh.create('dns', NET, 'new', rec('new', 3), 10);
    r.nodeRejoined('A', 2, 10);
    assert.equal(r.apply(newCreate, 10), true);
    assert.equal(r.apply(oldLate, 10), false, 'late event of the old incarnation');
    assert.equal(r.apply(oldCreate, 10), false);
    assert.deepEqual(r.entries('dns').map((e) => e.key), ['new']);
  });

  it('seeing a newer incarnation retires entries of the older one even without a failure notice', () => {
    const r = db('R');
    const old = db('A', 1);
    r.apply(old.create('dns', NET, 'old', rec('old', 1), 0), 0);
    const fresh = db('A', 2);
    r.apply(fresh.create('dns', NET, 'new', rec('new', 2), 0), 0);
    assert.deepEqual(r.entries().map((e) => e.key), ['new']);
    assert.equal(r.apply(old.create('dns', NET, 'old2', rec('old2', 3), 0), 0), false);
  });

  it('a node back from a partition with the same incarnation republishes and is heard again', () => {
    const a = db('A', 1);
    const r = db('R');
    r.apply(a.create('dns', NET, 'e', rec('c', 1), 0), 0);
    r.nodeLeft('A', 0);
    assert.equal(r.get('dns', NET, 'e'), undefined);
    r.nodeRejoined('A', 1, 0);
    // The original write, re-delivered late, ranks below the tombstone made from it.
    assert.equal(r.apply(a.entry('dns', NET, 'e') as TableEvent, 0), false);
    assert.equal(r.get('dns', NET, 'e'), undefined);
    for (const e of a.republish(0)) r.apply(e, 0);
    assert.deepEqual(r.get('dns', NET, 'e'), rec('c', 1));
  });
});

describe('NetDb network scoping', () => {
  it('ignores events of networks it has not joined, and joining reports the need for a sync', () => {
    const a = db('A', 1, [NET, 'net2']);
    const e1 = a.create('dns', NET, 'x', rec('x', 1), 0);
    const e2 = a.create('dns', 'net2', 'y', rec('y', 2), 0);
    const b = db('B', 1, [NET]);
    assert.equal(b.apply(e2, 0), false);
    assert.equal(b.apply(e1, 0), true);
    assert.equal(b.joinNetwork('net2'), true);
    assert.equal(b.joinNetwork('net2'), false);
    const state = a.exportState(['net2']);
    assert.deepEqual(state.entries.map((e) => e.key), ['y']);
    assert.equal(b.importState(state, 0), 1);
    assert.deepEqual(b.get('dns', 'net2', 'y'), rec('y', 2));
    assert.deepEqual(b.networks(), [NET, 'net2']);
  });

  it('leaving a network drops its entries and returns tombstones for the ones this node owns', () => {
    const a = db('A', 1, [NET, 'net2']);
    const b = db('B', 1, [NET, 'net2']);
    b.apply(a.create('dns', NET, 'fromA', rec('a', 1), 0), 0);
    b.create('dns', NET, 'mine', rec('b', 2), 0);
    b.create('dns', 'net2', 'keep', rec('k', 3), 0);
    const seen: string[] = [];
    b.onChange((_t, n, k, o, nv) => seen.push(`${n}/${k}:${o === undefined ? '-' : 'old'}>${nv === undefined ? '-' : 'new'}`));
    const tombs = b.leaveNetwork(NET);
    assert.deepEqual(tombs.map((e) => [e.key, e.deleted, e.owner]), [['mine', true, 'B']]);
    assert.deepEqual(seen.sort(), [`${NET}/fromA:old>-`, `${NET}/mine:old>-`]);
    assert.equal(b.isMember(NET), false);
    assert.deepEqual(b.exportState().entries.map((e) => e.key), ['keep']);
    assert.equal(a.apply(tombs[0] as TableEvent, 0), true);
    assert.equal(a.get('dns', NET, 'mine'), undefined);
  });
});

describe('NetDb watchers', () => {
  it('report creates, updates and removals with old and new values, once each', () => {
    const a = db('A');
    const r = db('R');
    const calls: [string, string, string, TableValue | undefined, TableValue | undefined][] = [];
    const off = r.onChange((t, n, k, o, nv) => calls.push([t, n, k, o, nv]));
    const c = a.create('overlay_peer', NET, 'ep', peer(1), 0);
    const u = a.update('overlay_peer', NET, 'ep', peer(2), 0);
    const d = a.delete('overlay_peer', NET, 'ep', 0);
    r.apply(c, 0);
    r.apply(c, 0); // duplicate: no call
    r.apply(u, 0);
    r.apply(d, 0);
    assert.deepEqual(calls, [
      ['overlay_peer', NET, 'ep', undefined, peer(1)],
      ['overlay_peer', NET, 'ep', peer(1), peer(2)],
      ['overlay_peer', NET, 'ep', peer(2), undefined],
    ]);
    off();
    r.apply(a.create('overlay_peer', NET, 'ep', peer(3), 0), 0);
    assert.equal(calls.length, 3);
  });

  it('report removals caused by a node failing', () => {
    const a = db('A');
    const r = db('R');
    r.apply(a.create('overlay_peer', NET, 'ep', peer(1), 0), 0);
    const gone: string[] = [];
    r.onChange((_t, _n, k, _o, nv) => { if (nv === undefined) gone.push(k); });
    r.nodeLeft('A', 0);
    assert.deepEqual(gone, ['ep']);
  });
});
