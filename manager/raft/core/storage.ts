// The core reads the stable log through this interface; it never writes to it.
// The driver appends what a Ready told it to persist, and compacts after snapshots.
// MemoryStorage is the in-memory mirror both the driver and the simulator use:
// the driver keeps it in step with LevelDB, the simulator keeps it as "what is synced".

import type { ConfState, Entry, HardState, Snapshot } from './types.js';

export interface Storage {
  initialState(): { hardState: HardState; conf: ConfState };
  /** Entries [lo, hi), at most `maxBytes` of data (always at least one entry). Throws RaftError(Compacted/Unavailable). */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Term of the entry at `i`; valid for firstIndex()-1 ..= lastIndex(). Throws RaftError(Compacted/Unavailable). */
  term(i: number): number;
  /** First index still in the log (snapshot index + 1 after compaction). */
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot. Throws RaftError(Unavailable) while one is being produced. */
  snapshot(): Snapshot;
}
