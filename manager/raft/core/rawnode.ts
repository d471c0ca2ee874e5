// The public face of the core for the driver and the simulator: feed it ticks,
// messages and requests; collect a Ready; persist, send and apply it; advance.

import { EntryType, MessageType, RaftError, RaftErrorCode, Role } from './types.js';
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, ProgressStatus, Ready, SoftState, Status } from './types.js';
import type { CoreConfig } from './config.js';
import { Raft } from './raft.js';
import { encodeConfChange } from './confchange.js';
import { hardStateEqual, makeMessage } from './util.js';

/** Answers whose sender must still be a member to matter. */
function isResponse(t: MessageType): boolean {
  return (
    t === MessageType.AppResp ||
    t === MessageType.VoteResp ||
    t === MessageType.PreVoteResp ||
    t === MessageType.HeartbeatResp ||
    t === MessageType.SnapResp ||
    t === MessageType.Unreachable
  );
}

export class RawNode {
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;

  constructor(cfg: CoreConfig) {
    this.raft = new Raft(cfg);
    this.prevSoft = this.softState();
    this.prevHard = cfg.storage.initialState().hardState;
  }

  get id(): NodeId {
    return this.raft.id;
  }

  tick(): void {
    this.raft.tick();
  }

  step(m: Message): void {
    if (m.to !== this.raft.id) return;
    // Elections and heartbeats are started by this node's own clock, never by the network.
    if (m.type === MessageType.Hup || m.type === MessageType.Beat) return;
    if (isResponse(m.type) && !this.raft.prs.has(m.from)) return;
    this.raft.step(m);
  }

  propose(data: Uint8Array): RaftError | null {
    return this.proposeMany([data]);
  }

  /**
   * Proposes several entries at once: one App per follower carries them all, where
   * separate propose() calls would each broadcast their own.
   */
  proposeMany(datas: Uint8Array[]): RaftError | null {
    const ents: Entry[] = datas.map((data) => ({ term: 0, index: 0, type: EntryType.Normal, data }));
    if (this.raft.role === Role.Leader) return this.raft.propose(ents);
    return this.raft.forwardProposal(ents);
  }

  /**
   * Only the leader can check a change against the membership and the pending one,
   * so elsewhere this returns NotLeader instead of forwarding a change that might be
   * refused silently.
   */
  proposeConfChange(cc: ConfChange): RaftError | null {
    if (this.raft.role !== Role.Leader) {
      return new RaftError(RaftErrorCode.NotLeader, `not the leader (leader: ${this.raft.lead || 'unknown'})`);
    }
    return this.raft.propose([{ term: 0, index: 0, type: EntryType.ConfChange, data: encodeConfChange(cc) }]);
  }

  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  campaign(): void {
    this.raft.hup(false);
  }

  transferLeadership(to: NodeId): void {
    this.raft.transferLeadership(to);
  }

  readIndex(context: Uint8Array): void {
    this.raft.readIndex(context);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step(makeMessage({ type: MessageType.Unreachable, from: id, to: this.raft.id }));
  }

  private softState(): SoftState {
    return { lead: this.raft.lead, role: this.raft.role };
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  hasReady(): boolean {
    const r = this.raft;
    const soft = this.softState();
    if (soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role) return true;
    if (!hardStateEqual(this.hardState(), this.prevHard)) return true;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.log.unstable.nextSnapshot() !== undefined) return true;
    if (r.log.unstable.nextEntries().length > 0) return true;
    return r.log.hasNextCommittedEnts();
  }

  ready(): Ready {
    const r = this.raft;
    const entries = r.log.unstable.nextEntries();
    const committedEntries = r.log.nextCommittedEnts(r.cfg.maxSizePerMsg);
    const hard = this.hardState();
    const rd: Ready = {
      readStates: r.readStates,
      entries,
      committedEntries,
      messages: r.msgs,
      mustSync: false,
    };
    const soft = this.softState();
    if (soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role) {
      rd.softState = soft;
      this.prevSoft = soft;
    }
    if (!hardStateEqual(hard, this.prevHard)) rd.hardState = hard;
    const snap = r.log.unstable.nextSnapshot();
    if (snap) rd.snapshot = snap;
    // Term and vote must be durable before any message relying on them goes out; so must
    // log entries and an installed snapshot before they are acknowledged. Commit need not be.
    rd.mustSync =
      entries.length > 0 || snap !== undefined || hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote;

    r.msgs = [];
    r.readStates = [];
    r.log.unstable.acceptInProgress();
    if (committedEntries.length > 0) r.log.acceptApplying(committedEntries[committedEntries.length - 1].index);
    return rd;
  }

  advance(rd: Ready): void {
    const log = this.raft.log;
    if (rd.hardState) this.prevHard = { ...rd.hardState };
    if (rd.snapshot) {
      log.unstable.stableSnapTo(rd.snapshot.meta.index);
      log.appliedTo(Math.min(rd.snapshot.meta.index, log.committed));
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      log.unstable.stableTo(last.index, last.term);
      this.raft.onStable(last.index);
    }
    if (rd.committedEntries.length > 0) {
      log.appliedTo(rd.committedEntries[rd.committedEntries.length - 1].index);
      this.raft.reduceUncommittedSize(rd.committedEntries);
    }
  }

  status(): Status {
    const r = this.raft;
    const st: Status = {
      id: r.id,
      hardState: this.hardState(),
      softState: this.softState(),
      applied: r.log.applied,
      conf: r.conf(),
      leadTransferee: r.leadTransferee,
    };
    if (r.role === Role.Leader) {
      const progress: Record<NodeId, ProgressStatus> = {};
      for (const [id, pr] of r.prs) progress[id] = pr.toStatus();
      st.progress = progress;
    }
    return st;
  }
}
