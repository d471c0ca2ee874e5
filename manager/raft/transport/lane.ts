// One outbound stream to one peer: a bounded queue of messages, batched into
// gRPC requests on a long-lived client stream. Never blocks the caller: when the
// queue is full or the stream is down, messages are dropped and the peer is
// reported unreachable (Raft retransmits what matters).
import type * as grpc from '@grpc/grpc-js';
import { Metadata, status as Status } from '@grpc/grpc-js';
import type { Message, NodeId } from '../core/types.js';
import { encodeBatch } from './codec.js';
import { STREAM_PATH, passThrough, readEnd, type StreamEnd } from './service.js';

export interface LaneLimits {
  /** Messages queued (not yet handed to gRPC) before new ones are dropped. */
  maxMessages: number;
  /** Approximate bytes queued before new messages are dropped. */
  maxBytes: number;
  /** Approximate bytes per gRPC request; a single larger message still goes alone. */
  maxBatchBytes: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** A stream the peer has not accepted by then is given up (a peer that takes TCP but never answers). */
  openTimeoutMs: number;
}

export interface LaneHost {
  readonly peer: NodeId;
  readonly client: grpc.Client;
  readonly limits: LaneLimits;
  log(msg: string): void;
  /** The stream failed or messages were dropped: tell the core (coalesced by the transport). */
  unreachable(): void;
}

/** Rough encoded size, enough for queue bounds and batch sizing. */
function approxSize(m: Message): number {
  let n = 48 + m.from.length + m.to.length;
  for (let i = 0; i < m.entries.length; i++) n += 24 + m.entries[i]!.data.length;
  if (m.snapshot) n += 64 + m.snapshot.data.length;
  if (m.context) n += m.context.length + 4;
  return n;
}

export class Lane {
  private queue: Message[] = [];
  private sizes: number[] = [];
  private head = 0;
  private queuedBytes = 0;
  private call: grpc.ClientWritableStream<Buffer> | null = null;
  /** gRPC's write buffer is full: wait for 'drain' before writing more. */
  private waitingDrain = false;
  /** The server accepted the current stream (sent its response headers). */
  private up = false;
  /** After a failure, messages are refused until this timer fires. */
  private retryTimer: NodeJS.Timeout | null = null;
  private openTimer: NodeJS.Timeout | null = null;
  private openTimedOut = false;
  private backoffMs: number;
  private closed = false;

  constructor(
    private readonly host: LaneHost,
    readonly name: string,
  ) {
    this.backoffMs = host.limits.backoffMinMs;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  get isUp(): boolean {
    return this.up;
  }

  /** Queue `m`; false if it was dropped. */
  enqueue(m: Message): boolean {
    if (this.closed || this.retryTimer !== null) return false;
    const size = approxSize(m);
    const lim = this.host.limits;
    if (this.queued >= lim.maxMessages || (this.queued > 0 && this.queuedBytes + size > lim.maxBytes)) return false;
    this.queue.push(m);
    this.sizes.push(size);
    this.queuedBytes += size;
    return true;
  }

  /** Hand queued messages to gRPC, as many as its write buffer takes. */
  flush(): void {
    if (this.closed || this.retryTimer !== null || this.queued === 0) return;
    if (!this.call) this.open();
    const call = this.call!;
    const maxBatch = this.host.limits.maxBatchBytes;
    while (this.head < this.queue.length && !this.waitingDrain && this.call === call) {
      const start = this.head;
      let end = start;
      let bytes = 0;
      while (end < this.queue.length && (end === start || bytes + this.sizes[end]! <= maxBatch)) bytes += this.sizes[end++]!;
      let buf: Buffer | null = null;
      try {
        buf = encodeBatch(this.queue, start, end);
      } catch (e) {
        this.host.log(`raft transport: dropped ${end - start} message(s) to ${this.host.peer} that cannot be encoded: ${(e as Error).message}`);
      }
      this.head = end;
      this.queuedBytes -= bytes;
      if (this.head === this.queue.length) this.reset();
      if (buf && !call.write(buf)) this.waitingDrain = true;
    }
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.clearOpenTimer();
    const call = this.call;
    this.call = null;
    this.reset();
    call?.cancel();
  }

  private reset(): void {
    this.queue = [];
    this.sizes = [];
    this.head = 0;
    this.queuedBytes = 0;
  }

  private open(): void {
    const call = this.host.client.makeClientStreamRequest<Buffer, StreamEnd>(STREAM_PATH, passThrough, readEnd, new Metadata(), {}, (err) =>
      this.ended(call, err),
    );
    this.call = call;
    this.waitingDrain = false;
    this.openTimedOut = false;
    this.openTimer = setTimeout(() => {
      this.openTimer = null;
      if (this.call !== call || this.up) return;
      this.openTimedOut = true;
      call.cancel();
    }, this.host.limits.openTimeoutMs);
    this.openTimer.unref();
    call.on('metadata', () => {
      if (this.call !== call) return;
      this.clearOpenTimer();
      this.backoffMs = this.host.limits.backoffMinMs;
      if (!this.up) {
        this.up = true;
        this.host.log(`raft transport: ${this.name} stream to ${this.host.peer} is up`);
      }
    });
    call.on('drain', () => {
      if (this.call !== call) return;
      this.waitingDrain = false;
      this.flush();
    });
    // Failures arrive through the callback (with the status); this only keeps
    // an 'error' event from becoming an uncaught exception.
    call.on('error', () => undefined);
  }

  private clearOpenTimer(): void {
    if (this.openTimer) clearTimeout(this.openTimer);
    this.openTimer = null;
  }

  private ended(call: grpc.ClientWritableStream<Buffer>, err: grpc.ServiceError | null): void {
    if (this.call !== call || this.closed) return;
    this.clearOpenTimer();
    this.call = null;
    this.waitingDrain = false;
    const dropped = this.queued;
    this.reset();
    const wasUp = this.up;
    this.up = false;
    const why = this.openTimedOut
      ? `no answer within ${this.host.limits.openTimeoutMs} ms`
      : err
        ? `${Status[err.code] ?? err.code}: ${err.details || err.message}`
        : 'closed by the peer';
    const delay = Math.round(this.backoffMs * (0.8 + 0.4 * Math.random()));
    if (wasUp || this.backoffMs === this.host.limits.backoffMinMs) {
      this.host.log(`raft transport: ${this.name} stream to ${this.host.peer} ${wasUp ? 'went down' : 'failed'} (${why}); ${dropped} queued message(s) dropped; retrying in ${delay} ms`);
    }
    this.backoffMs = Math.min(this.backoffMs * 2, this.host.limits.backoffMaxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
    }, delay);
    this.retryTimer.unref();
    this.host.unreachable();
  }
}
