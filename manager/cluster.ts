// The single cluster object ("default", id = cluster ID) and its defaults. Swarm's
// defaults, so a user who knows `docker swarm` sees the same numbers.
import type { Cluster, ClusterContent, ClusterSpec, Store } from './store/index.js';
import { TsswarmError } from '../shared/errors.js';
import { DEFAULT_ADDR_POOLS, DEFAULT_SUBNET_SIZE } from './allocator/subnets.js';

export const CLUSTER_NAME = 'default';

export const DEFAULT_CLUSTER_SPEC: ClusterSpec = {
  name: CLUSTER_NAME,
  orchestration: { taskHistoryRetentionLimit: 5 },
  raft: { snapshotInterval: 10_000, keepOldSnapshots: 0, logEntriesForSlowFollowers: 500, electionTick: 10, heartbeatTick: 1 },
  // Swarm's 5 s: a node is Down after missing three periods, long enough to ride out a GC
  // pause or a brief partition, short enough that its tasks move within a minute.
  dispatcher: { heartbeatPeriodMs: 5_000 },
  // 90 days, renewed at half-life (manager/ca needsRenewal).
  caConfig: { nodeCertExpiryMs: 90 * 24 * 3600 * 1000 },
  encryptionConfig: { autoLockManagers: false },
};

export const DEFAULT_DATA_PATH_PORT = 4789;

export function newClusterContent(o: {
  caCertPem: string; caKeyPem: string; caCertHash: string; workerToken: string; managerToken: string;
  defaultAddrPool?: string[]; subnetSize?: number; dataPathPort?: number; certExpiryMs?: number;
  heartbeatPeriodMs?: number; taskHistoryLimit?: number;
}): ClusterContent {
  const d = DEFAULT_CLUSTER_SPEC;
  return {
    spec: {
      ...d,
      orchestration: { taskHistoryRetentionLimit: o.taskHistoryLimit ?? d.orchestration.taskHistoryRetentionLimit },
      dispatcher: { heartbeatPeriodMs: o.heartbeatPeriodMs ?? d.dispatcher.heartbeatPeriodMs },
      caConfig: { nodeCertExpiryMs: o.certExpiryMs ?? d.caConfig.nodeCertExpiryMs },
    },
    rootCA: { caCertPem: o.caCertPem, caKeyPem: o.caKeyPem, caCertHash: o.caCertHash, joinTokens: { worker: o.workerToken, manager: o.managerToken } },
    defaultAddrPool: o.defaultAddrPool && o.defaultAddrPool.length > 0 ? o.defaultAddrPool : [...DEFAULT_ADDR_POOLS],
    subnetSize: o.subnetSize ?? DEFAULT_SUBNET_SIZE,
    dataPathPort: o.dataPathPort ?? DEFAULT_DATA_PATH_PORT,
    removedNodes: [],
  };
}

/** The cluster object as this manager has applied it (not linearizable: callers that must be exact read with a barrier first). */
export async function getCluster(store: Store, opts: { linearizable?: boolean } = {}): Promise<Cluster> {
  const c = await store.getByName('clusters', CLUSTER_NAME, opts);
  if (!c) throw new TsswarmError('Unavailable', 'the swarm is still being initialized: no cluster object yet');
  return c;
}
