// What a manager's parts (API routes, CA, dispatcher, role reconciler) share.
import type { RaftNode } from './raft/node.js';
import type { Store } from './store/index.js';
import type { Peer } from '../shared/control/proto.js';

export interface ManagerContext {
  nodeId: string;
  clusterId: string;
  raft: RaftNode;
  store: Store;
  log: (msg: string) => void;
  /** Raft members (managers) and their 2377 addresses. */
  managers(): Peer[];
  /** The leader's node ID and 2377 address, if one is known. */
  leader(): Peer | undefined;
  /** Whether the node is a voter or learner in Raft's configuration as applied here. */
  isRaftMember(nodeId: string): boolean;
  /** Raft's view of which managers answer: the leader's progress, or only self on a follower. */
  reachable(nodeId: string): boolean | undefined;
}

/** Half the voters plus one: what Raft needs to elect and to commit. */
export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}
