// The control-plane services of proto/control.proto, loaded at runtime and typed
// here by hand. Both sides use this file: managers serve, every node dials.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface Peer { nodeId: string; addr: string }
export interface RootCA { caCertPem: string }
export interface NodeDescriptionMsg {
  hostname: string; os: string; architecture: string; nanoCpus: number; memoryBytes: number; engineVersion: string;
}
export interface JoinRequest {
  token: string; publicKeyPem: string; description: NodeDescriptionMsg; advertiseAddr: string; dataPathAddr: string;
  availability?: string;
}
export interface JoinResponse {
  nodeId: string; certPem: string; caCertPem: string; clusterId: string; role: string;
  managers: Peer[]; leaderId: string; dataPathPort: number;
}
export interface RenewRequest { publicKeyPem: string }
export interface RenewResponse { certPem: string; role: string }
export interface HeartbeatRequest { description: NodeDescriptionMsg; dataPathAddr: string; role: string }
export interface HeartbeatResponse {
  periodMs: number; managers: Peer[]; leaderId: string; desiredRole: string; raftMember: boolean; clusterId: string;
  gossipKeys: Buffer[];
}
export interface ForwardRequest { method: string; url: string; body: Buffer; contentType: string; deadlineUnixMs?: number }
export interface ForwardResponse { status: number; body: Buffer; contentType: string }
export interface RaftJoinRequest { addr: string }
export interface RaftJoinResponse { members: Peer[] }
export type Empty = Record<string, never>;

const PROTO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../proto/control.proto');

const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
// loadPackageDefinition returns a loosely typed tree; the services are picked out and typed below.
const pkg = grpc.loadPackageDefinition(def) as unknown as {
  tsswarm: { control: Record<'CA' | 'Dispatcher' | 'Control', grpc.ServiceClientConstructor> };
};

export const services = {
  ca: pkg.tsswarm.control.CA,
  dispatcher: pkg.tsswarm.control.Dispatcher,
  control: pkg.tsswarm.control.Control,
};

/** Metadata key a follower uses to point a caller at the leader. */
export const LEADER_ADDR_KEY = 'tsswarm-leader-addr';
