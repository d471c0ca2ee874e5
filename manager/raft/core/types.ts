// The vocabulary of the Raft core. Everything here is plain data so that the
// core stays a pure state machine: the driver (or the simulator) moves these
// values between the core, the disk and the network.

/** A Raft member's identity. Stable for the life of the member; never reused. */
export type NodeId = string;

/** "No node": used for `vote` and `lead` before anyone is known. */
export const NONE: NodeId = '';

export enum EntryType {
  Normal = 0,
  ConfChange = 1,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque to the core. Empty data on a Normal entry is the leader's no-op. */
  data: Uint8Array;
}

/** What must be on disk before any message that depends on it is sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

/** Membership. A node is in at most one of the two lists. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMeta {
  index: number;
  term: number;
  conf: ConfState;
}

export interface Snapshot {
  meta: SnapshotMeta;
  /** The application's state at meta.index, opaque to the core. */
  data: Uint8Array;
}

export enum ConfChangeType {
  /** Add a non-voting member that receives the log. */
  AddLearner = 0,
  /** Make a member a voter: promotes a learner, or adds a new voter outright. */
  AddVoter = 1,
  RemoveNode = 2,
}

export interface ConfChange {
  type: ConfChangeType;
  node: NodeId;
  /** Opaque application context (e.g. the member's address). */
  context?: Uint8Array;
}

export enum MessageType {
  // Local only: never crosses the network.
  Hup = 0, // start an election (pre-vote first, if enabled)
  Beat = 1, // leader: send heartbeats now
  Prop = 2, // proposal; followers forward it to the leader
  // Between members.
  App = 3,
  AppResp = 4,
  Vote = 5,
  VoteResp = 6,
  PreVote = 7,
  PreVoteResp = 8,
  Snap = 9, // one chunk of a snapshot
  SnapResp = 10,
  Heartbeat = 11,
  HeartbeatResp = 12,
  TransferLeader = 13,
  TimeoutNow = 14,
  ReadIndex = 15,
  ReadIndexResp = 16,
  Unreachable = 17, // local: the transport reports that `from` could not be reached
}

export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** App: index of the entry before `entries`. AppResp: the last index matched (or rejected). */
  index: number;
  /** App: term of the entry at `index`. Vote/PreVote: the candidate's last log term. */
  logTerm: number;
  entries: Entry[];
  /** App/Heartbeat: leader's commit index. */
  commit: number;
  /** AppResp/VoteResp/PreVoteResp/SnapResp: the request was refused. */
  reject: boolean;
  /** AppResp with reject: the follower's hint (its last index, or a conflict index). */
  rejectHint: number;
  /** Vote/PreVote/TimeoutNow: this campaign is a leadership transfer (bypasses leases). */
  transfer?: boolean;
  /** Heartbeat/HeartbeatResp/ReadIndex/ReadIndexResp: opaque read-request context. */
  context?: Uint8Array;
  /**
   * Snap: one chunk. `snapshot.data` of the chunk holds bytes [offset, offset+len)
   * of the whole snapshot's data; `snapDone` marks the last chunk.
   * SnapResp: `index` is the snapshot's index, `snapOffset` the next offset wanted.
   */
  snapshot?: Snapshot;
  snapOffset?: number;
  snapTotal?: number;
  snapDone?: boolean;
}

export enum Role {
  Follower = 'follower',
  PreCandidate = 'pre-candidate',
  Candidate = 'candidate',
  Leader = 'leader',
}

/** Volatile state that the driver may want to observe (not persisted). */
export interface SoftState {
  lead: NodeId;
  role: Role;
}

/** The answer to a ReadIndex request: reads at `index` or later are linearizable. */
export interface ReadState {
  index: number;
  context: Uint8Array;
}

/**
 * Everything the driver must do after feeding the core. Order of duties:
 * 1. persist `snapshot` (if any), then `entries`, then `hardState` (synced if `mustSync`);
 * 2. send `messages`;
 * 3. apply `snapshot` then `committedEntries` to the state machine;
 * 4. call `advance(ready)`.
 * One exception to 1-before-2: a leader whose term and vote did not change in this Ready
 * may send its messages while the persist is still running (Raft thesis 10.2.1). The core
 * counts the leader's own entries toward commit only once advance() reports them stable,
 * so nothing is committed on the strength of a copy that a crash could still lose.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  mustSync: boolean;
}

/** Per-follower replication state as the leader sees it. */
export enum ProgressState {
  Probe = 'probe',
  Replicate = 'replicate',
  Snapshot = 'snapshot',
}

export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
  learner: boolean;
  recentActive: boolean;
  inflight: number;
}

export interface Status {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  conf: ConfState;
  /** Present on the leader only. */
  progress?: Record<NodeId, ProgressStatus>;
  leadTransferee: NodeId;
}

/** Errors the core returns as values (never throws for ordinary conditions). */
export enum RaftErrorCode {
  ProposalDropped = 'ProposalDropped',
  NotLeader = 'NotLeader',
  ConfChangePending = 'ConfChangePending',
  LastVoter = 'LastVoter',
  UnknownNode = 'UnknownNode',
  Compacted = 'Compacted',
  Unavailable = 'Unavailable',
  SnapOutOfDate = 'SnapOutOfDate',
}

export class RaftError extends Error {
  constructor(
    readonly code: RaftErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RaftError';
  }
}
