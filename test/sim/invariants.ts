// Safety properties of Raft, checked as the simulation runs. A global record
// of every committed entry (index -> term, bytes) is the reference: whenever a
// node's commit index moves, whenever it applies an entry or installs a
// snapshot, and whenever it wins an election, what it holds is compared with
// the record. The record only grows; nothing in it may ever change.

import type { Entry, NodeId } from '../../manager/raft/core/types.js';
import type { Storage } from '../../manager/raft/core/storage.js';

export class SimFailure extends Error {
  constructor(
    /** A short stable name of what broke (e.g. "committed-entry-changed"). */
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = 'SimFailure';
  }
}

/** The bytes of an entry as a comparable string (type + data). */
export function entryKey(e: Entry): string {
  return `${e.type}|${Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('latin1')}`;
}

function short(key: string | undefined): string {
  if (key === undefined) return '(unknown bytes)';
  return key.length > 60 ? `${key.slice(0, 60)}...` : key;
}

interface CommittedEntry {
  term: number;
  /**
   * The lowest term in which some node was seen holding it as committed: an upper
   * bound of the term in which it was committed. Leaders of later terms must hold it;
   * a stale leader of an earlier term (elected by slow votes) need not.
   */
  commitTerm: number;
  /** undefined when only a snapshot told us the term at this index. */
  key: string | undefined;
  /** Who first showed it committed, for messages. */
  by: NodeId;
}

export class Invariants {
  private readonly leaders = new Map<number, NodeId>();
  private readonly committed = new Map<number, CommittedEntry>();
  /** Every entry any node ever appended, by "index:term": log matching. */
  private readonly appended = new Map<string, { key: string; prevTerm: number | undefined; by: NodeId }>();
  /** Application snapshot bytes by index: replicas at one index must agree. */
  private readonly snapshots = new Map<number, { data: string; by: NodeId }>();
  maxCommitted = 0;
  /** Distinct terms that had a leader. */
  get leaderTerms(): number {
    return this.leaders.size;
  }

  leaderOf(term: number): NodeId | undefined {
    return this.leaders.get(term);
  }

  /** Election safety: at most one leader per term, over the whole history. */
  onLeader(id: NodeId, term: number): void {
    const prior = this.leaders.get(term);
    if (prior !== undefined && prior !== id) {
      throw new SimFailure('two-leaders', `two leaders in term ${term}: ${prior} and ${id}`);
    }
    this.leaders.set(term, id);
  }

  /** A node in term `nodeTerm` holds `e` as committed (its commit index covers it, or it applies it). */
  onCommitted(node: NodeId, nodeTerm: number, e: Entry, how: string): void {
    const key = entryKey(e);
    const rec = this.committed.get(e.index);
    if (rec === undefined) {
      this.committed.set(e.index, { term: e.term, commitTerm: nodeTerm, key, by: node });
      if (e.index > this.maxCommitted) this.maxCommitted = e.index;
      return;
    }
    if (rec.term !== e.term || (rec.key !== undefined && rec.key !== key)) {
      throw new SimFailure(
        'committed-entry-changed',
        `${node} ${how} entry ${e.index} as term ${e.term} ${short(key)}, but ${rec.by} had it committed as term ${rec.term} ${short(rec.key)}`,
      );
    }
    if (rec.key === undefined) rec.key = key;
    if (nodeTerm < rec.commitTerm) rec.commitTerm = nodeTerm;
  }

  /** A snapshot at (index, term) stands for committed entries up to index. */
  onSnapshotCommitted(node: NodeId, nodeTerm: number, index: number, term: number, how: string): void {
    if (index === 0) return;
    const rec = this.committed.get(index);
    if (rec === undefined) {
      this.committed.set(index, { term, commitTerm: nodeTerm, key: undefined, by: node });
      if (index > this.maxCommitted) this.maxCommitted = index;
      return;
    }
    if (rec.term !== term) {
      throw new SimFailure(
        'committed-entry-changed',
        `${node} ${how} a snapshot at ${index} term ${term}, but ${rec.by} had entry ${index} committed in term ${rec.term}`,
      );
    }
    if (nodeTerm < rec.commitTerm) rec.commitTerm = nodeTerm;
  }

  /** Application snapshots at the same index must hold the same bytes (state-machine safety). */
  onSnapshotData(node: NodeId, index: number, data: Uint8Array): void {
    if (index === 0) return;
    const s = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
    const rec = this.snapshots.get(index);
    if (rec === undefined) {
      this.snapshots.set(index, { data: s, by: node });
      return;
    }
    if (rec.data !== s) {
      throw new SimFailure(
        'state-machine-diverged',
        `${node}'s state at index ${index} differs from ${rec.by}'s: ${short(s)} vs ${short(rec.data)}`,
      );
    }
  }

  /**
   * Log matching: one (index, term) names one entry with one predecessor term
   * everywhere (by induction, the same whole prefix).
   */
  onAppend(node: NodeId, entries: readonly Entry[], prevTermOfFirst: number | undefined): void {
    let prevTerm = prevTermOfFirst;
    for (const e of entries) {
      const id = `${e.index}:${e.term}`;
      const key = entryKey(e);
      const rec = this.appended.get(id);
      if (rec === undefined) {
        this.appended.set(id, { key, prevTerm, by: node });
      } else {
        if (rec.key !== key) {
          throw new SimFailure(
            'log-matching',
            `entry ${e.index} term ${e.term} differs between ${rec.by} (${short(rec.key)}) and ${node} (${short(key)})`,
          );
        }
        if (rec.prevTerm !== undefined && prevTerm !== undefined && rec.prevTerm !== prevTerm) {
          throw new SimFailure(
            'log-matching',
            `entry ${e.index} term ${e.term} follows term ${rec.prevTerm} on ${rec.by} but term ${prevTerm} on ${node}`,
          );
        }
        if (rec.prevTerm === undefined) rec.prevTerm = prevTerm;
      }
      prevTerm = e.term;
    }
  }

  /**
   * Leader completeness: a node that just became leader of `term` holds every
   * entry committed in an earlier term (compacted ones through its snapshot).
   */
  checkLeaderComplete(node: NodeId, term: number, storage: Storage): void {
    if (this.maxCommitted === 0) return;
    const last = storage.lastIndex();
    const first = storage.firstIndex();
    const snap = storage.snapshot().meta;
    let ents: Entry[] = [];
    if (first <= Math.min(last, this.maxCommitted)) ents = storage.entries(first, Math.min(last, this.maxCommitted) + 1, Infinity);
    for (let i = this.maxCommitted; i >= 1; i--) {
      const rec = this.committed.get(i);
      if (!rec || rec.commitTerm >= term) continue;
      if (i < snap.index) break; // covered by the snapshot, checked below
      let held: { term: number; key: string | undefined } | undefined;
      if (i === snap.index) held = { term: snap.term, key: undefined };
      else if (i >= first && i <= last) {
        const e = ents[i - first]!;
        held = { term: e.term, key: entryKey(e) };
      }
      if (!held) {
        throw new SimFailure(
          'leader-incomplete',
          `${node} became leader of term ${term} with log ending at ${last}, but entry ${i} (term ${rec.term}) was committed by term ${rec.commitTerm}`,
        );
      }
      if (held.term !== rec.term || (held.key !== undefined && rec.key !== undefined && held.key !== rec.key)) {
        throw new SimFailure(
          'leader-incomplete',
          `${node} became leader of term ${term} with entry ${i} term ${held.term}, but term ${rec.term} ${short(rec.key)} was committed there by term ${rec.commitTerm} (seen by ${rec.by})`,
        );
      }
      if (i === snap.index) break;
    }
  }
}
