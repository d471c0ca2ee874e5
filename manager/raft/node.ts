// The driver: owns the clock, the disk and the network around the pure core.
//
// One loop turns Readys into effects in the order the core requires: persist,
// send, apply, advance. While a synced write is in flight, new proposals and
// messages pile up in the core and leave together in the next Ready; that is
// our group commit, and it is why many concurrent writers cost few fsyncs.

import { randomBytes } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import { RawNode } from './core/rawnode.js';
import { DEFAULTS, DEFAULT_TICK_MS, type CoreConfig } from './core/config.js';
import { decodeConfChange, encodeConfChange } from './core/confchange.js';
import { bootstrapState } from './core/bootstrap.js';
import {
  ConfChangeType,
  EntryType,
  RaftErrorCode,
  Role,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
  type Status,
} from './core/types.js';
import { DiskStorage } from './storage/disk.js';
import { RaftTransport, type TlsMaterial } from './transport/transport.js';
import { frameEntry, frameSnapshot, unframeEntry, unframeSnapshot, type Members } from './framing.js';
import { TsswarmError } from '../../shared/errors.js';

/** The replicated state machine the driver applies committed entries to. */
export interface Application {
  /**
   * Must be deterministic: every member applies the same bytes in the same order.
   * Called for every index; empty payload for entries that carry no application data.
   */
  apply(index: number, payload: Uint8Array): unknown;
  snapshot(): Uint8Array;
  restore(data: Uint8Array, index: number): void;
}

export interface RaftNodeOptions {
  id: NodeId;
  clusterId: string;
  dataDir: string;
  /** host:port to listen on for Raft traffic (2377 in production). */
  listen: string;
  /** Address peers dial to reach us; defaults to `listen`. */
  advertise?: string;
  tls: TlsMaterial;
  app: Application;
  /** Shared gRPC server (see RaftTransportOptions.server); then the owner binds it, not us. */
  server?: grpc.Server;
  /** Extra admission check on a peer's certificate (e.g. not a removed node). */
  authorize?: (cert: PeerCertificate) => string | undefined;
  /**
   * Disaster recovery (`init --force-new-cluster`): make this member the only voter,
   * keeping the log and state. Other members' removal is written to the log as
   * committed entries, as etcd's --force-new-cluster does.
   */
  forceNewCluster?: boolean;
  /**
   * When a new leader appears, propose again every write still waiting. A follower
   * forwards proposals to the leader it knows; if that leader has just died they are
   * lost, and the caller would wait out its timeout. Only for applications that
   * deduplicate a payload applied twice (the store files results by request id).
   */
  reproposeOnLeaderChange?: boolean;
  /** First start of a new cluster: the initial voters and their addresses. Ignored if the data dir has state. */
  bootstrap?: Members;
  /** Addresses of existing members, for a member that joins an existing cluster. */
  peers?: Members;
  tickMs?: number;
  /** Applied entries between snapshots. swarmkit snapshots every 10,000; so do we. */
  snapshotEvery?: number;
  /** Entries kept behind a snapshot so a briefly slow follower catches up from the log, not a snapshot. */
  keepEntries?: number;
  /** How long a proposal or a read waits for a leader and for its entry to apply. */
  requestTimeoutMs?: number;
  core?: Partial<Omit<CoreConfig, 'id' | 'storage' | 'applied' | 'rand'>>;
  log?: (msg: string) => void;
}

interface PendingProposal {
  data: Uint8Array;
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface WaitingRead {
  ctx: string;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  index: number; // -1 until the leader answered
}

const EMPTY = new Uint8Array(0);

const ctxKey = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export class RaftNode {
  readonly id: NodeId;
  private raw!: RawNode;
  private disk!: DiskStorage;
  private transport!: RaftTransport;
  private members: Members = {};
  private role: Role = Role.Follower;
  private lead: NodeId = '';
  private applied = 0;
  private persistedTerm = 0;
  private persistedVote = '';
  private unsavedHard: HardState | undefined;
  private snapIndex = 0;
  private conf: ConfState = { voters: [], learners: [] };
  private ticker: NodeJS.Timeout | undefined;
  private running = false; // the loop is inside processReady
  private again = false; // something happened while the loop ran
  private stopped = false;
  private readonly boot = randomBytes(4).toString('hex');
  private seq = 0;
  private readonly proposals = new Map<string, PendingProposal>();
  /** Proposals refused for lack of a leader; retried when one appears. */
  private parked: { data: Uint8Array; requestId: string }[] = [];
  /** Proposals waiting for the loop's next turn, so that they reach the core as one batch. */
  private outbox: { data: Uint8Array; requestId: string }[] = [];
  private readonly reads = new Map<string, WaitingRead>();
  private readonly heard = new Map<NodeId, number>();
  private readonly confWaiters: { cc: ConfChange; resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private readonly leaderWaiters: (() => void)[] = [];
  private readonly opts: Required<Pick<RaftNodeOptions, 'tickMs' | 'snapshotEvery' | 'keepEntries' | 'requestTimeoutMs'>> &
    RaftNodeOptions;
  /** Listeners told about leadership changes (the API layer reports them). */
  onLeaderChange: ((lead: NodeId, role: Role) => void) | undefined;

  private constructor(opts: RaftNodeOptions) {
    this.id = opts.id;
    this.opts = {
      tickMs: DEFAULT_TICK_MS,
      snapshotEvery: 10_000,
      keepEntries: 500,
      requestTimeoutMs: 5_000,
      ...definedOnly(opts),
    };
  }

  static async start(opts: RaftNodeOptions): Promise<RaftNode> {
    const n = new RaftNode(opts);
    await n.open();
    return n;
  }

  private log(msg: string): void {
    this.opts.log?.(`raft ${this.id}: ${msg}`);
  }

  private async open(): Promise<void> {
    const o = this.opts;
    this.disk = await DiskStorage.open(o.dataDir, { clusterId: o.clusterId, nodeId: o.id });
    const mem = this.disk.mem;
    const fresh = mem.lastIndex() === 0 && mem.initialState().conf.voters.length === 0 && mem.snapshot().meta.index === 0;
    if (fresh && o.bootstrap) {
      // Founders go into the log as committed conf changes carrying their addresses,
      // so a member that joins later learns them by replaying the log.
      const boot = o.bootstrap;
      const bs = bootstrapState(Object.keys(boot));
      const entries = bs.entries.map((e) => {
        const cc = decodeConfChange(e.data);
        return { ...e, data: encodeConfChange({ ...cc, context: new TextEncoder().encode(boot[cc.node]!) }) };
      });
      await this.disk.save({ hardState: bs.hardState, entries }, true);
      await this.disk.saveConf(bs.conf);
      this.members = { ...boot };
    }
    if (o.forceNewCluster) await this.forceNewCluster();
    const snap = mem.snapshot();
    if (snap.meta.index > 0) {
      const { members, app } = unframeSnapshot(snap.data);
      this.members = { ...members, ...this.members };
      o.app.restore(app, snap.meta.index);
    }
    // Addresses from the command line are a starting point; the log and the snapshot,
    // which carry every member's address, take precedence.
    this.members = { ...(o.peers ?? {}), ...(o.bootstrap ?? {}), ...this.members };
    this.members[o.id] = o.advertise ?? o.listen;
    this.applied = snap.meta.index;
    this.snapIndex = snap.meta.index;
    this.conf = mem.initialState().conf;
    this.persistedTerm = mem.initialState().hardState.term;
    this.persistedVote = mem.initialState().hardState.vote;

    const seed = randomBytes(8).readBigUInt64BE();
    this.raw = new RawNode({
      ...DEFAULTS,
      ...o.core,
      id: o.id,
      storage: mem,
      applied: this.applied,
      rand: splitmix(seed),
    });

    this.transport = new RaftTransport({
      id: o.id,
      tls: o.tls,
      onMessages: (msgs) => this.onMessages(msgs),
      onUnreachable: (id) => {
        if (this.stopped) return;
        this.raw.reportUnreachable(id);
      },
      log: o.log,
      server: o.server,
      authorize: o.authorize,
    });
    if (!o.server) await this.transport.listen(o.listen);
    for (const [id, addr] of Object.entries(this.members)) if (id !== o.id) this.transport.addPeer(id, addr);

    this.ticker = setInterval(() => {
      this.raw.tick();
      this.kick();
    }, this.opts.tickMs);
    this.kick();
  }

  /**
   * Appends, as committed, the removal of every other member. Safe only because the
   * operator asserts the others are gone for good; their logs must never rejoin.
   */
  private async forceNewCluster(): Promise<void> {
    const mem = this.disk.mem;
    const { hardState, conf } = mem.initialState();
    const others = [...conf.voters, ...conf.learners].filter((id) => id !== this.opts.id);
    if (others.length === 0) return;
    if (!conf.voters.includes(this.opts.id)) {
      throw new TsswarmError('Refused', `cannot force a new cluster from ${this.opts.id}: it is not a voting member`);
    }
    let index = mem.lastIndex();
    const term = Math.max(hardState.term, mem.term(index));
    const entries: Entry[] = others.map((node) => ({
      term,
      index: ++index,
      type: EntryType.ConfChange,
      data: encodeConfChange({ type: ConfChangeType.RemoveNode, node }),
    }));
    await this.disk.save({ hardState: { ...hardState, term, commit: index }, entries }, true);
    this.log(`force-new-cluster: removed ${others.join(', ')}; this member is the only voter`);
  }

  /** New certificate for outgoing connections (renewal, role change). */
  setTls(tls: TlsMaterial): void {
    this.transport.setTls(tls);
  }

  /** The address the transport actually listens on (useful with port 0). */
  get address(): string {
    return this.members[this.id]!;
  }

  /** When a message from `id` last arrived (ms since the epoch), if ever since start. */
  lastHeard(id: NodeId): number | undefined {
    return this.heard.get(id);
  }

  private onMessages(msgs: Message[]): void {
    if (this.stopped) return;
    // A batch comes from one peer (the transport checks each message's sender against its certificate).
    if (msgs.length > 0) this.heard.set(msgs[0]!.from, Date.now());
    for (const m of msgs) this.raw.step(m);
    this.kick();
  }

  /** Run the loop soon; coalesces many events into one pass. */
  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        while (!this.stopped) {
          // Proposals that arrived while the last Ready was persisted join this one.
          this.flushOutbox();
          if (!this.raw.hasReady()) break;
          await this.handleReady(this.raw.ready());
        }
      } while (this.again && !this.stopped);
    } catch (e) {
      // A failed disk write leaves us unable to promise durability: stop rather than lie.
      this.log(`fatal: ${(e as Error).stack ?? String(e)}`);
      this.fail(new TsswarmError('Stopped', `raft member stopped after a storage failure: ${(e as Error).message}`));
      void this.stop();
    } finally {
      this.running = false;
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) this.noteSoftState(rd.softState.lead, rd.softState.role);
    // A leader replicates in parallel with its own fsync (see Ready in core/types.ts);
    // anything that changes term or vote must be on disk before a message reflects it.
    const termOrVoteChanged =
      rd.hardState !== undefined && (rd.hardState.term !== this.persistedTerm || rd.hardState.vote !== this.persistedVote);
    const early = this.role === Role.Leader && !termOrVoteChanged;
    if (early && rd.messages.length > 0) this.transport.send(rd.messages);
    // A hard state whose only change is the commit index rides along with the next
    // write that must happen anyway: commit need not be durable (a restarted member
    // learns it again from the leader), and skipping it saves a write per proposal.
    if (rd.hardState) this.unsavedHard = rd.hardState;
    if (rd.snapshot || rd.entries.length > 0 || termOrVoteChanged) {
      const hardState = this.unsavedHard;
      await this.disk.save({ hardState, entries: rd.entries, snapshot: rd.snapshot }, rd.mustSync);
      if (hardState) {
        this.persistedTerm = hardState.term;
        this.persistedVote = hardState.vote;
        if (this.unsavedHard === hardState) this.unsavedHard = undefined;
      }
    }
    if (this.stopped) return;
    if (!early && rd.messages.length > 0) this.transport.send(rd.messages);
    if (rd.snapshot) this.applySnapshot(rd.snapshot.data, rd.snapshot.meta.index, rd.snapshot.meta.conf);
    for (const e of rd.committedEntries) {
      if (e.index <= this.applied) continue;
      // Only conf changes touch the disk; ordinary entries apply without an await each.
      if (e.type === EntryType.ConfChange) await this.applyConfEntry(e);
      else this.applyEntry(e);
    }
    for (const rs of rd.readStates) {
      const w = this.reads.get(ctxKey(rs.context));
      if (w) w.index = rs.index;
    }
    this.raw.advance(rd);
    this.releaseReads();
    // A lone voter need not wait out an election timeout (the core campaigns only
    // once its conf changes are applied, hence here rather than at start).
    if (!this.lead && this.conf.voters.length === 1 && this.conf.voters[0] === this.id && this.role === Role.Follower) {
      this.raw.campaign();
    }
    await this.maybeSnapshot();
  }

  private noteSoftState(lead: NodeId, role: Role): void {
    const changed = lead !== this.lead || role !== this.role;
    const newLeader = lead !== this.lead;
    this.lead = lead;
    this.role = role;
    if (!changed) return;
    this.log(`role ${role}, leader ${lead || '(none)'}`);
    this.onLeaderChange?.(lead, role);
    if (lead) {
      const parked = this.parked;
      this.parked = [];
      for (const p of parked) this.submit(p.data, p.requestId);
      if (this.opts.reproposeOnLeaderChange && newLeader) {
        const queued = new Set([...parked, ...this.outbox].map((p) => p.requestId));
        for (const [requestId, p] of this.proposals) if (!queued.has(requestId)) this.submit(p.data, requestId);
      }
      for (const w of this.leaderWaiters.splice(0)) w();
      // Reads sent while no leader was known were dropped by the core; ask again.
      for (const w of this.reads.values()) if (w.index < 0) this.raw.readIndex(Buffer.from(w.ctx, 'hex'));
    }
  }

  private applySnapshot(data: Uint8Array, index: number, conf: ConfState): void {
    const { members, app } = unframeSnapshot(data);
    this.log(`installing snapshot at index ${index} (${data.length} bytes)`);
    this.opts.app.restore(app, index);
    this.applied = index;
    this.snapIndex = index;
    this.conf = conf;
    for (const [id, addr] of Object.entries(members)) {
      if (id === this.id || this.members[id] === addr) continue;
      this.members[id] = addr;
      this.transport.addPeer(id, addr);
    }
  }

  private async applyConfEntry(e: Entry): Promise<void> {
    this.applied = e.index;
    const cc = decodeConfChange(e.data);
    this.conf = this.raw.applyConfChange(cc);
    await this.disk.saveConf(this.conf);
    this.onConfApplied(cc);
    // The application sees every index, so its applied index keeps up with the log.
    this.opts.app.apply(e.index, EMPTY);
  }

  private applyEntry(e: Entry): void {
    this.applied = e.index;
    const framed = unframeEntry(e.data);
    if (!framed) {
      this.opts.app.apply(e.index, EMPTY); // the leader's no-op
      return;
    }
    const result = this.opts.app.apply(e.index, framed.payload);
    const p = this.proposals.get(framed.requestId);
    if (p) {
      this.proposals.delete(framed.requestId);
      clearTimeout(p.timer);
      p.resolve(result);
    }
  }

  private onConfApplied(cc: ConfChange): void {
    if (cc.type === ConfChangeType.RemoveNode) {
      if (cc.node !== this.id) {
        delete this.members[cc.node];
        this.transport.removePeer(cc.node);
      } else {
        this.log('removed from the cluster');
      }
    } else if (cc.context && cc.context.length > 0 && cc.node !== this.id) {
      const addr = new TextDecoder().decode(cc.context);
      if (this.members[cc.node] !== addr) {
        this.members[cc.node] = addr;
        this.transport.addPeer(cc.node, addr);
      }
    }
    for (let i = this.confWaiters.length - 1; i >= 0; i--) {
      const w = this.confWaiters[i]!;
      if (w.cc.type === cc.type && w.cc.node === cc.node) {
        clearTimeout(w.timer);
        this.confWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private releaseReads(): void {
    for (const [k, w] of this.reads) {
      if (w.index >= 0 && this.applied >= w.index) {
        this.reads.delete(k);
        clearTimeout(w.timer);
        w.resolve();
      }
    }
  }

  private async maybeSnapshot(): Promise<void> {
    if (this.applied - this.snapIndex < this.opts.snapshotEvery) return;
    const index = this.applied;
    const data = frameSnapshot(this.members, this.opts.app.snapshot());
    await this.disk.createSnapshot(index, this.conf, data);
    this.snapIndex = index;
    const compactTo = index - this.opts.keepEntries;
    if (compactTo > this.disk.mem.firstIndex()) await this.disk.compact(compactTo);
  }

  // ---- the API used by the manager -------------------------------------------------

  /**
   * Replicates `payload` and resolves with what Application.apply returned for it,
   * once this member has applied it. Works on any member: followers forward.
   */
  propose(payload: Uint8Array): Promise<unknown> {
    if (this.stopped) return Promise.reject(new TsswarmError('Stopped', 'raft member is stopped'));
    const requestId = `${this.id}.${this.boot}.${(this.seq++).toString(36)}`;
    const data = frameEntry(requestId, payload);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.proposals.delete(requestId);
        this.parked = this.parked.filter((p) => p.requestId !== requestId);
        this.outbox = this.outbox.filter((p) => p.requestId !== requestId);
        reject(this.unavailable('the write was not committed in time'));
      }, this.opts.requestTimeoutMs);
      this.proposals.set(requestId, { data, resolve, reject, timer });
      this.submit(data, requestId);
    });
  }

  private submit(data: Uint8Array, requestId: string): void {
    this.outbox.push({ data, requestId });
    this.kick();
  }

  /** Hands queued proposals to the core in one batch (one App per follower for all of them). */
  private flushOutbox(): void {
    if (this.outbox.length === 0) return;
    const batch = this.outbox;
    this.outbox = [];
    const err = this.raw.proposeMany(batch.map((b) => b.data));
    if (!err) return;
    // No leader yet, or leadership moving: wait for the next leader. Anything else
    // (the leader's uncommitted-bytes bound) is overload, and the caller should hear it.
    if (!this.lead || this.raw.status().leadTransferee) {
      this.parked.push(...batch);
      return;
    }
    for (const b of batch) {
      const p = this.proposals.get(b.requestId);
      if (!p) continue;
      this.proposals.delete(b.requestId);
      clearTimeout(p.timer);
      p.reject(new TsswarmError('Unavailable', `write refused: ${err.message}`));
    }
  }

  /** Resolves once this member's state reflects every write committed before the call (ReadIndex). */
  readBarrier(): Promise<void> {
    if (this.stopped) return Promise.reject(new TsswarmError('Stopped', 'raft member is stopped'));
    const ctx = randomBytes(8);
    const key = ctxKey(ctx);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reads.delete(key);
        reject(this.unavailable('a linearizable read could not be confirmed in time'));
      }, this.opts.requestTimeoutMs);
      this.reads.set(key, { ctx: key, resolve, reject, timer, index: -1 });
      this.raw.readIndex(ctx);
      this.kick();
    });
  }

  private unavailable(what: string): TsswarmError {
    const st = this.raw.status();
    const voters = st.conf.voters.length;
    const why = this.lead
      ? `leader is ${this.lead}`
      : `no leader is known: of ${voters} managers a majority of ${Math.floor(voters / 2) + 1} must be reachable`;
    return new TsswarmError('Unavailable', `${what} (${why})`);
  }

  /** Adds a member as a learner, waits until it has caught up, then makes it a voter. Leader only. */
  async addMember(id: NodeId, addr: string, opts: { voter?: boolean; catchUpTimeoutMs?: number } = {}): Promise<void> {
    const ctx = new TextEncoder().encode(addr);
    await this.changeConf({ type: ConfChangeType.AddLearner, node: id, context: ctx });
    if (opts.voter === false) return;
    const deadline = Date.now() + (opts.catchUpTimeoutMs ?? 30_000);
    for (;;) {
      const st = this.raw.status();
      const pr = st.progress?.[id];
      if (pr && pr.match >= st.hardState.commit) break;
      if (Date.now() > deadline) throw new TsswarmError('Timeout', `member ${id} did not catch up with the log in time`);
      await sleep(this.opts.tickMs);
    }
    await this.changeConf({ type: ConfChangeType.AddVoter, node: id, context: ctx });
  }

  async removeMember(id: NodeId): Promise<void> {
    await this.changeConf({ type: ConfChangeType.RemoveNode, node: id });
  }

  private changeConf(cc: ConfChange): Promise<void> {
    const err = this.raw.proposeConfChange(cc);
    if (err) {
      const code = err.code === RaftErrorCode.ProposalDropped || err.code === RaftErrorCode.NotLeader ? 'NotLeader' : 'Refused';
      return Promise.reject(new TsswarmError(code, err.message));
    }
    this.kick();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.confWaiters.findIndex((w) => w.timer === timer);
        if (i >= 0) this.confWaiters.splice(i, 1);
        reject(this.unavailable('the membership change was not committed in time'));
      }, this.opts.requestTimeoutMs);
      this.confWaiters.push({ cc, resolve, reject, timer });
    });
  }

  transferLeadership(to: NodeId): void {
    this.raw.transferLeadership(to);
    this.kick();
  }

  /** Resolves when a leader is known (or rejects after the request timeout). */
  waitForLeader(timeoutMs = this.opts.requestTimeoutMs): Promise<NodeId> {
    if (this.lead) return Promise.resolve(this.lead);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.unavailable('no leader was elected in time')), timeoutMs);
      this.leaderWaiters.push(() => {
        clearTimeout(timer);
        resolve(this.lead);
      });
    });
  }

  status(): Status & { members: Members; leader: NodeId } {
    return { ...this.raw.status(), members: { ...this.members }, leader: this.lead };
  }

  isLeader(): boolean {
    return this.role === Role.Leader;
  }

  private fail(err: Error): void {
    for (const p of this.proposals.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.proposals.clear();
    this.parked = [];
    for (const r of this.reads.values()) {
      clearTimeout(r.timer);
      r.reject(err);
    }
    this.reads.clear();
    for (const w of this.confWaiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.fail(new TsswarmError('Stopped', 'raft member is stopping'));
    await this.transport.close();
    while (this.running) await sleep(5);
    if (this.unsavedHard) await this.disk.save({ hardState: this.unsavedHard, entries: [] }, true);
    await this.disk.close();
  }
}

/** Encodes a conf change for callers that build their own entries (tests). */
export { encodeConfChange };

/** Drops keys whose value is undefined, so they do not override defaults in a spread. */
function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A small seeded generator for the core's election jitter (the core takes no randomness of its own). */
function splitmix(seed: bigint): () => number {
  let s = seed & 0xffffffffffffffffn;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    z ^= z >> 31n;
    return Number(z >> 11n) / 2 ** 53;
  };
}
