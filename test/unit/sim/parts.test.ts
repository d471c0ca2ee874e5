import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from '../../sim/prng.js';
import { KvStateMachine, decodeCommand, encodeCommand, type Command } from '../../sim/kv.js';
import { SimDisk } from '../../sim/durable.js';
import { VirtualClock } from '../../sim/clock.js';
import { Invariants, SimFailure } from '../../sim/invariants.js';
import { EntryType, type Entry, type Ready } from '../../../manager/raft/core/types.js';

test('prng: a seed gives one sequence; ranges hold', () => {
  const a = new Prng(42);
  const b = new Prng(42);
  const c = new Prng(43);
  const xs = Array.from({ length: 100 }, () => a.u32());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.u32()));
  assert.notDeepEqual(xs, Array.from({ length: 100 }, () => c.u32()));
  // Seeds above 2^32 are distinct from their low bits.
  assert.notEqual(new Prng(2 ** 32 + 5).u32(), new Prng(5).u32());
  const r = new Prng(1);
  for (let i = 0; i < 10_000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
    const k = r.range(3, 7);
    assert.ok(k >= 3 && k <= 7 && Number.isInteger(k));
  }
  const f1 = new Prng(9).fork();
  const f2 = new Prng(9).fork();
  assert.equal(f1.u32(), f2.u32());
});

test('kv: commands round-trip; a repeated op id applies once', () => {
  const cmds: Command[] = [
    { op: 1, kind: 'put', key: 'k0', value: 'v1' },
    { op: 2, kind: 'cas', key: 'k0', expected: 'v1', value: 'v2' },
    { op: 3, kind: 'cas', key: 'k1', expected: null, value: 'v3' },
  ];
  for (const c of cmds) assert.deepEqual(decodeCommand(encodeCommand(c)), c);
  assert.equal(decodeCommand(new Uint8Array(0)), null);
  const sm = new KvStateMachine();
  assert.deepEqual(sm.apply(cmds[0]!), { result: true, repeat: false });
  assert.deepEqual(sm.apply(cmds[1]!), { result: true, repeat: false });
  // The put again (a duplicated proposal committed twice): no effect, same answer.
  assert.deepEqual(sm.apply(cmds[0]!), { result: true, repeat: true });
  assert.equal(sm.get('k0'), 'v2');
  assert.deepEqual(sm.apply({ op: 4, kind: 'cas', key: 'k0', expected: 'v1', value: 'v9' }), { result: false, repeat: false });
  const copy = KvStateMachine.restore(sm.snapshot());
  assert.equal(copy.digest(), sm.digest());
  assert.deepEqual(copy.apply(cmds[1]!), { result: true, repeat: true });
});

function entry(index: number, term: number, data = 'x'): Entry {
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(data) };
}

function ready(over: Partial<Ready>): Ready {
  return { readStates: [], entries: [], committedEntries: [], messages: [], mustSync: false, ...over };
}

test('disk: a crash keeps what was fsynced and loses what was not', () => {
  const d = new SimDisk();
  d.persistReady(ready({ entries: [entry(1, 1), entry(2, 1)], hardState: { term: 1, vote: 'a', commit: 0 }, mustSync: true }));
  d.persistReady(ready({ hardState: { term: 1, vote: 'a', commit: 2 }, mustSync: false }));
  assert.equal(d.live.initialState().hardState.commit, 2);
  assert.equal(d.crash().lostWrites, 1);
  assert.equal(d.live.initialState().hardState.commit, 0);
  assert.equal(d.live.lastIndex(), 2);
  // An fsync makes earlier unsynced writes durable too (writes land in order).
  d.persistReady(ready({ hardState: { term: 1, vote: 'a', commit: 1 }, mustSync: false }));
  d.persistReady(ready({ entries: [entry(3, 2)], hardState: { term: 2, vote: '', commit: 1 }, mustSync: true }));
  d.crash();
  assert.equal(d.live.lastIndex(), 3);
  assert.equal(d.live.initialState().hardState.term, 2);
});

test('clock: events run in time order, ties in scheduling order', () => {
  const c = new VirtualClock();
  const seen: string[] = [];
  c.after(5, 'b', () => seen.push('b'));
  c.after(1, 'a', () => seen.push('a'));
  c.after(5, 'c', () => seen.push('c'));
  c.after(0, 'z', () => seen.push('z'));
  for (let e = c.next(); e; e = c.next()) e.run();
  assert.deepEqual(seen, ['z', 'a', 'b', 'c']);
  assert.equal(c.now, 5);
});

test('invariants: two leaders in a term, a changed committed entry, log mismatch', () => {
  const inv = new Invariants();
  inv.onLeader('a', 3);
  inv.onLeader('a', 3);
  assert.throws(() => inv.onLeader('b', 3), (e: unknown) => e instanceof SimFailure && e.kind === 'two-leaders');
  inv.onCommitted('a', 3, entry(1, 1, 'one'), 'committed');
  inv.onCommitted('b', 4, entry(1, 1, 'one'), 'applied');
  assert.throws(
    () => inv.onCommitted('c', 4, entry(1, 2, 'other'), 'applied'),
    (e: unknown) => e instanceof SimFailure && e.kind === 'committed-entry-changed',
  );
  inv.onAppend('a', [entry(5, 2, 'p'), entry(6, 2, 'q')], 1);
  assert.throws(
    () => inv.onAppend('b', [entry(6, 2, 'other')], 2),
    (e: unknown) => e instanceof SimFailure && e.kind === 'log-matching',
  );
  assert.throws(
    () => inv.onAppend('c', [entry(5, 2, 'p')], 0),
    (e: unknown) => e instanceof SimFailure && e.kind === 'log-matching',
  );
});
