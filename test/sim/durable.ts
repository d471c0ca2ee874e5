// A simulated disk under one node: what the core reads (`live`, every write so
// far) and what would survive a crash (`synced`, every write up to the last
// fsync). Writes land in order, as in a log file: an fsync makes every earlier
// write durable too, and a crash loses exactly the writes since the last fsync.

import { MemoryStorage } from '../../manager/raft/core/memory_storage.js';
import type { ConfState, Entry, HardState, Ready, Snapshot } from '../../manager/raft/core/types.js';

type Write =
  | { kind: 'snapshot'; snap: Snapshot }
  | { kind: 'entries'; entries: Entry[] }
  | { kind: 'hardState'; hs: HardState }
  | { kind: 'conf'; conf: ConfState }
  | { kind: 'createSnapshot'; index: number; conf: ConfState; data: Uint8Array }
  | { kind: 'compact'; index: number };

function perform(s: MemoryStorage, w: Write): void {
  switch (w.kind) {
    case 'snapshot':
      s.applySnapshot(w.snap);
      return;
    case 'entries':
      s.append(w.entries);
      return;
    case 'hardState':
      s.setHardState(w.hs);
      return;
    case 'conf':
      s.setConf(w.conf);
      return;
    case 'createSnapshot':
      s.createSnapshot(w.index, w.conf, w.data);
      return;
    case 'compact':
      s.compact(w.index);
      return;
  }
}

export class SimDisk {
  live: MemoryStorage;
  private synced: MemoryStorage;
  private unsynced: Write[] = [];
  /** Fsyncs done, for the statistics. */
  syncs = 0;

  constructor(initial?: MemoryStorage) {
    this.synced = initial ?? new MemoryStorage();
    this.live = this.synced.clone();
  }

  /** Duty 1 of a Ready: snapshot, then entries, then hard state; fsync if the core says so. */
  persistReady(rd: Ready): void {
    if (rd.snapshot) this.write({ kind: 'snapshot', snap: rd.snapshot });
    if (rd.entries.length > 0) this.write({ kind: 'entries', entries: rd.entries });
    if (rd.hardState) this.write({ kind: 'hardState', hs: rd.hardState });
    if (rd.mustSync) this.fsync();
  }

  /** Membership as applied; the driver writes it synced, and so do we. */
  saveConf(conf: ConfState): void {
    this.write({ kind: 'conf', conf });
    this.fsync();
  }

  /** The application's snapshot and the compaction after it: synced, as the driver does. */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array, compactTo: number): void {
    this.write({ kind: 'createSnapshot', index, conf, data });
    if (compactTo > 0) this.write({ kind: 'compact', index: compactTo });
    this.fsync();
  }

  /** A crash: unsynced writes vanish; the core will be rebuilt on `live`. */
  crash(): { lostWrites: number } {
    const lostWrites = this.unsynced.length;
    this.unsynced = [];
    this.live = this.synced.clone();
    return { lostWrites };
  }

  private write(w: Write): void {
    perform(this.live, w);
    this.unsynced.push(w);
  }

  private fsync(): void {
    for (const w of this.unsynced) perform(this.synced, w);
    this.unsynced = [];
    this.syncs++;
  }
}
