// Chunked snapshot transfer. A snapshot can be far larger than one message, and a
// single huge message would hold heartbeats up behind it on the stream, so the leader
// sends it in chunks with a small window, and the follower acknowledges the next
// offset it wants. Lost chunks are recovered by rewinding to the acknowledged offset.

import type { NodeId, Snapshot } from './types.js';

/** Leader side, one per follower in Snapshot state. Offsets count bytes of snapshot data. */
export class SnapshotSender {
  /** Next offset the follower reported wanting. */
  acked = 0;
  /** Offset up to which chunks were sent. */
  sent = 0;
  /** The final chunk went out (needed separately: a zero-byte snapshot has sent === total from the start). */
  doneSent = false;
  /** Leader ticks since the follower last acknowledged progress. */
  stalledTicks = 0;
  private lastRewind = -1;
  private rewoundThisTick = false;

  constructor(
    readonly snap: Snapshot,
    readonly chunkSize: number,
    readonly maxInflightChunks: number,
  ) {}

  total(): number {
    return this.snap.data.length;
  }

  inflightChunks(): number {
    return this.sent > this.acked ? Math.ceil((this.sent - this.acked) / this.chunkSize) : 0;
  }

  /** The next chunk to send, or undefined when the window is full or everything went out. */
  nextChunk(): { offset: number; data: Uint8Array; done: boolean } | undefined {
    if (this.doneSent) return undefined;
    if (this.inflightChunks() >= Math.max(1, this.maxInflightChunks)) return undefined;
    const offset = this.sent;
    const end = Math.min(offset + this.chunkSize, this.total());
    const done = end === this.total();
    this.sent = end;
    this.doneSent = done;
    return { offset, data: this.snap.data.subarray(offset, end), done };
  }

  /** The follower has everything before `offset`. Acks can arrive reordered, so only growth counts. */
  onAck(offset: number): void {
    if (offset > this.acked && offset <= this.total()) {
      this.acked = offset;
      if (this.sent < this.acked) this.sent = this.acked;
      this.stalledTicks = 0;
    }
  }

  /**
   * The follower found a gap (or lost its buffer) and wants `offset` next. Several
   * such reports for one loss arrive together; one rewind per offset per tick is enough.
   */
  onResendRequest(offset: number): boolean {
    if (offset > this.total()) return false;
    if (offset === this.lastRewind && this.rewoundThisTick) return false;
    this.acked = offset;
    this.rewind();
    return true;
  }

  onTick(): void {
    this.stalledTicks++;
    this.rewoundThisTick = false;
  }

  /** Resend from the acknowledged offset. */
  rewind(): void {
    this.lastRewind = this.acked;
    this.rewoundThisTick = true;
    this.sent = this.acked;
    this.doneSent = false;
    this.stalledTicks = 0;
  }
}

/** Follower side: reassembles the chunks of one snapshot from one leader in one term. */
export class SnapshotReceiver {
  private readonly buf: Uint8Array;
  received = 0;

  constructor(
    readonly leader: NodeId,
    readonly term: number,
    readonly index: number,
    readonly snapTerm: number,
    readonly total: number,
  ) {
    this.buf = new Uint8Array(total);
  }

  matches(leader: NodeId, term: number, index: number, snapTerm: number, total: number): boolean {
    return this.leader === leader && this.term === term && this.index === index && this.snapTerm === snapTerm && this.total === total;
  }

  /** Accepts the chunk if it is the next one; returns whether it was. */
  accept(offset: number, data: Uint8Array): boolean {
    if (offset !== this.received || offset + data.length > this.total) return false;
    this.buf.set(data, offset);
    this.received += data.length;
    return true;
  }

  complete(): boolean {
    return this.received === this.total;
  }

  data(): Uint8Array {
    return this.buf;
  }
}
