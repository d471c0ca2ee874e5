// The replicated objects, one interface per collection, shaped after Docker swarm's API
// objects (camelCase instead of Docker's PascalCase). First cut: they will grow. Every field
// added here must also be added to its schema in object-schemas.ts; the compiler enforces it.
//
// Objects handed out by the store are frozen and shared; never mutate them (Uint8Array
// fields cannot be frozen, so that rule is by convention for bytes).

/** A set of collections is fixed at compile time; snapshots list them in this order. */
export const COLLECTIONS = ['clusters', 'nodes', 'networks', 'services', 'tasks', 'configs', 'keys', 'endpoints'] as const;
export type Collection = (typeof COLLECTIONS)[number];

/** Collections whose objects carry a name that is unique within the collection (as swarmkit). */
export const NAMED_COLLECTIONS = ['clusters', 'networks', 'services', 'configs'] as const;
export type NamedCollection = (typeof NAMED_COLLECTIONS)[number];

/** Docker's limit for a config's (and a secret's) data: 500 KiB. */
export const MAX_CONFIG_DATA_BYTES = 500 * 1024;

export type Labels = Record<string, string>;

/** Bookkeeping the state machine sets; never part of what a proposer sends. */
export interface Meta {
  /** 25 characters of lowercase base 36, chosen by the proposer (see ids.ts). */
  id: string;
  /** Raft index of the object's last change. */
  version: number;
  /** ISO 8601, taken from the command that created the object. */
  createdAt: string;
  /** ISO 8601, taken from the command that last changed the object. */
  updatedAt: string;
  /** Mirror of `spec.name` for named collections, so callers need not know where it lives. */
  name?: string;
}

// ---------------------------------------------------------------- clusters

export interface ClusterSpec {
  /** Docker's single cluster is named "default". */
  name: string;
  labels?: Labels;
  orchestration: { taskHistoryRetentionLimit: number };
  raft: {
    snapshotInterval: number;
    keepOldSnapshots: number;
    logEntriesForSlowFollowers: number;
    electionTick: number;
    heartbeatTick: number;
  };
  dispatcher: { heartbeatPeriodMs: number };
  caConfig: { nodeCertExpiryMs: number };
  encryptionConfig: { autoLockManagers: boolean };
}

export interface JoinTokens {
  worker: string;
  manager: string;
}

export interface ClusterContent {
  spec: ClusterSpec;
  /**
   * The root CA. Its key is replicated so that whichever manager leads can issue
   * certificates, as swarmkit keeps it in Raft; the API never shows it.
   */
  rootCA?: { caCertPem: string; caKeyPem: string; caCertHash: string; joinTokens: JoinTokens };
  /** Nodes removed from the swarm: their certificates are refused from then on. */
  removedNodes?: string[];
  /** Default address pools subnets are carved from (`--default-addr-pool`). */
  defaultAddrPool: string[];
  subnetSize: number;
  dataPathPort: number;
}

// ---------------------------------------------------------------- nodes

export type NodeRole = 'worker' | 'manager';
export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';
export type Reachability = 'unknown' | 'unreachable' | 'reachable';

export interface NodeSpec {
  /** Optional, not unique: nodes are known by id; the hostname is in `description`. */
  name?: string;
  labels?: Labels;
  role: NodeRole;
  availability: NodeAvailability;
}

export interface NodeDescription {
  hostname: string;
  platform: { architecture: string; os: string };
  resources: { nanoCPUs: number; memoryBytes: number };
  engine?: { engineVersion: string; labels?: Labels };
}

export interface NodeStatus {
  state: NodeState;
  message?: string;
  /** Address the node's session comes from. */
  addr?: string;
}

export interface ManagerStatus {
  leader: boolean;
  reachability: Reachability;
  /** host:port of the node's Raft endpoint. */
  addr: string;
}

export interface NetworkAttachment {
  networkId: string;
  /** CIDR notation, e.g. "10.0.1.5/24". */
  addresses: string[];
}

export interface NodeContent {
  spec: NodeSpec;
  description?: NodeDescription;
  status: NodeStatus;
  managerStatus?: ManagerStatus;
  /** Role as currently in effect (spec.role is the desired one). */
  role: NodeRole;
  /** Per-network addresses of the node itself (Docker's load-balancer / gateway endpoints). */
  attachments?: NetworkAttachment[];
}

// ---------------------------------------------------------------- networks

export interface IPAMConfig {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
}

export interface IPAMOptions {
  driver: { name: string; options?: Labels };
  configs: IPAMConfig[];
}

export interface NetworkSpec {
  name: string;
  labels?: Labels;
  /** Docker's DriverConfiguration: name "overlay" and options such as "encrypted". */
  driverConfiguration: { name: string; options?: Labels };
  ipv6Enabled: boolean;
  internal: boolean;
  attachable: boolean;
  ingress: boolean;
  /** What the user asked for; the allocator's result is in NetworkContent.ipam. */
  ipamOptions?: IPAMOptions;
}

export interface NetworkContent {
  spec: NetworkSpec;
  /** Filled in by the allocator: the VXLAN network identifier and driver options in effect. */
  driverState?: { name: string; vni: number; options?: Labels };
  /** Filled in by the allocator: subnets and gateways actually assigned. */
  ipam?: IPAMOptions;
}

// ---------------------------------------------------------------- services and tasks

export interface ConfigReference {
  configId: string;
  configName: string;
  file: { name: string; uid: string; gid: string; mode: number };
}

/** A task runs as a process in its own namespaces; there are no images on these hosts. */
export interface ProcessSpec {
  command: string[];
  args?: string[];
  env?: string[];
  dir?: string;
  user?: string;
  hostname?: string;
  labels?: Labels;
  configs?: ConfigReference[];
}

export type RestartCondition = 'none' | 'on-failure' | 'any';

export interface TaskSpec {
  process: ProcessSpec;
  resources?: {
    limits?: { nanoCPUs?: number; memoryBytes?: number };
    reservations?: { nanoCPUs?: number; memoryBytes?: number };
  };
  restartPolicy?: { condition: RestartCondition; delayMs?: number; maxAttempts?: number; windowMs?: number };
  placement?: { constraints?: string[]; preferences?: { spread: string }[]; maxReplicas?: number };
  networks?: { target: string; aliases?: string[] }[];
  forceUpdate: number;
}

/** Docker's Mode.Replicated / Mode.Global, as a tagged union. */
export type ServiceMode = { kind: 'replicated'; replicas: number } | { kind: 'global' };

export interface UpdateConfig {
  parallelism: number;
  delayMs: number;
  failureAction: 'pause' | 'continue' | 'rollback';
  monitorMs: number;
  maxFailureRatio: number;
  order: 'stop-first' | 'start-first';
}

export interface PortConfig {
  name?: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  targetPort: number;
  publishedPort?: number;
  publishMode: 'ingress' | 'host';
}

export interface EndpointSpec {
  mode: 'vip' | 'dnsrr';
  ports?: PortConfig[];
}

export interface ServiceSpec {
  name: string;
  labels?: Labels;
  taskTemplate: TaskSpec;
  mode: ServiceMode;
  updateConfig?: UpdateConfig;
  rollbackConfig?: UpdateConfig;
  endpointSpec?: EndpointSpec;
}

export interface ServiceContent {
  spec: ServiceSpec;
  previousSpec?: ServiceSpec;
  /** Filled in by the allocator: ports in effect and one virtual IP per attached network. */
  endpoint?: { spec: EndpointSpec; ports?: PortConfig[]; virtualIPs?: { networkId: string; addr: string }[] };
  updateStatus?: {
    state: 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';
    startedAt?: string;
    completedAt?: string;
    message?: string;
  };
}

/** Swarm's task states, in the order a task moves through them. */
export const TASK_STATES = [
  'new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running',
  'complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export interface TaskStatus {
  /** ISO 8601, from the reporter. */
  timestamp: string;
  state: TaskState;
  message?: string;
  err?: string;
  processStatus?: { pid?: number; exitCode?: number };
}

export interface TaskContent {
  spec: TaskSpec;
  serviceId: string;
  /** Replicated services only: the replica slot, from 1. */
  slot?: number;
  /** Set by the scheduler; global tasks are created with it. */
  nodeId?: string;
  labels?: Labels;
  desiredState: TaskState;
  status: TaskStatus;
  networksAttachments?: NetworkAttachment[];
  /** The service spec version (its object version) this task was made from. */
  specVersion?: number;
}

// ---------------------------------------------------------------- configs

/** As `docker config`: immutable data; only labels may change. */
export interface ConfigSpec {
  name: string;
  labels?: Labels;
  data: Uint8Array;
}

export interface ConfigContent {
  spec: ConfigSpec;
}

// ---------------------------------------------------------------- keys

/** What a key protects: gossip traffic, or the encrypted overlay data path. */
export type KeySubsystem = 'gossip' | 'datapath';
export type KeyAlgorithm = 'aes-256-gcm' | 'chacha20-poly1305';

/** One encryption key, generated by the leader and rotated (Docker keeps three). */
export interface KeySpec {
  subsystem: KeySubsystem;
  algorithm: KeyAlgorithm;
  key: Uint8Array;
  /** Orders keys of one subsystem: the highest is the primary for sending. */
  lamportTime: number;
}

export interface KeyContent {
  spec: KeySpec;
}

// ---------------------------------------------------------------- endpoints

/** What the node asked for when attaching a container to a network. */
export interface ContainerEndpointSpec {
  networkId: string;
  /** The node the container runs on. */
  nodeId: string;
  containerName: string;
  containerId: string;
  aliases: string[];
  /** The address asked for (`--ip`), as Docker keeps it in the endpoint's IPAMConfig. */
  requestedAddress?: string;
}

/**
 * A container's attachment to an overlay network (swarmkit's network attachment for
 * attachable networks). Not a named collection: container names are unique per network,
 * which manager/endpoints enforces under the network's allocation lock. Shaped as the
 * other collections: `spec` is what was asked for, the rest what the allocator assigned.
 */
export interface EndpointContent {
  spec: ContainerEndpointSpec;
  /** CIDR notation, e.g. "10.0.0.5/24". */
  address: string;
  /** "02:42:" and the address's four bytes, as Docker derives it. */
  mac: string;
}

// ---------------------------------------------------------------- maps

/** What a proposer supplies for each collection: the object without its Meta. */
export interface Contents {
  clusters: ClusterContent;
  nodes: NodeContent;
  networks: NetworkContent;
  services: ServiceContent;
  tasks: TaskContent;
  configs: ConfigContent;
  keys: KeyContent;
  endpoints: EndpointContent;
}

export type StoredObject<C extends Collection> = Readonly<Meta & Contents[C]>;

export type Cluster = StoredObject<'clusters'>;
export type Node = StoredObject<'nodes'>;
export type Network = StoredObject<'networks'>;
export type Service = StoredObject<'services'>;
export type Task = StoredObject<'tasks'>;
export type Config = StoredObject<'configs'>;
export type Key = StoredObject<'keys'>;
export type Endpoint = StoredObject<'endpoints'>;

/** Any stored object, when the collection is not known statically. */
export type AnyObject = { [C in Collection]: StoredObject<C> }[Collection];

export function isCollection(v: unknown): v is Collection {
  return typeof v === 'string' && (COLLECTIONS as readonly string[]).includes(v);
}

export function isNamedCollection(c: Collection): c is NamedCollection {
  return (NAMED_COLLECTIONS as readonly string[]).includes(c);
}
