// The Docker Engine API (v1.47) objects the CLI reads and writes, limited to the fields
// the CLI uses. The daemon may send more; inspect prints whatever it sent.

export interface Version {
  Index: number;
}

export interface Annotations {
  Name?: string;
  Labels?: Record<string, string> | null;
}

export interface TLSInfo {
  TrustRoot?: string;
  CertIssuerSubject?: string; // base64
  CertIssuerPublicKey?: string; // base64
}

// ---- /info ----

export interface RemoteManager {
  NodeID: string;
  Addr: string;
}

export interface SwarmInfo {
  NodeID: string;
  NodeAddr: string;
  LocalNodeState?: string;
  ControlAvailable?: boolean;
  Error?: string;
  RemoteManagers?: RemoteManager[] | null;
  Cluster?: { ID?: string; TLSInfo?: TLSInfo } | null;
}

export interface SystemInfo {
  Swarm: SwarmInfo;
}

// ---- /swarm ----

export interface SwarmSpec extends Annotations {
  Orchestration?: { TaskHistoryRetentionLimit?: number };
  Raft?: Record<string, unknown>;
  Dispatcher?: { HeartbeatPeriod?: number };
  CAConfig?: { NodeCertExpiry?: number; [k: string]: unknown };
  EncryptionConfig?: { AutoLockManagers?: boolean };
  TaskDefaults?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Swarm {
  ID: string;
  Version: Version;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec: SwarmSpec;
  TLSInfo?: TLSInfo;
  JoinTokens: { Worker: string; Manager: string };
  DefaultAddrPool?: string[];
  SubnetSize?: number;
  DataPathPort?: number;
}

export interface SwarmInitRequest {
  ListenAddr: string;
  AdvertiseAddr: string;
  DataPathAddr: string;
  /** 0 lets the daemon choose (4789). */
  DataPathPort: number;
  DefaultAddrPool: string[];
  SubnetSize: number;
  ForceNewCluster: boolean;
  Spec: SwarmSpec;
  /** Empty unless --availability was given. */
  Availability?: string;
}

export interface SwarmJoinRequest {
  ListenAddr: string;
  AdvertiseAddr: string;
  DataPathAddr: string;
  RemoteAddrs: string[];
  JoinToken: string;
  Availability?: string;
}

export interface SwarmRotate {
  worker?: boolean;
  manager?: boolean;
  unlockKey?: boolean;
}

// ---- /nodes ----

export interface NodeSpec extends Annotations {
  Role: string;
  Availability: string;
  [k: string]: unknown;
}

export interface Node {
  ID: string;
  Version: Version;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec: NodeSpec;
  Description?: {
    Hostname?: string;
    Platform?: { Architecture?: string; OS?: string };
    Resources?: { NanoCPUs?: number; MemoryBytes?: number };
    Engine?: { EngineVersion?: string; Labels?: Record<string, string> | null; Plugins?: { Type: string; Name: string }[] | null };
    TLSInfo?: TLSInfo;
  };
  Status?: { State?: string; Message?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string } | null;
}

// ---- /networks ----

export interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
}

export interface Ipam {
  Driver: string;
  Config: IpamConfig[];
  Options: Record<string, string>;
}

export interface NetworkCreateRequest {
  Name: string;
  Driver: string;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  EnableIPv6: boolean;
  IPAM: Ipam;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  CheckDuplicate: boolean;
}

export interface Network {
  Id: string;
  Name: string;
  Created?: string;
  Scope?: string;
  Driver?: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  Labels?: Record<string, string> | null;
}

// ---- /configs ----

export interface ConfigSpec {
  Name: string;
  Labels: Record<string, string>;
  /** base64 */
  Data: string;
}

export interface Config {
  ID: string;
  Version?: Version;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec: { Name: string; Labels?: Record<string, string> | null; Data?: string };
}

/** An object as typed fields plus the JSON text the daemon sent (for inspect). */
export interface Inspected<T> {
  value: T;
  raw: string;
}
