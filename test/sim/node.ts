// One simulated Raft member: the real core (RawNode) on a simulated disk,
// with the KV state machine on top. It performs a Ready's duties in the order
// types.ts prescribes (persist, then send, then apply, then advance) and
// reports everything it sees to the invariant checker as it goes.

import { RawNode } from '../../manager/raft/core/rawnode.js';
import { decodeConfChange } from '../../manager/raft/core/confchange.js';
import type { CoreConfig } from '../../manager/raft/core/config.js';
import {
  EntryType,
  Role,
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type Ready,
} from '../../manager/raft/core/types.js';
import { SimDisk } from './durable.js';
import { Invariants, SimFailure } from './invariants.js';
import { KvStateMachine, decodeCommand, type Command, type CommandResult } from './kv.js';
import type { Prng } from './prng.js';

/** Core settings the simulation varies per seed (the rest is per node). */
export type CoreParams = Omit<CoreConfig, 'id' | 'storage' | 'applied' | 'rand'>;

/** A client operation waiting at this node for its entry to apply or its read to be served. */
export interface Waiting<T> {
  op: T;
  /** Reads: the index the leader confirmed, -1 until it has. */
  index: number;
}

/** What a node tells the cluster around it. */
export interface NodeHost<T extends { input: { key: string } }> {
  readonly inv: Invariants;
  send(from: SimNode<T>, m: Message): void;
  /** Entry `index` carrying `cmd` was applied here; `repeat` when its op id had been applied before. */
  onCommandApplied(node: SimNode<T>, index: number, cmd: Command, result: CommandResult, repeat: boolean): void;
  onReadServed(node: SimNode<T>, op: T, value: string | null): void;
  onConfApplied(node: SimNode<T>, cc: ConfChange, conf: ConfState, index: number): void;
  onRoleChange(node: SimNode<T>, role: Role, lead: NodeId, term: number): void;
  /** The commit index moved forward (called before the Ready's messages are sent). */
  onCommit(node: SimNode<T>, commit: number): void;
  onSnapshot(node: SimNode<T>, how: 'created' | 'installed', index: number): void;
  log(line: () => string): void;
}

export type NodeState = 'up' | 'down' | 'gone';

export class SimNode<T extends { input: { key: string } }> {
  state: NodeState = 'down';
  raw: RawNode | undefined;
  sm = new KvStateMachine();
  applied = 0;
  snapIndex = 0;
  /** From the last hard state seen in a Ready (or on disk at restart). */
  term = 0;
  vote: NodeId = '';
  commit = 0;
  role: Role = Role.Follower;
  lead: NodeId = '';
  conf: ConfState = { voters: [], learners: [] };
  incarnation = 0;
  /** Virtual instant until which the process is frozen (a long GC pause, a stopped VM). */
  pausedUntil = 0;
  readonly pendingWrites = new Map<number, Waiting<T>>();
  readonly pendingReads = new Map<string, Waiting<T>>();
  /** Every vote this member ever cast, by term, across restarts: a second, different vote is a bug. */
  private readonly votes = new Map<number, NodeId>();

  constructor(
    readonly id: NodeId,
    readonly disk: SimDisk,
    private readonly host: NodeHost<T>,
    private readonly params: CoreParams,
    private readonly snapshotEvery: number,
    private readonly keepEntries: number,
    private readonly rng: Prng,
  ) {}

  /** (Re)builds the member from what its disk synced, as a restarted process would. */
  start(): void {
    const live = this.disk.live;
    const snap = live.snapshot();
    const init = live.initialState();
    this.sm = snap.meta.index > 0 ? KvStateMachine.restore(snap.data) : new KvStateMachine();
    this.applied = snap.meta.index;
    this.snapIndex = snap.meta.index;
    this.conf = init.conf;
    this.term = init.hardState.term;
    this.vote = init.hardState.vote;
    this.commit = init.hardState.commit;
    this.role = Role.Follower;
    this.lead = '';
    this.incarnation++;
    // What survived the crash must still agree with everything ever committed.
    const inv = this.host.inv;
    inv.onSnapshotCommitted(this.id, this.term, snap.meta.index, snap.meta.term, 'restarted with');
    if (this.commit > live.lastIndex()) {
      throw new SimFailure('commit-beyond-log', `${this.id} restarted with commit ${this.commit} past its last index ${live.lastIndex()}`);
    }
    const first = live.firstIndex();
    if (this.commit >= first) {
      for (const e of live.entries(first, this.commit + 1, Infinity)) inv.onCommitted(this.id, this.term, e, 'restarted holding');
    }
    this.raw = new RawNode({ ...this.params, id: this.id, storage: live, applied: this.applied, rand: this.rng.asRand() });
    this.state = 'up';
    this.handle();
  }

  crash(): number {
    this.raw = undefined;
    this.state = 'down';
    this.pendingWrites.clear();
    this.pendingReads.clear();
    this.role = Role.Follower;
    this.lead = '';
    return this.disk.crash().lostWrites;
  }

  /** Shut down for good (removed from the cluster). */
  retire(): void {
    this.raw = undefined;
    this.state = 'gone';
    this.pendingWrites.clear();
    this.pendingReads.clear();
    this.role = Role.Follower;
  }

  get isLeader(): boolean {
    return this.state === 'up' && this.role === Role.Leader;
  }

  tick(): void {
    this.core().tick();
    this.handle();
  }

  step(m: Message): void {
    this.core().step(m);
    this.handle();
  }

  core(): RawNode {
    if (!this.raw) throw new Error(`${this.id} is not running`);
    return this.raw;
  }

  /** Drains every Ready the core has. */
  handle(): void {
    const raw = this.raw;
    if (!raw) return;
    while (this.raw === raw && raw.hasReady()) this.processReady(raw, raw.ready());
  }

  private processReady(raw: RawNode, rd: Ready): void {
    const inv = this.host.inv;
    const live = this.disk.live;

    // 1. Persist: snapshot, entries, hard state; fsync when the core asks.
    // Whatever this Ready shows committed, the node holds it in its new term.
    const termNow = rd.hardState ? rd.hardState.term : this.term;
    if (rd.entries.length > 0) {
      // Rewriting an entry this node already holds as committed would lose it.
      for (const e of rd.entries) if (e.index <= this.commit) inv.onCommitted(this.id, termNow, e, 'rewrote its committed');
    }
    this.disk.persistReady(rd);
    if (rd.snapshot) {
      const meta = rd.snapshot.meta;
      inv.onSnapshotCommitted(this.id, termNow, meta.index, meta.term, 'received');
      inv.onSnapshotData(this.id, meta.index, rd.snapshot.data);
      if (meta.index > this.commit) this.commit = meta.index;
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      let prevTerm: number | undefined;
      if (first - 1 >= live.firstIndex() - 1) prevTerm = live.term(first - 1);
      inv.onAppend(this.id, rd.entries, prevTerm);
    }
    if (rd.hardState) this.noteHardState(rd.hardState.term, rd.hardState.vote, rd.hardState.commit);
    if (rd.softState) {
      const wasLeader = this.role === Role.Leader;
      const changed = rd.softState.role !== this.role || rd.softState.lead !== this.lead;
      this.role = rd.softState.role;
      this.lead = rd.softState.lead;
      if (this.role === Role.Leader) {
        inv.onLeader(this.id, this.term);
        if (!wasLeader) inv.checkLeaderComplete(this.id, this.term, live);
      }
      if (changed) this.host.onRoleChange(this, this.role, this.lead, this.term);
    }

    // 2. Send.
    for (const m of rd.messages) this.host.send(this, m);

    // 3. Apply: snapshot, then committed entries.
    if (rd.snapshot) {
      const meta = rd.snapshot.meta;
      this.sm = KvStateMachine.restore(rd.snapshot.data);
      this.applied = meta.index;
      this.snapIndex = meta.index;
      this.conf = meta.conf;
      this.host.onSnapshot(this, 'installed', meta.index);
      this.host.log(() => `${this.id} installed snapshot ${meta.index}/${meta.term} (${rd.snapshot!.data.length} B)`);
    }
    for (const e of rd.committedEntries) this.applyEntry(raw, e);
    for (const rs of rd.readStates) {
      const w = this.pendingReads.get(Buffer.from(rs.context).toString('latin1'));
      if (w && w.index < 0) w.index = rs.index;
    }

    // 4. Advance.
    raw.advance(rd);
    this.serveReads();
    this.maybeSnapshot();
  }

  private noteHardState(term: number, vote: NodeId, commit: number): void {
    if (term < this.term) {
      throw new SimFailure('term-regressed', `${this.id} persisted term ${term} after term ${this.term}`);
    }
    if (vote !== '') {
      const prior = this.votes.get(term);
      if (prior !== undefined && prior !== vote) {
        throw new SimFailure('double-vote', `${this.id} voted for ${prior} and then ${vote} in term ${term}`);
      }
      this.votes.set(term, vote);
    }
    if (commit < this.commit) {
      // After a restart `commit` starts from the synced hard state, so within
      // one life of the process it can only move forward.
      throw new SimFailure('commit-regressed', `${this.id} commit moved back from ${this.commit} to ${commit}`);
    }
    const live = this.disk.live;
    if (commit > live.lastIndex()) {
      throw new SimFailure('commit-beyond-log', `${this.id} commit ${commit} is past its last index ${live.lastIndex()}`);
    }
    if (commit > this.commit) {
      const lo = Math.max(this.commit + 1, live.firstIndex());
      if (lo <= commit) for (const e of live.entries(lo, commit + 1, Infinity)) this.host.inv.onCommitted(this.id, term, e, 'committed');
      this.commit = commit;
      this.term = term;
      this.host.onCommit(this, commit);
    }
    this.term = term;
    this.vote = vote;
  }

  private applyEntry(raw: RawNode, e: Entry): void {
    if (e.index !== this.applied + 1) {
      throw new SimFailure('apply-order', `${this.id} was given entry ${e.index} to apply after applying ${this.applied}`);
    }
    this.host.inv.onCommitted(this.id, this.term, e, 'applied');
    this.applied = e.index;
    if (e.type === EntryType.ConfChange) {
      const cc = decodeConfChange(e.data);
      this.conf = raw.applyConfChange(cc);
      this.disk.saveConf(this.conf);
      this.host.onConfApplied(this, cc, this.conf, e.index);
      return;
    }
    const cmd = decodeCommand(e.data);
    if (!cmd) return;
    const r = this.sm.apply(cmd);
    this.host.onCommandApplied(this, e.index, cmd, r.result, r.repeat);
  }

  private serveReads(): void {
    if (this.pendingReads.size === 0) return;
    for (const [k, w] of this.pendingReads) {
      if (w.index >= 0 && this.applied >= w.index) {
        this.pendingReads.delete(k);
        this.host.onReadServed(this, w.op, this.sm.get(w.op.input.key));
      }
    }
  }

  private maybeSnapshot(): void {
    if (this.applied - this.snapIndex < this.snapshotEvery) return;
    if (this.applied <= this.disk.live.snapshot().meta.index) return;
    const index = this.applied;
    const data = this.sm.snapshot();
    this.disk.createSnapshot(index, this.conf, data, Math.max(0, index - this.keepEntries));
    this.snapIndex = index;
    this.host.inv.onSnapshotData(this.id, index, data);
    this.host.onSnapshot(this, 'created', index);
  }
}
