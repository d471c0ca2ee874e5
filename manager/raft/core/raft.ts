// The Raft state machine: follower, pre-candidate, candidate, leader. It reacts to
// ticks, messages and proposals by changing its state and queueing messages in
// `msgs`; RawNode packages the results into Ready values. Nothing here performs I/O
// or reads a clock, and the only randomness is cfg.rand, so a run is a pure function
// of its inputs.

import { EntryType, MessageType, NONE, ProgressState, RaftError, RaftErrorCode, Role } from './types.js';
import type { ConfChange, ConfState, Entry, Message, NodeId, ReadState, Snapshot } from './types.js';
import type { CoreConfig } from './config.js';
import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import { committedIndex, quorumActive, voteResult, VoteResult } from './quorum.js';
import { ReadOnly } from './read_only.js';
import type { ReadRequest } from './read_only.js';
import { applyToConf, decodeConfChange, validateConfChange } from './confchange.js';
import { SnapshotReceiver, SnapshotSender } from './snapshot_transfer.js';
import { cloneConf, compareIds, isCompacted, isUnavailable, makeMessage, payloadSize } from './util.js';
import type { MessageFields } from './util.js';

const EMPTY = new Uint8Array(0);

/** Vote requests and their answers carry a term chosen by the sender's logic, not its current term. */
function carriesOwnTerm(t: MessageType): boolean {
  return t === MessageType.Vote || t === MessageType.PreVote || t === MessageType.VoteResp || t === MessageType.PreVoteResp;
}

export class Raft {
  readonly id: NodeId;
  readonly cfg: CoreConfig;
  readonly log: RaftLog;

  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = Role.Follower;

  voters: NodeId[] = [];
  learners: NodeId[] = [];
  /** Every member's replication progress; only meaningful on the leader. */
  prs = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();

  msgs: Message[] = [];
  readStates: ReadState[] = [];

  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  leadTransferee: NodeId = NONE;
  /** Index of the last conf change the leader appended; a new one waits until it is applied. */
  pendingConfIndex = 0;
  private uncommittedSize = 0;

  private readOnly = new ReadOnly();
  /** Reads that arrived before this leader committed an entry of its own term. */
  private pendingReads: ReadRequest[] = [];

  private snapSenders = new Map<NodeId, SnapshotSender>();
  private snapReceiver: SnapshotReceiver | undefined;

  constructor(cfg: CoreConfig) {
    if (cfg.id === NONE) throw new Error('raft: id must not be empty');
    if (cfg.heartbeatTick <= 0 || cfg.electionTick <= cfg.heartbeatTick) {
      throw new Error('raft: need 0 < heartbeatTick < electionTick');
    }
    this.id = cfg.id;
    this.cfg = cfg;
    this.log = new RaftLog(cfg.storage);
    const { hardState, conf } = cfg.storage.initialState();
    this.setMembership(conf);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) {
      const last = this.log.lastIndex();
      if (hardState.commit > last) {
        throw new Error(`raft: stored commit ${hardState.commit} is beyond the stored log (last ${last})`);
      }
      this.log.commitTo(hardState.commit);
      this.term = hardState.term;
      this.vote = hardState.vote;
    }
    if (cfg.applied > 0) this.log.appliedTo(Math.min(cfg.applied, this.log.committed));
    this.becomeFollower(this.term, NONE);
  }

  // ---------------------------------------------------------------- membership

  conf(): ConfState {
    return { voters: [...this.voters], learners: [...this.learners] };
  }

  private setMembership(conf: ConfState): void {
    this.voters = [...conf.voters].sort(compareIds);
    this.learners = [...conf.learners].sort(compareIds);
    const next = new Map<NodeId, Progress>();
    const last = this.log.lastIndex();
    for (const id of [...this.voters, ...this.learners].sort(compareIds)) {
      let pr = this.prs.get(id);
      if (!pr) {
        pr = this.newProgress(id, last);
        // A node just added gets one CheckQuorum round before it must have answered.
        pr.recentActive = true;
      }
      pr.learner = this.learners.includes(id);
      next.set(id, pr);
    }
    this.prs = next;
    for (const id of [...this.snapSenders.keys()]) {
      if (!next.has(id)) this.snapSenders.delete(id);
    }
  }

  private newProgress(id: NodeId, last: number): Progress {
    const pr = new Progress(last + 1, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes, this.learners.includes(id));
    // Our own copy counts toward commit only once it is on disk (see onStable).
    if (id === this.id) pr.match = Math.min(last, this.log.stableIndex());
    return pr;
  }

  /** Members other than this node, in a fixed order so message order is deterministic. */
  private peers(): NodeId[] {
    const out: NodeId[] = [];
    for (const id of this.prs.keys()) if (id !== this.id) out.push(id);
    return out;
  }

  /** May this node campaign? Only a voter, and not while installing a snapshot. */
  promotable(): boolean {
    return this.voters.includes(this.id) && !this.log.hasPendingSnapshot();
  }

  /** The application applied a committed ConfChange entry. Idempotent. */
  applyConfChange(cc: ConfChange): ConfState {
    const before = this.conf();
    const after = applyToConf(before, cc);
    this.setMembership(after);
    if (this.role === Role.Leader) {
      if (!this.voters.includes(this.id)) {
        // Removed or demoted: a leader outside the voters would count itself toward a quorum it is not in.
        this.becomeFollower(this.term, NONE);
      } else {
        if (this.leadTransferee !== NONE && !this.voters.includes(this.leadTransferee)) this.abortLeaderTransfer();
        this.maybeCommit();
        this.bcastAppend();
      }
    }
    return this.conf();
  }

  // ---------------------------------------------------------------- sending

  private send(f: MessageFields): void {
    const m = makeMessage({ ...f, from: this.id });
    if (carriesOwnTerm(m.type)) {
      if (m.term === 0) throw new Error(`raft: ${MessageType[m.type]} must carry a term`);
    } else if (m.type !== MessageType.Prop && m.type !== MessageType.ReadIndex) {
      // Forwarded proposals and reads stay term 0: the receiver treats them like local requests.
      m.term = this.term;
    }
    this.msgs.push(m);
  }

  private pushMessage(m: Message): void {
    this.msgs.push(m);
  }

  /**
   * Sends the follower what it lacks from pr.next on (an App), or a snapshot when that
   * part of the log is compacted. Returns false if nothing was sent.
   */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let ents: Entry[];
    try {
      prevTerm = this.log.term(prevIndex);
      ents = this.log.entries(pr.next, this.cfg.maxSizePerMsg);
    } catch (e) {
      if (isCompacted(e)) return this.sendSnapshot(to, pr);
      throw e;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: MessageType.App,
      to,
      index: prevIndex,
      logTerm: prevTerm,
      entries: ents,
      commit: this.log.committed,
    });
    const lastSent = ents.length > 0 ? ents[ents.length - 1].index : prevIndex;
    pr.sentEntries(ents.length, payloadSize(ents), lastSent);
    return true;
  }

  /** Sends as much as flow control allows: one App in Probe, a window of them in Replicate. */
  private sendAppendAll(to: NodeId, sendIfEmpty: boolean): void {
    if (!this.sendAppend(to, sendIfEmpty)) return;
    const pr = this.prs.get(to);
    while (pr && pr.state === ProgressState.Replicate && this.sendAppend(to, false)) {
      // keep filling the window
    }
  }

  private bcastAppend(): void {
    for (const id of this.peers()) this.sendAppendAll(id, true);
  }

  private sendHeartbeat(to: NodeId, context: Uint8Array | undefined): void {
    const pr = this.prs.get(to);
    if (!pr) return;
    // Never tell a follower to commit beyond what it is known to hold: it may not have it yet.
    const commit = Math.min(pr.match, this.log.committed);
    const f: MessageFields = { type: MessageType.Heartbeat, to, commit };
    if (context !== undefined) f.context = context;
    this.send(f);
  }

  private bcastHeartbeat(context: Uint8Array | undefined): void {
    for (const id of this.peers()) this.sendHeartbeat(id, context);
  }

  // ---------------------------------------------------------------- snapshots (leader)

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    // Until the follower has answered this leader, it may be down; a snapshot is expensive.
    if (!pr.recentActive) return false;
    let snap: Snapshot;
    try {
      snap = this.log.snapshot();
    } catch (e) {
      if (isUnavailable(e)) return false;
      throw e;
    }
    if (snap.meta.index === 0) throw new Error('raft: log is compacted but storage has no snapshot');
    this.startSnapshot(to, pr, snap);
    return true;
  }

  private startSnapshot(to: NodeId, pr: Progress, snap: Snapshot): void {
    pr.becomeSnapshot(snap.meta.index);
    this.snapSenders.set(
      to,
      new SnapshotSender(snap, Math.max(1, this.cfg.snapshotChunkSize), Math.max(1, this.cfg.maxInflightSnapChunks)),
    );
  }

  /** Sends the chunks the window allows; switches to a newer snapshot if storage has one. */
  private pumpSnapshot(to: NodeId): void {
    const pr = this.prs.get(to);
    let s = this.snapSenders.get(to);
    if (!pr || !s || pr.state !== ProgressState.Snapshot) return;
    let cur: Snapshot | undefined;
    try {
      cur = this.log.snapshot();
    } catch (e) {
      if (!isUnavailable(e)) throw e;
    }
    if (cur && cur.meta.index > s.snap.meta.index) {
      this.startSnapshot(to, pr, cur);
      s = this.snapSenders.get(to);
      if (!s) return;
    }
    const meta = s.snap.meta;
    for (let c = s.nextChunk(); c; c = s.nextChunk()) {
      const m = makeMessage({ type: MessageType.Snap, from: this.id, to, term: this.term, index: meta.index, logTerm: meta.term });
      m.snapshot = { meta: { index: meta.index, term: meta.term, conf: cloneConf(meta.conf) }, data: c.data };
      m.snapOffset = c.offset;
      m.snapTotal = s.total();
      m.snapDone = c.done;
      this.pushMessage(m);
    }
  }

  private leaveSnapshotState(to: NodeId, pr: Progress): void {
    this.snapSenders.delete(to);
    pr.becomeProbe();
  }

  // ---------------------------------------------------------------- state changes

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTick + Math.floor(this.cfg.rand() * this.cfg.electionTick);
    if (this.randomizedElectionTimeout >= 2 * this.cfg.electionTick) this.randomizedElectionTimeout = 2 * this.cfg.electionTick - 1;
    this.abortLeaderTransfer();
    this.votes = new Map();
    const last = this.log.lastIndex();
    const prs = new Map<NodeId, Progress>();
    for (const id of this.prs.keys()) prs.set(id, this.newProgress(id, last));
    this.prs = prs;
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly.reset();
    this.pendingReads = [];
    this.snapSenders.clear();
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = Role.Follower;
  }

  private becomePreCandidate(): void {
    if (this.role === Role.Leader) throw new Error('raft: leader cannot become pre-candidate');
    // Neither term nor vote change: a pre-vote that fails must leave no trace.
    this.votes = new Map();
    this.lead = NONE;
    this.role = Role.PreCandidate;
  }

  private becomeCandidate(): void {
    if (this.role === Role.Leader) throw new Error('raft: leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
  }

  private becomeLeader(): void {
    if (this.role === Role.Follower) throw new Error('raft: follower cannot become leader');
    this.reset(this.term);
    this.lead = this.id;
    this.role = Role.Leader;
    const self = this.prs.get(this.id);
    if (self) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // The no-op lets this leader commit (and so learn the commit point of) everything
    // from earlier terms, which it may not count replicas for.
    this.appendEntries([{ term: 0, index: 0, type: EntryType.Normal, data: EMPTY }]);
    // Any conf change already in the log may be uncommitted; wait until all of it,
    // including the no-op, is applied before accepting another.
    this.pendingConfIndex = this.log.lastIndex();
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  // ---------------------------------------------------------------- ticks

  tick(): void {
    if (this.role === Role.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        this.checkQuorum();
        if (this.role !== Role.Leader) return;
      }
      // A transfer that did not finish within an election timeout has failed.
      if (this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    this.tickSnapshots();
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastPendingContext());
    }
  }

  private tickSnapshots(): void {
    const limit = Math.max(2, 4 * this.cfg.heartbeatTick);
    for (const [id, s] of [...this.snapSenders.entries()]) {
      s.onTick();
      // No acknowledgement for a while: chunks (or their acks) were lost.
      if (s.stalledTicks >= limit) s.rewind();
      this.pumpSnapshot(id);
    }
  }

  private checkQuorum(): void {
    const active = quorumActive(this.voters, (id) => id === this.id || (this.prs.get(id)?.recentActive ?? false));
    for (const [id, pr] of this.prs) if (id !== this.id) pr.recentActive = false;
    if (!active) this.becomeFollower(this.term, NONE);
  }

  // ---------------------------------------------------------------- elections

  hup(transfer: boolean): void {
    if (this.role === Role.Leader) return;
    if (!this.promotable()) return;
    // A conf change committed but not applied may change who votes; wait for it.
    if (this.hasUnappliedConfChanges()) return;
    if (this.cfg.preVote && !transfer) this.campaign(true, false);
    else this.campaign(false, transfer);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    const lo = Math.max(this.log.applied + 1, this.log.firstIndex());
    let ents: Entry[];
    try {
      ents = this.log.slice(lo, this.log.committed + 1, Number.MAX_SAFE_INTEGER);
    } catch (e) {
      if (e instanceof RaftError) return false;
      throw e;
    }
    return ents.some((e) => e.type === EntryType.ConfChange);
  }

  private campaign(pre: boolean, transfer: boolean): void {
    let term: number;
    let type: MessageType;
    if (pre) {
      this.becomePreCandidate();
      type = MessageType.PreVote;
      // Ask with the term we would have, without taking it.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      type = MessageType.Vote;
      term = this.term;
    }
    const res = this.poll(this.id, true);
    if (res === VoteResult.Won) {
      this.onElectionWon();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const id of this.voters) {
      if (id === this.id) continue;
      const f: MessageFields = { type, to: id, term, index: lastIndex, logTerm: lastTerm };
      if (transfer) f.transfer = true;
      this.send(f);
    }
  }

  private onElectionWon(): void {
    if (this.role === Role.PreCandidate) {
      this.campaign(false, false);
    } else {
      this.becomeLeader();
      this.bcastAppend();
    }
  }

  private poll(id: NodeId, granted: boolean): VoteResult {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    return voteResult(this.voters, this.votes);
  }

  private handleVote(m: Message): void {
    const respType = m.type === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp;
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === MessageType.PreVote && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // Answer with the request's term: a pre-candidate counts only answers for the term it asked about.
      this.send({ type: respType, to: m.from, term: m.term });
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
    }
  }

  // ---------------------------------------------------------------- step

  step(m: Message): void {
    if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        // Lease: a node that heard from a live leader within the election timeout ignores
        // campaigns, so a node returning from a partition cannot depose a healthy leader.
        // A leadership transfer is the one campaign that must get through.
        const leaseApplies = this.cfg.checkQuorum || (m.type === MessageType.PreVote && this.cfg.preVote);
        const inLease = leaseApplies && this.lead !== NONE && this.electionElapsed < this.cfg.electionTick;
        if (inLease && m.transfer !== true) return;
      }
      if (m.type === MessageType.PreVote) {
        // A pre-vote never changes our term.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // Granted pre-votes carry the term we asked about; we take it only by winning.
      } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term > 0 && m.term < this.term) {
      if (
        (this.cfg.checkQuorum || this.cfg.preVote) &&
        (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap)
      ) {
        // A stale leader would otherwise never learn of the newer term: with pre-vote or
        // lease, the nodes that moved on do not campaign at it with a higher term.
        this.send({ type: MessageType.AppResp, to: m.from });
      } else if (m.type === MessageType.PreVote) {
        this.send({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true });
      } else if (m.type === MessageType.Vote) {
        // Refuse with our term (as the Raft paper does) rather than stay silent: without
        // pre-vote, a candidate whose term lags can otherwise never catch up. Found by the
        // simulator: after membership changes, a stale voter (term 388, its membership too
        // old to know the new voter) kept campaigning at peers long gone, while the only
        // up-to-date voter (term 316) asked it for votes that were ignored; no leader, ever.
        this.send({ type: MessageType.VoteResp, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(false);
        return;
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVote(m);
        return;
    }
    switch (this.role) {
      case Role.Leader:
        this.stepLeader(m);
        return;
      case Role.Candidate:
      case Role.PreCandidate:
        this.stepCandidate(m);
        return;
      case Role.Follower:
        this.stepFollower(m);
        return;
    }
  }

  // ---------------------------------------------------------------- leader

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat(this.readOnly.lastPendingContext());
        return;
      case MessageType.Prop:
        this.propose(m.entries);
        return;
      case MessageType.ReadIndex:
        this.leaderRead({ from: m.from, context: m.context ?? EMPTY });
        return;
      case MessageType.TransferLeader:
        this.transferLeadership(m.from);
        return;
    }
    const pr = this.prs.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case MessageType.AppResp:
        this.handleAppResp(m, pr);
        return;
      case MessageType.HeartbeatResp:
        this.handleHeartbeatResp(m, pr);
        return;
      case MessageType.SnapResp:
        this.handleSnapResp(m, pr);
        return;
      case MessageType.Unreachable:
        // The optimistic pipeline is probably lost; find the follower's end again.
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        return;
    }
  }

  /** Leader: append proposed entries. Returns why they were refused, if they were. */
  propose(entries: Entry[]): RaftError | null {
    if (this.role !== Role.Leader) return new RaftError(RaftErrorCode.NotLeader, 'not the leader');
    if (entries.length === 0) return null;
    if (!this.prs.has(this.id)) return new RaftError(RaftErrorCode.ProposalDropped, 'leader is no longer a member');
    if (this.leadTransferee !== NONE) {
      return new RaftError(RaftErrorCode.ProposalDropped, `leadership transfer to ${this.leadTransferee} in progress`);
    }
    const pendingBefore = this.pendingConfIndex;
    const accepted: Entry[] = [];
    let firstErr: RaftError | null = null;
    let next = this.log.lastIndex() + 1;
    for (const e of entries) {
      if (e.type === EntryType.ConfChange) {
        const err = this.checkConfChange(e.data, next);
        if (err) {
          firstErr ??= err;
          continue;
        }
      }
      accepted.push({ term: 0, index: 0, type: e.type, data: e.data });
      next++;
    }
    if (accepted.length === 0) return firstErr;
    if (!this.appendEntries(accepted)) {
      this.pendingConfIndex = pendingBefore;
      return new RaftError(RaftErrorCode.ProposalDropped, 'too many uncommitted bytes');
    }
    this.bcastAppend();
    return firstErr;
  }

  private checkConfChange(data: Uint8Array, index: number): RaftError | null {
    if (this.pendingConfIndex > this.log.applied) {
      return new RaftError(RaftErrorCode.ConfChangePending, `conf change at ${this.pendingConfIndex} is not applied yet`);
    }
    let cc: ConfChange;
    try {
      cc = decodeConfChange(data);
    } catch (e) {
      return new RaftError(RaftErrorCode.ProposalDropped, `bad conf change: ${(e as Error).message}`);
    }
    const err = validateConfChange(this.conf(), cc);
    if (err) return err;
    this.pendingConfIndex = index;
    return null;
  }

  /** Gives entries this term and the next indexes, appends them, and counts our own copy. */
  private appendEntries(ents: Entry[]): boolean {
    const size = payloadSize(ents);
    const max = this.cfg.maxUncommittedEntriesSize;
    // Always admit at least one proposal, however large, so a big entry is not stuck forever.
    if (max > 0 && size > 0 && this.uncommittedSize > 0 && this.uncommittedSize + size > max) {
      return false;
    }
    this.uncommittedSize += size;
    let li = this.log.lastIndex();
    const stamped = ents.map((e) => ({ term: this.term, index: ++li, type: e.type, data: e.data }));
    this.log.append(stamped);
    // Not counted here: the leader's own copy counts once the driver has persisted it
    // (onStable). That lets the driver send these entries to followers while its own
    // fsync is still running, without ever counting a copy that a crash could lose.
    return true;
  }

  /** The driver persisted the log through `index` (called from advance). */
  onStable(index: number): void {
    if (this.role !== Role.Leader) return;
    const self = this.prs.get(this.id);
    if (self?.maybeUpdate(Math.min(index, this.log.stableIndex())) && this.maybeCommit()) this.bcastAppend();
  }

  reduceUncommittedSize(ents: Entry[]): void {
    if (this.role !== Role.Leader) return;
    this.uncommittedSize = Math.max(0, this.uncommittedSize - payloadSize(ents));
  }

  /**
   * Advances commit to what a majority of voters stores, but (Raft section 5.4.2) only
   * if that entry is from this leader's term; earlier entries commit along with it.
   */
  private maybeCommit(): boolean {
    const mci = committedIndex(this.voters, (id) => this.prs.get(id)?.match ?? 0);
    if (mci <= this.log.committed) return false;
    const priorTermBug = this.cfg.testingKnobs?.commitPriorTermByCount === true;
    if (this.log.termOrZero(mci) !== this.term && !priorTermBug) return false;
    this.log.commitTo(mci);
    this.releasePendingReads();
    return true;
  }

  private handleAppResp(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let hint = m.rejectHint;
      // The follower told us its last term at or below our probe: skip all our entries
      // above that term at once.
      if (m.logTerm > 0) hint = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, hint)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.sendAppendAll(m.from, true);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    const updated = pr.maybeUpdate(m.index);
    if (pr.state === ProgressState.Snapshot) {
      if (pr.match + 1 >= this.log.firstIndex()) {
        // The follower installed a snapshot (or already had enough): the log can serve it now.
        this.leaveSnapshotState(m.from, pr);
        pr.becomeReplicate();
      } else if (!updated) {
        return;
      }
    } else if (updated || (pr.match === m.index && pr.state === ProgressState.Probe)) {
      if (pr.state === ProgressState.Probe) pr.becomeReplicate();
      else pr.inflights.freeLE(m.index);
    } else {
      return;
    }
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else if (wasPaused) {
      // The follower may have missed commit updates while paused; an empty App carries it.
      this.sendAppendAll(m.from, true);
    } else if (updated) {
      this.sendAppendAll(m.from, false);
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: MessageType.TimeoutNow, to: m.from });
    }
  }

  private handleHeartbeatResp(m: Message, pr: Progress): void {
    pr.recentActive = true;
    const last = this.log.lastIndex();
    if (pr.state === ProgressState.Replicate && pr.match < last && pr.match === pr.matchAtHeartbeat) {
      // A whole heartbeat round without progress while entries are outstanding: some
      // App (or its answer) was lost. Go back to probing from what the follower has.
      pr.becomeProbe();
    }
    pr.matchAtHeartbeat = pr.match;
    if (pr.state === ProgressState.Probe) pr.probeSent = false;
    if (pr.state === ProgressState.Snapshot) {
      const s = this.snapSenders.get(m.from);
      // The follower answers heartbeats but not chunks: chunks (or their acks) were lost.
      if (s && s.stalledTicks >= 2 * this.cfg.heartbeatTick) s.rewind();
      this.pumpSnapshot(m.from);
    } else if (pr.match < last || pr.state === ProgressState.Probe) {
      this.sendAppendAll(m.from, pr.state === ProgressState.Probe);
    }
    if (m.context !== undefined) this.handleReadAck(m.from, m.context);
  }

  private handleSnapResp(m: Message, pr: Progress): void {
    pr.recentActive = true;
    const s = this.snapSenders.get(m.from);
    if (pr.state !== ProgressState.Snapshot || !s || m.index !== s.snap.meta.index) return;
    const offset = m.snapOffset ?? 0;
    if (m.reject) s.onResendRequest(offset);
    else s.onAck(offset);
    this.pumpSnapshot(m.from);
  }

  transferLeadership(to: NodeId): void {
    if (this.role !== Role.Leader) return;
    const pr = this.prs.get(to);
    if (!pr || pr.learner || to === this.id) return;
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === to) return;
      this.abortLeaderTransfer();
    }
    // The transfer gets one election timeout to finish.
    this.electionElapsed = 0;
    this.leadTransferee = to;
    if (pr.match === this.log.lastIndex()) {
      this.send({ type: MessageType.TimeoutNow, to });
    } else {
      this.sendAppendAll(to, true);
    }
  }

  // ---------------------------------------------------------------- reads

  private committedEntryInCurrentTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  private isSingleton(): boolean {
    return this.voters.length === 1 && this.voters[0] === this.id;
  }

  private leaderRead(req: ReadRequest): void {
    if (this.isSingleton()) {
      this.answerRead(req, this.log.committed);
      return;
    }
    // Until an entry of this term commits, this leader does not know the commit point.
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReads.push(req);
      return;
    }
    this.readOnly.add(this.log.committed, req);
    this.handleReadAck(this.id, req.context);
    this.bcastHeartbeat(req.context);
  }

  private handleReadAck(from: NodeId, context: Uint8Array): void {
    const acks = this.readOnly.recvAck(from, context);
    if (!acks) return;
    if (!quorumActive(this.voters, (id) => acks.has(id))) return;
    for (const st of this.readOnly.advance(context)) this.answerRead(st.req, st.index);
  }

  private answerRead(req: ReadRequest, index: number): void {
    if (req.from === this.id || req.from === NONE) {
      this.readStates.push({ index, context: req.context });
    } else {
      this.send({ type: MessageType.ReadIndexResp, to: req.from, index, context: req.context });
    }
  }

  private releasePendingReads(): void {
    if (this.pendingReads.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const reqs = this.pendingReads;
    this.pendingReads = [];
    for (const r of reqs) this.leaderRead(r);
  }

  /** A read requested on this node. */
  readIndex(context: Uint8Array): void {
    if (this.role === Role.Leader) {
      this.leaderRead({ from: this.id, context });
    } else if (this.role === Role.Follower && this.lead !== NONE) {
      this.send({ type: MessageType.ReadIndex, to: this.lead, context });
    }
    // Otherwise there is no leader to ask; the caller retries after a timeout.
  }

  // ---------------------------------------------------------------- candidate

  private stepCandidate(m: Message): void {
    const myResp = this.role === Role.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.App:
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnap(m);
        return;
      case myResp: {
        const res = this.poll(m.from, !m.reject);
        if (res === VoteResult.Won) this.onElectionWon();
        else if (res === VoteResult.Lost) this.becomeFollower(this.term, NONE);
        return;
      }
    }
  }

  // ---------------------------------------------------------------- follower

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnap(m);
        return;
      case MessageType.TimeoutNow:
        // The leader chose us: campaign at once, skipping pre-vote (voters' leases are bypassed).
        this.hup(true);
        return;
      case MessageType.Unreachable:
        // The transport lost its connection to our leader, as when the leader's process
        // dies and every follower's stream to it breaks at once. Give up the lease and
        // campaign after what remains of the randomized timeout beyond the base one
        // (0 to electionTick-1 ticks) instead of a whole timeout. Timing never touches
        // safety, and PreVote keeps a one-sided blip harmless: a member that still
        // hears the leader refuses our pre-vote.
        if (m.from === this.lead) this.electionElapsed = Math.max(this.electionElapsed, this.cfg.electionTick);
        return;
      case MessageType.ReadIndexResp:
        this.readStates.push({ index: m.index, context: m.context ?? EMPTY });
        return;
    }
  }

  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send({ type: MessageType.AppResp, to: m.from, index: this.log.committed });
      return;
    }
    const last = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (last !== null) {
      this.send({ type: MessageType.AppResp, to: m.from, index: last });
      return;
    }
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send({
      type: MessageType.AppResp,
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    });
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    const f: MessageFields = { type: MessageType.HeartbeatResp, to: m.from };
    if (m.context !== undefined) f.context = m.context;
    this.send(f);
  }

  private sendSnapResp(to: NodeId, index: number, offset: number, reject: boolean): void {
    const m = makeMessage({ type: MessageType.SnapResp, from: this.id, to, term: this.term, index, reject });
    m.snapOffset = offset;
    this.pushMessage(m);
  }

  private handleSnap(m: Message): void {
    const chunk = m.snapshot;
    if (!chunk) return;
    const meta = chunk.meta;
    if (meta.index <= this.log.committed) {
      // Nothing to install; tell the leader how far we are so it resumes with Apps.
      this.snapReceiver = undefined;
      this.send({ type: MessageType.AppResp, to: m.from, index: this.log.committed });
      return;
    }
    const offset = m.snapOffset ?? 0;
    const total = m.snapTotal ?? chunk.data.length;
    let r = this.snapReceiver;
    if (!r || !r.matches(m.from, m.term, meta.index, meta.term, total)) {
      if (offset !== 0) {
        // Mid-stream chunk of a snapshot we hold no buffer for: ask for it from the start.
        this.sendSnapResp(m.from, meta.index, 0, true);
        return;
      }
      if (r && r.leader === m.from && r.term === m.term && r.index > meta.index) {
        // A late first chunk of a snapshot the leader has since replaced.
        return;
      }
      r = new SnapshotReceiver(m.from, m.term, meta.index, meta.term, total);
      this.snapReceiver = r;
    }
    if (offset > r.received) {
      this.sendSnapResp(m.from, meta.index, r.received, true);
      return;
    }
    if (offset < r.received || !r.accept(offset, chunk.data)) {
      // A duplicate: repeat our position in case the earlier acknowledgement was lost.
      this.sendSnapResp(m.from, meta.index, r.received, false);
      return;
    }
    if (!r.complete()) {
      this.sendSnapResp(m.from, meta.index, r.received, false);
      return;
    }
    this.snapReceiver = undefined;
    const snap: Snapshot = { meta: { index: meta.index, term: meta.term, conf: cloneConf(meta.conf) }, data: r.data() };
    if (this.restore(snap)) {
      this.send({ type: MessageType.AppResp, to: m.from, index: this.log.lastIndex() });
    } else {
      this.send({ type: MessageType.AppResp, to: m.from, index: this.log.committed });
    }
  }

  /** Installs a snapshot from the leader if it is news to us. */
  private restore(s: Snapshot): boolean {
    if (s.meta.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.meta.index, s.meta.term)) {
      // We already hold that entry, hence everything before it: just move commit.
      this.log.commitTo(s.meta.index);
      return false;
    }
    this.log.restore(s);
    this.setMembership(s.meta.conf);
    return true;
  }

  // ---------------------------------------------------------------- proposals from RawNode

  /** Entries a follower forwards to its leader. */
  forwardProposal(entries: Entry[]): RaftError | null {
    if (this.role !== Role.Follower || this.lead === NONE) {
      return new RaftError(RaftErrorCode.ProposalDropped, 'no leader known');
    }
    this.send({ type: MessageType.Prop, to: this.lead, entries });
    return null;
  }
}
