// Defaults for the core, with the reason for each number. Units are ticks;
// the driver decides how long a tick is (DEFAULT_TICK_MS below).

import type { NodeId } from './types.js';
import type { Storage } from './storage.js';

export interface CoreConfig {
  id: NodeId;
  storage: Storage;
  /** Index of the last entry the state machine already holds (0 or the snapshot index on restart). */
  applied: number;
  /** Ticks a follower waits without hearing from a leader before it campaigns; randomized in [e, 2e). */
  electionTick: number;
  /** Ticks between leader heartbeats. Must be well below electionTick. */
  heartbeatTick: number;
  preVote: boolean;
  checkQuorum: boolean;
  /** Upper bound on the data bytes in one App message (batching cap). */
  maxSizePerMsg: number;
  /** In-flight App messages per follower in Replicate state (pipelining window). */
  maxInflightMsgs: number;
  /** In-flight App bytes per follower; 0 = unbounded. */
  maxInflightBytes: number;
  /** Bytes of proposed-but-uncommitted entry data the leader accepts before dropping proposals; 0 = unbounded. */
  maxUncommittedEntriesSize: number;
  /** Bytes of snapshot data per Snap message, so heartbeats interleave with a large snapshot. */
  snapshotChunkSize: number;
  /** Snap chunks in flight per follower. */
  maxInflightSnapChunks: number;
  /** Seeded randomness for election timeouts. Returns [0, 1). The core has no other source. */
  rand: () => number;
  /** Test-only faults, to prove the simulator finds real bugs. Never set outside tests. */
  testingKnobs?: {
    /** The classic Raft bug: commit an entry of an earlier term once a majority stores it. */
    commitPriorTermByCount?: boolean;
  };
}

/** Milliseconds per tick in the real driver. */
export const DEFAULT_TICK_MS = 100;

export const DEFAULTS = {
  // 10 ticks x 100 ms = 1 s base election timeout (randomized to 1-2 s): etcd uses the
  // same 1 s default, and failover time is roughly one timeout, so this is our failover budget.
  electionTick: 10,
  // 1 tick = 100 ms: ten heartbeats per election timeout tolerate several lost ones.
  heartbeatTick: 1,
  // A rejoining partitioned node must not depose a healthy leader (PreVote), and a
  // leader cut off from the quorum must step down (CheckQuorum).
  preVote: true,
  checkQuorum: true,
  // 1 MiB per App: large enough to batch thousands of small writes, small enough that
  // one message does not stall a heartbeat behind it on the stream.
  maxSizePerMsg: 1024 * 1024,
  // 256 in-flight Apps: with ~1 ms RTT on a LAN this keeps the pipe full at any rate we reach.
  maxInflightMsgs: 256,
  // 16 MiB in flight per follower bounds memory held for a slow follower.
  maxInflightBytes: 16 * 1024 * 1024,
  // 64 MiB of uncommitted proposals: past that, a leader that cannot commit sheds load.
  maxUncommittedEntriesSize: 64 * 1024 * 1024,
  // 256 KiB chunks: a chunk is sent in well under one heartbeat interval on any LAN.
  snapshotChunkSize: 256 * 1024,
  // 4 chunks in flight: enough to hide RTT, small enough not to flood the stream.
  maxInflightSnapChunks: 4,
} as const;
