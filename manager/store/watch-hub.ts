// Change history and watchers. A watcher registered from index i sees every change with
// index > i exactly once and in order: first the retained history, then live changes, all
// delivered synchronously from the thread that applies (no gap can open between the two).
// History is local to this process (not replicated): after a restore a watcher must re-list.

import type { ChangeEvent } from './results.js';

export interface WatchCloseReason {
  /** Compacted: the store was restored from a snapshot, so changes may have been skipped. Failed: the callback threw. */
  code: 'Compacted' | 'Failed';
  message: string;
  cause?: unknown;
}

export interface WatchOptions {
  /** Called once if the store ends the watch (never after cancel()). */
  onClose?: (reason: WatchCloseReason) => void;
}

export interface Watch {
  cancel(): void;
}

/** Thrown by watch() when changes after `fromIndex` are no longer in memory: re-list, then watch from the listing's index. */
export class CompactedError extends Error {
  readonly code = 'Compacted';

  constructor(
    readonly fromIndex: number,
    /** The smallest fromIndex that can be served now. */
    readonly oldestWatchable: number,
  ) {
    super(`changes after index ${fromIndex} were compacted; watch from ${oldestWatchable} or later after re-listing`);
    this.name = 'CompactedError';
  }
}

interface Watcher {
  from: number;
  cb: (ev: ChangeEvent) => void;
  onClose: ((reason: WatchCloseReason) => void) | undefined;
  open: boolean;
}

export class WatchHub {
  private events: ChangeEvent[] = [];
  private head = 0;
  /** Every change with index > floor is in `events`. */
  private floor: number;
  private watchers: Watcher[] = [];

  constructor(
    private readonly limit: number,
    floor = 0,
  ) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('history limit must be a positive integer');
    this.floor = floor;
  }

  oldestWatchable(): number {
    return this.floor;
  }

  retained(): number {
    return this.events.length - this.head;
  }

  watch(fromIndex: number, cb: (ev: ChangeEvent) => void, opts: WatchOptions = {}): Watch {
    if (!Number.isSafeInteger(fromIndex) || fromIndex < 0) throw new RangeError('fromIndex must be a non-negative integer');
    if (fromIndex < this.floor) throw new CompactedError(fromIndex, this.floor);
    const w: Watcher = { from: fromIndex, cb, onClose: opts.onClose, open: true };
    const handle: Watch = {
      cancel: () => {
        w.open = false;
        this.watchers = this.watchers.filter((x) => x !== w);
      },
    };
    for (let i = this.firstAfter(fromIndex); i < this.events.length && w.open; i++) this.deliver(w, this.events[i]);
    if (w.open) this.watchers.push(w);
    return handle;
  }

  /** All changes of one applied index, in order. */
  publish(changes: ChangeEvent[]): void {
    for (const ev of changes) this.events.push(ev);
    this.trim();
    if (this.watchers.length === 0) return;
    for (const w of this.watchers.slice()) {
      for (const ev of changes) {
        if (!w.open) break;
        if (ev.index > w.from) this.deliver(w, ev);
      }
    }
  }

  /** Forget history (the state was replaced) and end every watch: they would miss changes. */
  reset(floor: number): void {
    this.events = [];
    this.head = 0;
    this.floor = floor;
    const ws = this.watchers;
    this.watchers = [];
    for (const w of ws) this.close(w, { code: 'Compacted', message: `store restored from a snapshot at index ${floor}; re-list` });
  }

  private deliver(w: Watcher, ev: ChangeEvent): void {
    try {
      w.cb(ev);
    } catch (e) {
      // One faulty consumer must not stop apply (that would stop the manager), nor starve the others.
      this.watchers = this.watchers.filter((x) => x !== w);
      this.close(w, { code: 'Failed', message: `watch callback threw: ${(e as Error)?.message ?? String(e)}`, cause: e });
    }
  }

  private close(w: Watcher, reason: WatchCloseReason): void {
    if (!w.open) return;
    w.open = false;
    try {
      w.onClose?.(reason);
    } catch {
      // Nothing sensible is left to tell the consumer; apply must go on.
    }
  }

  /** Drops whole indices from the front so a watch never starts in the middle of a transaction. */
  private trim(): void {
    while (this.events.length - this.head > this.limit) {
      const idx = this.events[this.head].index;
      let end = this.head;
      while (end < this.events.length && this.events[end].index === idx) end++;
      if (end === this.events.length) break; // the newest index alone exceeds the limit: keep it
      this.head = end;
      this.floor = idx;
    }
    if (this.head > 4096 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  private firstAfter(index: number): number {
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid].index <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
