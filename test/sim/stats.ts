// What one simulated run did, for the end-of-run summary and for tests that
// check a run did real work.

export interface SimStats {
  events: number;
  virtualMs: number;
  opsIssued: number;
  opsOk: number;
  opsFailed: number;
  opsIndeterminate: number;
  reads: number;
  writes: number;
  leaderTerms: number;
  crashes: number;
  lostWrites: number;
  pauses: number;
  partitions: number;
  storms: number;
  snapshotsCreated: number;
  snapshotsInstalled: number;
  confChangesProposed: number;
  confChangesApplied: number;
  membersAdded: number;
  membersRemoved: number;
  transfersRequested: number;
  transfersDone: number;
  messagesSent: number;
  messagesDropped: number;
  messagesDuplicated: number;
  /** Entries whose op id had already committed: the KV's idempotence at work. */
  duplicateCommits: number;
  maxCommitted: number;
  checkerSteps: number;
}

export function newStats(): SimStats {
  return {
    events: 0,
    virtualMs: 0,
    opsIssued: 0,
    opsOk: 0,
    opsFailed: 0,
    opsIndeterminate: 0,
    reads: 0,
    writes: 0,
    leaderTerms: 0,
    crashes: 0,
    lostWrites: 0,
    pauses: 0,
    partitions: 0,
    storms: 0,
    snapshotsCreated: 0,
    snapshotsInstalled: 0,
    confChangesProposed: 0,
    confChangesApplied: 0,
    membersAdded: 0,
    membersRemoved: 0,
    transfersRequested: 0,
    transfersDone: 0,
    messagesSent: 0,
    messagesDropped: 0,
    messagesDuplicated: 0,
    duplicateCommits: 0,
    maxCommitted: 0,
    checkerSteps: 0,
  };
}
