// The clients: each sends one operation at a time (put, get through
// ReadIndex, or compare-and-set) to a random live member and waits for the
// answer or its timeout. They never retry: an operation that times out is
// indeterminate in the history. Their view of events is the history that the
// linearizability checker judges.

import type { NodeId } from '../../manager/raft/core/types.js';
import type { TraceHash, VirtualClock } from './clock.js';
import { toCheckerHistory, type ClientOp } from './history.js';
import { encodeCommand, type Command, type CommandResult } from './kv.js';
import type { KvInput, KvOp, KvOutput } from './linearizability.js';
import type { SimNode } from './node.js';
import type { SimParams } from './params.js';
import type { Prng } from './prng.js';
import type { SimStats } from './stats.js';

type Node = SimNode<ClientOp>;

export interface WorkloadWorld {
  readonly clock: VirtualClock;
  readonly trace: TraceHash;
  readonly params: SimParams;
  readonly stats: SimStats;
  /** New operations are only issued while this is true. */
  active(): boolean;
  upNodes(): Node[];
  node(id: NodeId): Node | undefined;
  log(line: () => string): void;
}

interface Client {
  id: number;
  busy: boolean;
  /** The last value this client saw per key: its cas guesses start from it. */
  seen: Map<string, string | null>;
}

const enc = new TextEncoder();

export class Workload {
  readonly history: ClientOp[] = [];
  /** Op ids some replica applied: an unanswered op absent here had no effect anywhere. */
  readonly appliedOps = new Set<number>();
  /** Operations still waiting for an answer or a timeout. */
  pending = 0;
  private readonly clients: Client[] = [];
  /** History instants: a counter, so that real-time order is exact. */
  private instant = 0;
  private nextOpId = 1;
  private nextValue = 1;
  private readonly repeatIndices = new Set<number>();

  constructor(
    private readonly w: WorkloadWorld,
    private readonly rng: Prng,
  ) {}

  start(): void {
    for (let i = 0; i < this.w.params.clients; i++) {
      const c: Client = { id: i, busy: false, seen: new Map() };
      this.clients.push(c);
      this.next(c);
    }
  }

  private next(c: Client): void {
    const [lo, hi] = this.w.params.thinkMs;
    this.w.clock.after(this.rng.range(lo, hi), 'client', () => this.issue(c));
  }

  private newOp(client: number, input: KvInput, node: NodeId, status: ClientOp['status']): ClientOp {
    const op: ClientOp = { id: this.nextOpId++, client, input, call: ++this.instant, ret: Infinity, output: undefined, status, node };
    this.history.push(op);
    this.w.stats.opsIssued++;
    return op;
  }

  private chooseInput(c: Client): KvInput {
    const rng = this.rng;
    const key = `k${rng.int(this.w.params.keys)}`;
    const r = rng.float();
    if (r < 0.4) return { kind: 'get', key };
    if (r < 0.75) return { kind: 'put', key, value: `v${this.nextValue++}` };
    const seen = c.seen.get(key);
    const expected = seen !== undefined && rng.chance(0.8) ? seen : rng.chance(0.5) ? null : `v${rng.range(1, this.nextValue)}`;
    return { kind: 'cas', key, expected, value: `v${this.nextValue++}` };
  }

  private issue(c: Client): void {
    const w = this.w;
    if (!w.active() || c.busy) return;
    const targets = w.upNodes();
    if (targets.length === 0) {
      w.clock.after(20, 'client', () => this.issue(c));
      return;
    }
    const node = this.rng.pick(targets);
    const input = this.chooseInput(c);
    const op = this.newOp(c.id, input, node.id, 'pending');
    this.pending++;
    c.busy = true;
    w.trace.num(op.id);
    w.trace.str(node.id);
    w.log(() => `c${c.id} -> ${node.id}: #${op.id} ${JSON.stringify(input)}`);
    if (input.kind === 'get') {
      w.stats.reads++;
      const ctx = String(op.id);
      node.pendingReads.set(ctx, { op, index: -1 });
      node.core().readIndex(enc.encode(ctx));
    } else {
      w.stats.writes++;
      const cmd: Command =
        input.kind === 'put'
          ? { op: op.id, kind: 'put', key: input.key, value: input.value }
          : { op: op.id, kind: 'cas', key: input.key, expected: input.expected, value: input.value };
      node.pendingWrites.set(op.id, { op, index: -1 });
      const err = node.core().propose(encodeCommand(cmd));
      if (err) {
        // The core dropped it: it can never take effect (checked at the end).
        node.pendingWrites.delete(op.id);
        op.status = 'failed';
        op.ret = ++this.instant;
        this.pending--;
        w.stats.opsFailed++;
        w.log(() => `c${c.id} #${op.id} refused: ${err.code}`);
        c.busy = false;
        this.next(c);
        return;
      }
    }
    node.handle();
    w.clock.after(w.params.opTimeoutMs, 'timeout', () => {
      if (op.status !== 'pending') return;
      op.status = 'timeout';
      this.pending--;
      w.stats.opsIndeterminate++;
      const n = w.node(op.node);
      n?.pendingWrites.delete(op.id);
      n?.pendingReads.delete(String(op.id));
      w.log(() => `c${c.id} #${op.id} timed out`);
      c.busy = false;
      this.next(c);
    });
  }

  private complete(op: ClientOp, out: KvOutput): void {
    if (op.status !== 'pending') return;
    op.status = 'ok';
    op.output = out;
    op.ret = ++this.instant;
    this.pending--;
    this.w.stats.opsOk++;
    const c = this.clients[op.client]!;
    const i = op.input;
    if (out.kind === 'get') c.seen.set(i.key, out.value);
    else if (i.kind === 'put' || (i.kind === 'cas' && out.kind === 'cas' && out.ok)) c.seen.set(i.key, i.value);
    this.w.trace.num(op.id);
    this.w.log(() => `c${c.id} #${op.id} ok ${JSON.stringify(out)}`);
    c.busy = false;
    this.next(c);
  }

  /** A member applied entry `index` carrying `cmd`; the client that sent it there gets its answer. */
  onCommandApplied(node: Node, index: number, cmd: Command, result: CommandResult, repeat: boolean): void {
    this.appliedOps.add(cmd.op);
    if (repeat && !this.repeatIndices.has(index)) {
      this.repeatIndices.add(index);
      this.w.stats.duplicateCommits++;
    }
    const waiting = node.pendingWrites.get(cmd.op);
    if (!waiting) return;
    node.pendingWrites.delete(cmd.op);
    this.complete(waiting.op, cmd.kind === 'put' ? { kind: 'put' } : { kind: 'cas', ok: result });
  }

  onReadServed(op: ClientOp, value: string | null): void {
    this.complete(op, { kind: 'get', value });
  }

  /** A put outside any client (the Figure 8 prelude's): indeterminate from the start. */
  proposeMarked(node: Node): boolean {
    const value = `v${this.nextValue++}`;
    const op = this.newOp(-1, { kind: 'put', key: 'k0', value }, node.id, 'timeout');
    this.w.stats.opsIndeterminate++;
    const err = node.core().propose(encodeCommand({ op: op.id, kind: 'put', key: 'k0', value }));
    node.handle();
    if (err) op.status = 'failed';
    return err === null;
  }

  /** Ops the core refused that some replica applied anyway (a broken promise of `propose`). */
  refusedButApplied(): ClientOp[] {
    return this.history.filter((o) => o.status === 'failed' && this.appliedOps.has(o.id));
  }

  checkerHistory(): KvOp[] {
    return toCheckerHistory(this.history, this.appliedOps);
  }
}
