// Everything a seed decides about the shape of its run: core settings, the
// application's snapshot cadence, the workload and how hostile the world is.
// Varying these per seed covers more of the core (one-entry App messages,
// tiny snapshot chunks, no PreVote...) than any single setting would.

import { DEFAULTS } from '../../manager/raft/core/config.js';
import type { CoreParams } from './node.js';
import type { NetworkProfile } from './network.js';
import type { Prng } from './prng.js';

export interface SimParams {
  core: CoreParams;
  /** Virtual ms per core tick (each node drifts a little around it). */
  tickMs: number;
  /** The application snapshots after this many applied entries. */
  snapshotEvery: number;
  /** Entries kept behind a snapshot when compacting. */
  keepEntries: number;
  clients: number;
  keys: number;
  /** Client think time range, virtual ms. */
  thinkMs: [number, number];
  /** After this long without an answer an operation is indeterminate. */
  opTimeoutMs: number;
  net: NetworkProfile;
  /** Mean gap between faults, virtual ms. */
  faultGapMs: number;
  membershipGapMs: number;
  transferGapMs: number;
  /** Probability that a newly elected leader is cut off or crashed at once. */
  strikeNewLeader: number;
  /** Probability that a leader crashes right after its commit index moves. */
  strikeOnCommit: number;
  /** Largest cluster (voters + learners) membership changes may grow to. */
  maxMembers: number;
}

export function chooseParams(rng: Prng, nodes: number): SimParams {
  const electionTick = rng.pick([10, 10, 15, 20]);
  const core: CoreParams = {
    ...DEFAULTS,
    electionTick,
    heartbeatTick: rng.pick([1, 1, 2, 3]),
    preVote: rng.chance(0.85),
    checkQuorum: rng.chance(0.85),
    // Commands are ~15-25 bytes: 1 means one entry per App, which stresses probing and pipelining.
    maxSizePerMsg: rng.pick([1, 64, 1024, DEFAULTS.maxSizePerMsg]),
    maxInflightMsgs: rng.pick([1, 2, 4, DEFAULTS.maxInflightMsgs]),
    maxInflightBytes: rng.pick([0, 512, DEFAULTS.maxInflightBytes]),
    maxUncommittedEntriesSize: rng.pick([0, 2048, DEFAULTS.maxUncommittedEntriesSize]),
    // Snapshots here are a few KB, so small chunks mean many Snap messages per transfer.
    snapshotChunkSize: rng.pick([64, 300, 1024, DEFAULTS.snapshotChunkSize]),
    maxInflightSnapChunks: rng.pick([1, 2, DEFAULTS.maxInflightSnapChunks]),
  };
  const stormy = rng.chance(0.3);
  const net: NetworkProfile = {
    drop: rng.pick([0, 0.01, 0.03, stormy ? 0.15 : 0.05]),
    duplicate: rng.pick([0, 0.01, 0.05]),
    minDelay: 1,
    maxDelay: rng.pick([3, 6, 12]),
    slow: rng.pick([0, 0.01, 0.05]),
    slowDelay: rng.pick([50, 200, 600]),
  };
  return {
    core,
    tickMs: 10,
    snapshotEvery: rng.pick([4, 10, 25, 60, 1_000_000]),
    keepEntries: rng.pick([0, 0, 3, 20]),
    clients: rng.range(3, 7),
    keys: rng.range(1, 4),
    thinkMs: [0, rng.pick([5, 20, 50])],
    opTimeoutMs: rng.range(400, 1500),
    net,
    faultGapMs: rng.pick([150, 300, 600]),
    membershipGapMs: rng.pick([300, 800, 2000]),
    transferGapMs: rng.pick([400, 1500, 5000]),
    strikeNewLeader: rng.pick([0, 0.1, 0.3]),
    strikeOnCommit: rng.pick([0, 0.005, 0.02]),
    maxMembers: nodes + 2,
  };
}
