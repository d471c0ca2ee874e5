// ReadIndex in its safe form: the leader notes its commit index when a read arrives,
// then proves it is still leader with a heartbeat round carrying the read's context.
// Once a majority of voters echoes that context, reads at that index are linearizable.
// Requests are answered in arrival order, and an ack for a later request confirms all
// earlier ones too (the leader was still leader when it sent the later heartbeat).

import type { NodeId } from './types.js';
import { bytesKey } from './util.js';

export interface ReadRequest {
  /** Who asked: this node (answer into readStates) or a follower (answer by ReadIndexResp). */
  from: NodeId;
  context: Uint8Array;
}

export interface ReadIndexStatus {
  req: ReadRequest;
  index: number;
  acks: Set<NodeId>;
}

export class ReadOnly {
  private pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** Registers a read at `index`; a context already pending is ignored (it will be answered once). */
  add(index: number, req: ReadRequest): void {
    const k = bytesKey(req.context);
    if (this.pending.has(k)) return;
    this.pending.set(k, { req, index, acks: new Set() });
    this.queue.push(k);
  }

  /** Records that `id` echoed `context`; returns who has acked it so far. */
  recvAck(id: NodeId, context: Uint8Array): Set<NodeId> | undefined {
    const st = this.pending.get(bytesKey(context));
    if (!st) return undefined;
    st.acks.add(id);
    return st.acks;
  }

  /** Removes and returns every request up to and including the one with `context`. */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const k = bytesKey(context);
    const at = this.queue.indexOf(k);
    if (at < 0) return [];
    const keys = this.queue.splice(0, at + 1);
    const out: ReadIndexStatus[] = [];
    for (const key of keys) {
      const st = this.pending.get(key);
      if (st) out.push(st);
      this.pending.delete(key);
    }
    return out;
  }

  lastPendingContext(): Uint8Array | undefined {
    if (this.queue.length === 0) return undefined;
    return this.pending.get(this.queue[this.queue.length - 1])?.req.context;
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
