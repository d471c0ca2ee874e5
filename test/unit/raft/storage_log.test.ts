import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../../../manager/raft/core/memory_storage.js';
import { RaftLog } from '../../../manager/raft/core/log.js';
import { Inflights } from '../../../manager/raft/core/inflights.js';
import { committedIndex, voteResult, VoteResult } from '../../../manager/raft/core/quorum.js';
import { EntryType, RaftError, RaftErrorCode } from '../../../manager/raft/core/types.js';
import type { Entry } from '../../../manager/raft/core/types.js';

const ent = (index: number, term: number, size = 0): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array(size) });
const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof RaftError) return e.code;
    throw e;
  }
  return undefined;
};

test('MemoryStorage: append replaces the conflicting suffix; term and entries bounds', () => {
  const s = new MemoryStorage();
  s.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
  s.append([ent(2, 3)]);
  assert.equal(s.lastIndex(), 2);
  assert.equal(s.term(2), 3);
  assert.equal(s.term(0), 0, 'the dummy answers term(firstIndex-1)');
  assert.equal(code(() => s.term(3)), RaftErrorCode.Unavailable);
  assert.throws(() => s.append([ent(5, 3)]), 'a gap is refused');
});

test('MemoryStorage: snapshot, compact, byte limits, clone', () => {
  const s = new MemoryStorage();
  s.append([ent(1, 1, 4), ent(2, 1, 4), ent(3, 2, 4), ent(4, 2, 4)]);
  assert.equal(s.entries(1, 5, 8).length, 2);
  assert.equal(s.entries(1, 5, 0).length, 1, 'always at least one');
  assert.throws(() => s.compact(2), 'not past the snapshot');
  s.createSnapshot(2, { voters: ['a'], learners: [] }, new Uint8Array([7]));
  const c = s.clone();
  s.compact(2);
  assert.equal(s.firstIndex(), 3);
  assert.equal(s.term(2), 1);
  assert.equal(code(() => s.term(1)), RaftErrorCode.Compacted);
  assert.equal(code(() => s.entries(2, 4, 100)), RaftErrorCode.Compacted);
  assert.equal(c.firstIndex(), 1, 'the clone is unaffected');
  assert.equal(code(() => s.createSnapshot(2, { voters: [], learners: [] }, new Uint8Array())), RaftErrorCode.SnapOutOfDate);
  const f = new MemoryStorage();
  f.applySnapshot(s.snapshot());
  assert.equal(f.firstIndex(), 3);
  assert.equal(f.lastIndex(), 2);
  assert.deepEqual(f.initialState().conf.voters, ['a']);
});

test('RaftLog: maybeAppend keeps matching entries and truncates at the first conflict', () => {
  const s = new MemoryStorage();
  s.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
  const log = new RaftLog(s);
  assert.equal(log.maybeAppend(3, 1, 0, [ent(4, 2)]), null, 'term mismatch at 3');
  assert.equal(log.maybeAppend(1, 1, 2, [ent(2, 1), ent(3, 3), ent(4, 3)]), 4);
  assert.equal(log.term(3), 3);
  assert.equal(log.committed, 2);
  assert.equal(log.unstable.offset, 3, 'only the replaced suffix is unstable');
  assert.equal(log.findConflict([ent(1, 1), ent(2, 1), ent(3, 3)]), 0);
  assert.equal(log.findConflict([ent(4, 3), ent(5, 3)]), 5);
  assert.throws(() => log.maybeAppend(0, 0, 0, [ent(1, 9)]), 'conflict with a committed entry');
});

test('RaftLog: findConflictByTerm skips a whole term', () => {
  const s = new MemoryStorage();
  s.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2), ent(5, 4), ent(6, 4)]);
  const log = new RaftLog(s);
  assert.deepEqual(log.findConflictByTerm(6, 3), { index: 4, term: 2 });
  assert.deepEqual(log.findConflictByTerm(6, 4), { index: 6, term: 4 });
  assert.deepEqual(log.findConflictByTerm(6, 0), { index: 0, term: 0 });
  assert.deepEqual(log.findConflictByTerm(9, 1), { index: 2, term: 1 });
});

test('Inflights: full by count or by bytes, freed by acknowledgement', () => {
  const f = new Inflights(3, 0);
  f.add(1, 100);
  f.add(2, 100);
  assert.equal(f.full(), false);
  f.add(3, 100);
  assert.equal(f.full(), true);
  f.freeLE(2);
  assert.equal(f.count(), 1);
  const b = new Inflights(100, 250);
  b.add(1, 100);
  b.add(2, 100);
  assert.equal(b.full(), false);
  b.add(3, 100);
  assert.equal(b.full(), true);
  b.freeFirstOne();
  assert.equal(b.bytes(), 200);
  assert.equal(b.full(), false);
});

test('quorum: commit index is the median match of voters; vote tally', () => {
  const m: Record<string, number> = { a: 5, b: 3, c: 9, d: 1, e: 7 };
  assert.equal(committedIndex(['a', 'b', 'c', 'd', 'e'], (id) => m[id]), 5);
  assert.equal(committedIndex(['a', 'b', 'c', 'd'], (id) => m[id]), 3);
  assert.equal(committedIndex(['c'], (id) => m[id]), 9);
  const v = new Map([
    ['a', true],
    ['b', false],
  ]);
  assert.equal(voteResult(['a', 'b', 'c'], v), VoteResult.Pending);
  v.set('c', true);
  assert.equal(voteResult(['a', 'b', 'c'], v), VoteResult.Won);
  assert.equal(voteResult(['a', 'b', 'c'], new Map([['b', false], ['c', false]])), VoteResult.Lost);
});
