// In-memory Storage. ents[0] is a dummy at the snapshot (compaction) point so
// that term(firstIndex-1) answers without a second lookup; its data is never read.

import { EntryType, RaftError, RaftErrorCode } from './types.js';
import type { ConfState, Entry, HardState, Snapshot } from './types.js';
import type { Storage } from './storage.js';
import { cloneConf, limitSize } from './util.js';
import { bootstrapState } from './bootstrap.js';
import type { NodeId } from './types.js';

const EMPTY = new Uint8Array(0);

export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: '', commit: 0 };
  private conf: ConfState = { voters: [], learners: [] };
  private snap: Snapshot = { meta: { index: 0, term: 0, conf: { voters: [], learners: [] } }, data: EMPTY };
  private ents: Entry[] = [{ term: 0, index: 0, type: EntryType.Normal, data: EMPTY }];

  /** A founding member's storage for a new cluster of `voters` (see bootstrap.ts). */
  static bootstrap(voters: NodeId[]): MemoryStorage {
    const s = new MemoryStorage();
    const b = bootstrapState(voters);
    s.append(b.entries);
    s.setHardState(b.hardState);
    s.setConf(b.conf);
    return s;
  }

  initialState(): { hardState: HardState; conf: ConfState } {
    return { hardState: { ...this.hardState }, conf: cloneConf(this.conf) };
  }

  hardStateNow(): HardState {
    return { ...this.hardState };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  /** The membership as last applied; returned by initialState() on restart. */
  setConf(conf: ConfState): void {
    this.conf = cloneConf(conf);
  }

  private offset(): number {
    return this.ents[0].index;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  term(i: number): number {
    const off = this.offset();
    if (i < off) throw new RaftError(RaftErrorCode.Compacted, `term(${i}): compacted below ${off}`);
    if (i - off >= this.ents.length) throw new RaftError(RaftErrorCode.Unavailable, `term(${i}): beyond ${this.lastIndex()}`);
    return this.ents[i - off].term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const off = this.offset();
    if (lo <= off) throw new RaftError(RaftErrorCode.Compacted, `entries(${lo}): compacted through ${off}`);
    if (hi > this.lastIndex() + 1) {
      throw new RaftError(RaftErrorCode.Unavailable, `entries(${lo}, ${hi}): beyond ${this.lastIndex()}`);
    }
    if (lo >= hi) return [];
    return limitSize(this.ents.slice(lo - off, hi - off), maxBytes);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with `snap` (a follower installing the leader's snapshot). */
  applySnapshot(snap: Snapshot): void {
    if (snap.meta.index <= this.snap.meta.index) {
      throw new RaftError(RaftErrorCode.SnapOutOfDate, `snapshot ${snap.meta.index} is not newer than ${this.snap.meta.index}`);
    }
    this.snap = snap;
    this.conf = cloneConf(snap.meta.conf);
    this.ents = [{ term: snap.meta.term, index: snap.meta.index, type: EntryType.Normal, data: EMPTY }];
  }

  /** Records the application's state at `index` as the current snapshot; the log is untouched. */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.meta.index) {
      throw new RaftError(RaftErrorCode.SnapOutOfDate, `snapshot ${index} is not newer than ${this.snap.meta.index}`);
    }
    if (index > this.lastIndex()) throw new RaftError(RaftErrorCode.Unavailable, `snapshot ${index} beyond ${this.lastIndex()}`);
    this.snap = { meta: { index, term: this.term(index), conf: cloneConf(conf) }, data };
    return this.snap;
  }

  /**
   * Drops entries up to and including `index`. Not past the snapshot: a follower that
   * needs an entry between the snapshot and the compaction point could then be served
   * by neither, and would loop on snapshots forever.
   */
  compact(index: number): void {
    const off = this.offset();
    if (index <= off) return;
    if (index > this.snap.meta.index) {
      throw new RaftError(RaftErrorCode.Unavailable, `compact(${index}) past snapshot ${this.snap.meta.index}`);
    }
    const i = index - off;
    const dummy: Entry = { term: this.ents[i].term, index, type: EntryType.Normal, data: EMPTY };
    this.ents = [dummy, ...this.ents.slice(i + 1)];
  }

  /** Appends, replacing any existing suffix from entries[0].index on. */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const lastNew = entries[entries.length - 1].index;
    if (lastNew < first) return;
    let ents = entries;
    if (ents[0].index < first) ents = ents.slice(first - ents[0].index);
    const off = ents[0].index - this.offset();
    if (off > this.ents.length) {
      throw new RaftError(RaftErrorCode.Unavailable, `append at ${ents[0].index} leaves a gap after ${this.lastIndex()}`);
    }
    // In place: copying the whole log on every append cost milliseconds per Ready once
    // it held ten thousand entries. No one else holds this array (clone() copies it).
    this.ents.length = off;
    for (const e of ents) this.ents.push(e);
  }

  /** Cheap copy: entries and snapshot data are immutable, so they are shared. */
  clone(): MemoryStorage {
    const c = new MemoryStorage();
    c.hardState = { ...this.hardState };
    c.conf = cloneConf(this.conf);
    c.snap = this.snap;
    c.ents = this.ents.slice();
    return c;
  }
}
