// The Raft log as the core sees it: the stable part the driver persisted (Storage)
// followed by the unstable part it has not, plus the commit and apply cursors.
//
// Cursors: applied <= applying <= committed <= lastIndex. `applying` is how far
// committed entries were handed to the driver in a Ready; `applied` how far it confirmed.

import { RaftError, RaftErrorCode } from './types.js';
import type { Entry, Snapshot } from './types.js';
import type { Storage } from './storage.js';
import { Unstable } from './unstable.js';
import { isCompacted, limitSize } from './util.js';

export interface TermHint {
  index: number;
  term: number;
}

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  committed: number;
  applied: number;
  applying: number;

  constructor(storage: Storage) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.committed = first - 1;
    this.applied = first - 1;
    this.applying = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  /**
   * The last index that is on disk and still part of this log: storage may hold a stale
   * suffix the unstable tail is about to overwrite, so take the smaller of the two.
   */
  stableIndex(): number {
    return Math.min(this.storage.lastIndex(), this.unstable.offset - 1);
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Term at `i`; 0 past the end; throws Compacted before firstIndex-1. */
  term(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy) throw new RaftError(RaftErrorCode.Compacted, `term(${i}): compacted below ${dummy}`);
    if (i > this.lastIndex()) return 0;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    return this.storage.term(i);
  }

  /** Term at `i`, or 0 when it is compacted or absent (for comparisons that treat both as a miss). */
  termOrZero(i: number): number {
    try {
      return this.term(i);
    } catch (e) {
      if (e instanceof RaftError) return 0;
      throw e;
    }
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  matchTerm(i: number, t: number): boolean {
    if (i > this.lastIndex()) return false;
    try {
      return this.term(i) === t;
    } catch (e) {
      if (e instanceof RaftError) return false;
      throw e;
    }
  }

  /** A candidate whose log ends at (lastIndex, lastTerm) is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Follower side of App: if our entry at `index` has `logTerm`, append `ents` (dropping
   * what we already have, truncating at the first conflict) and return the new last index.
   * Null means the consistency check failed.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | null {
    if (!this.matchTerm(index, logTerm)) return null;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new Error(`raft: entry ${ci} conflicts with committed entry (committed ${this.committed})`);
      }
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** Index of the first entry in `ents` whose term differs from ours (or that we lack); 0 if none. */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term. A rejecting
   * follower uses it to tell the leader where their logs may agree, and the leader uses
   * it again on its own log, so a divergent suffix is skipped a term at a time rather
   * than an entry at a time.
   */
  findConflictByTerm(index: number, term: number): TermHint {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      let t: number;
      try {
        t = this.term(i);
      } catch (e) {
        if (isCompacted(e)) return { index: i, term: 0 };
        throw e;
      }
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0].index - 1;
    if (after < this.committed) {
      throw new Error(`raft: append after ${after} is below committed ${this.committed}`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Entries from `i` to the end, at most `maxBytes` (but at least one). */
  entries(i: number, maxBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxBytes);
  }

  /** Entries [lo, hi) limited by bytes; throws Compacted if lo is gone. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.firstIndex()) throw new RaftError(RaftErrorCode.Compacted, `slice(${lo}): compacted`);
    if (hi > this.lastIndex() + 1) throw new Error(`raft: slice(${lo}, ${hi}) beyond ${this.lastIndex()}`);
    if (lo >= hi) return [];
    let ents: Entry[] = [];
    const uoff = this.unstable.offset;
    if (lo < uoff) {
      const stableHi = Math.min(hi, uoff);
      ents = this.storage.entries(lo, stableHi, maxBytes);
      // Storage already cut the batch short for size: the unstable part cannot follow.
      if (ents.length < stableHi - lo) return ents;
    }
    if (hi > uoff) {
      const u = this.unstable.slice(Math.max(lo, uoff), hi);
      ents = ents.length > 0 ? ents.concat(u) : u;
    }
    return limitSize(ents, maxBytes);
  }

  commitTo(i: number): void {
    if (i <= this.committed) return;
    if (i > this.lastIndex()) {
      throw new Error(`raft: commit ${i} is out of range [last ${this.lastIndex()}]`);
    }
    this.committed = i;
  }

  appliedTo(i: number): void {
    if (i === 0 || i <= this.applied) return;
    if (i > this.committed) throw new Error(`raft: applied ${i} beyond committed ${this.committed}`);
    this.applied = i;
    if (this.applying < i) this.applying = i;
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** Committed entries not yet handed out for applying (none while a snapshot is pending). */
  nextCommittedEnts(maxBytes: number): Entry[] {
    if (this.hasPendingSnapshot()) return [];
    const lo = Math.max(this.applying + 1, this.firstIndex());
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, maxBytes);
  }

  hasNextCommittedEnts(): boolean {
    if (this.hasPendingSnapshot()) return false;
    return this.committed > Math.max(this.applying, this.firstIndex() - 1);
  }

  acceptApplying(i: number): void {
    if (i > this.applying) this.applying = i;
  }

  /** The snapshot a lagging follower needs: the pending one if any, else storage's. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  restore(s: Snapshot): void {
    this.committed = s.meta.index;
    this.unstable.restore(s);
  }
}
