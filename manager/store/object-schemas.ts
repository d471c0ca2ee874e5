// Validators for what a proposer may store in each collection. Typed against objects.ts:
// adding a field to an interface without adding it here is a compile error.

import {
  MAX_CONFIG_DATA_BYTES, TASK_STATES,
  type ClusterContent, type Collection, type ConfigContent, type Contents, type EndpointContent, type EndpointSpec, type IPAMOptions,
  type KeyContent, type Labels, type NetworkAttachment, type NetworkContent, type NodeContent, type PortConfig,
  type ServiceContent, type ServiceMode, type ServiceSpec, type TaskContent, type TaskSpec, type UpdateConfig,
} from './objects.js';
import { byteTree, type ByteTree } from './codec.js';
import { arr, bool, bytePaths, bytes, int, num, obj, oneOf, opt, record, str, tagged, type Schema } from './schema.js';

/** Unique names are compared case-insensitively in ASCII (see names.ts); any printable text is allowed. */
const name = str({ min: 1, max: 255 });
const text = str({ max: 64 * 1024 });
const ref = str({ min: 1, max: 64 });
const isoTime = str({ max: 64 });
const labels: Schema<Labels> = record(str({ max: 64 * 1024 }));
const count = int({ min: 0 });
const durationMs = int({ min: 0 });

const cluster = obj<ClusterContent>({
  spec: obj({
    name,
    labels: opt(labels),
    orchestration: obj({ taskHistoryRetentionLimit: count }),
    raft: obj({
      snapshotInterval: count,
      keepOldSnapshots: count,
      logEntriesForSlowFollowers: count,
      electionTick: int({ min: 1 }),
      heartbeatTick: int({ min: 1 }),
    }),
    dispatcher: obj({ heartbeatPeriodMs: durationMs }),
    caConfig: obj({ nodeCertExpiryMs: durationMs }),
    encryptionConfig: obj({ autoLockManagers: bool() }),
  }),
  rootCA: opt(obj({
    caCertPem: text,
    caKeyPem: text,
    caCertHash: str({ max: 256 }),
    joinTokens: obj({ worker: str({ max: 256 }), manager: str({ max: 256 }) }),
  })),
  removedNodes: opt(arr(ref, { max: 100_000 })),
  defaultAddrPool: arr(str({ max: 64 }), { max: 256 }),
  subnetSize: int({ min: 0, max: 128 }),
  dataPathPort: int({ min: 1, max: 65535 }),
});

const attachment = obj<NetworkAttachment>({ networkId: ref, addresses: arr(str({ max: 64 })) });

const node = obj<NodeContent>({
  spec: obj({
    name: opt(name),
    labels: opt(labels),
    role: oneOf(['worker', 'manager']),
    availability: oneOf(['active', 'pause', 'drain']),
  }),
  description: opt(obj({
    hostname: str({ max: 255 }),
    platform: obj({ architecture: str({ max: 64 }), os: str({ max: 64 }) }),
    resources: obj({ nanoCPUs: count, memoryBytes: count }),
    engine: opt(obj({ engineVersion: str({ max: 64 }), labels: opt(labels) })),
  })),
  status: obj({
    state: oneOf(['unknown', 'down', 'ready', 'disconnected']),
    message: opt(text),
    addr: opt(str({ max: 255 })),
  }),
  managerStatus: opt(obj({
    leader: bool(),
    reachability: oneOf(['unknown', 'unreachable', 'reachable']),
    addr: str({ max: 255 }),
  })),
  role: oneOf(['worker', 'manager']),
  attachments: opt(arr(attachment)),
});

const ipamOptions = obj<IPAMOptions>({
  driver: obj({ name: str({ max: 64 }), options: opt(labels) }),
  configs: arr(obj({ subnet: opt(str({ max: 64 })), ipRange: opt(str({ max: 64 })), gateway: opt(str({ max: 64 })) }), { max: 64 }),
});

const network = obj<NetworkContent>({
  spec: obj({
    name,
    labels: opt(labels),
    driverConfiguration: obj({ name: str({ min: 1, max: 64 }), options: opt(labels) }),
    ipv6Enabled: bool(),
    internal: bool(),
    attachable: bool(),
    ingress: bool(),
    ipamOptions: opt(ipamOptions),
  }),
  driverState: opt(obj({ name: str({ max: 64 }), vni: int({ min: 1, max: 0xffffff }), options: opt(labels) })),
  ipam: opt(ipamOptions),
});

const resources = obj({ nanoCPUs: opt(count), memoryBytes: opt(count) });

const taskSpec = obj<TaskSpec>({
  process: obj({
    command: arr(text),
    args: opt(arr(text)),
    env: opt(arr(text)),
    dir: opt(str({ max: 4096 })),
    user: opt(str({ max: 255 })),
    hostname: opt(str({ max: 255 })),
    labels: opt(labels),
    configs: opt(arr(obj({
      configId: ref,
      configName: name,
      file: obj({ name: str({ min: 1, max: 4096 }), uid: str({ max: 32 }), gid: str({ max: 32 }), mode: int({ min: 0, max: 0o7777 }) }),
    }))),
  }),
  resources: opt(obj({ limits: opt(resources), reservations: opt(resources) })),
  restartPolicy: opt(obj({
    condition: oneOf(['none', 'on-failure', 'any']),
    delayMs: opt(durationMs),
    maxAttempts: opt(count),
    windowMs: opt(durationMs),
  })),
  placement: opt(obj({
    constraints: opt(arr(str({ max: 1024 }))),
    preferences: opt(arr(obj({ spread: str({ max: 1024 }) }))),
    maxReplicas: opt(count),
  })),
  networks: opt(arr(obj({ target: str({ min: 1, max: 255 }), aliases: opt(arr(str({ max: 255 }))) }))),
  forceUpdate: count,
});

const mode = tagged<ServiceMode>({
  replicated: obj({ kind: oneOf(['replicated']), replicas: count }),
  global: obj({ kind: oneOf(['global']) }),
});

const updateConfig = obj<UpdateConfig>({
  parallelism: count,
  delayMs: durationMs,
  failureAction: oneOf(['pause', 'continue', 'rollback']),
  monitorMs: durationMs,
  maxFailureRatio: num({ min: 0, max: 1 }),
  order: oneOf(['stop-first', 'start-first']),
});

const port = obj<PortConfig>({
  name: opt(str({ max: 255 })),
  protocol: oneOf(['tcp', 'udp', 'sctp']),
  targetPort: int({ min: 1, max: 65535 }),
  publishedPort: opt(int({ min: 0, max: 65535 })),
  publishMode: oneOf(['ingress', 'host']),
});

const endpointSpec = obj<EndpointSpec>({ mode: oneOf(['vip', 'dnsrr']), ports: opt(arr(port)) });

const serviceSpec = obj<ServiceSpec>({
  name,
  labels: opt(labels),
  taskTemplate: taskSpec,
  mode,
  updateConfig: opt(updateConfig),
  rollbackConfig: opt(updateConfig),
  endpointSpec: opt(endpointSpec),
});

const service = obj<ServiceContent>({
  spec: serviceSpec,
  previousSpec: opt(serviceSpec),
  endpoint: opt(obj({
    spec: endpointSpec,
    ports: opt(arr(port)),
    virtualIPs: opt(arr(obj({ networkId: ref, addr: str({ max: 64 }) }))),
  })),
  updateStatus: opt(obj({
    state: oneOf(['updating', 'paused', 'completed', 'rollback_started', 'rollback_paused', 'rollback_completed']),
    startedAt: opt(isoTime),
    completedAt: opt(isoTime),
    message: opt(text),
  })),
});

const taskState = oneOf(TASK_STATES);

const task = obj<TaskContent>({
  spec: taskSpec,
  serviceId: ref,
  slot: opt(int({ min: 1 })),
  nodeId: opt(ref),
  labels: opt(labels),
  desiredState: taskState,
  status: obj({
    timestamp: isoTime,
    state: taskState,
    message: opt(text),
    err: opt(text),
    processStatus: opt(obj({ pid: opt(int({ min: 0 })), exitCode: opt(int()) })),
  }),
  networksAttachments: opt(arr(attachment)),
  specVersion: opt(count),
});

const config = obj<ConfigContent>({
  spec: obj({ name, labels: opt(labels), data: bytes(MAX_CONFIG_DATA_BYTES) }),
});

const key = obj<KeyContent>({
  spec: obj({
    subsystem: oneOf(['gossip', 'datapath']),
    algorithm: oneOf(['aes-256-gcm', 'chacha20-poly1305']),
    key: bytes(1024),
    lamportTime: count,
  }),
});

const endpoint = obj<EndpointContent>({
  spec: obj({
    networkId: ref,
    nodeId: ref,
    containerName: name,
    containerId: ref,
    aliases: arr(name, { max: 256 }),
    requestedAddress: opt(str({ min: 1, max: 64 })),
  }),
  address: str({ min: 1, max: 64 }),
  mac: str({ min: 1, max: 64 }),
});

export const CONTENT_SCHEMAS: { [C in Collection]: Schema<Contents[C]> } = {
  clusters: cluster,
  nodes: node,
  networks: network,
  services: service,
  tasks: task,
  configs: config,
  keys: key,
  endpoints: endpoint,
};

function treeOf(s: Schema<unknown>): ByteTree | true | undefined {
  const paths = bytePaths(s);
  return paths === undefined ? undefined : byteTree(paths);
}

/** Where each collection's content (and so its stored object) holds bytes; undefined: no fixed place. */
export const CONTENT_BYTE_TREES: { [C in Collection]: ByteTree | true | undefined } = {
  clusters: treeOf(cluster),
  nodes: treeOf(node),
  networks: treeOf(network),
  services: treeOf(service),
  tasks: treeOf(task),
  configs: treeOf(config),
  keys: treeOf(key),
  endpoints: treeOf(endpoint),
};
