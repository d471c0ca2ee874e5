// Results of recent commands by request id. It serves two purposes: the proposer picks up
// its result after apply, and a command proposed twice (a retry after a leader change) gets
// the first result instead of running again. Because of the second, the log is replicated
// state: it is in the snapshot, and which entries it keeps depends only on the entries
// applied (the oldest by index leaves first), never on when anyone asked.

import type { CommandResult } from './results.js';

export interface RequestRecord {
  requestId: string;
  index: number;
  result: CommandResult;
}

export class RequestLog {
  private readonly records = new Map<string, RequestRecord>();
  /** Request ids in index order; `head` is the oldest still kept. */
  private order: string[] = [];
  private head = 0;

  constructor(readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('request log limit must be a positive integer');
  }

  get(requestId: string): RequestRecord | undefined {
    return this.records.get(requestId);
  }

  /** Only for ids not on file (apply answers a known id from the log instead). */
  record(requestId: string, index: number, result: CommandResult): void {
    this.records.set(requestId, { requestId, index, result });
    this.order.push(requestId);
    while (this.records.size > this.limit) this.records.delete(this.order[this.head++]);
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  /** Oldest first. */
  *all(): IterableIterator<RequestRecord> {
    for (let i = this.head; i < this.order.length; i++) {
      const r = this.records.get(this.order[i]);
      if (r) yield r;
    }
  }

  get size(): number {
    return this.records.size;
  }
}
