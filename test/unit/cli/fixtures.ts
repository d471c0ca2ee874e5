// Docker-shaped daemon answers shared by the CLI tests.
import type { Config, Network, Node, Swarm, SystemInfo } from '../../../cli/api-types.js';

export const SELF_ID = 'a1selfnodeid0000000000001';
export const PEER_ID = 'b2peernodeid0000000000002';
export const WORKER_ID = 'c3workernodeid00000000003';

export const SWARM_SPEC = {
  Name: 'default',
  Labels: {},
  Orchestration: { TaskHistoryRetentionLimit: 5 },
  Raft: { SnapshotInterval: 10000, ElectionTick: 10, HeartbeatTick: 1 },
  Dispatcher: { HeartbeatPeriod: 5000000000 },
  CAConfig: { NodeCertExpiry: 7776000000000000 },
  TaskDefaults: {},
  EncryptionConfig: { AutoLockManagers: false },
};

export function swarm(tokens = { Worker: 'SWMTKN-1-worker', Manager: 'SWMTKN-1-manager' }, index = 42): Swarm {
  return {
    ID: 'clusterid0000000000000001',
    Version: { Index: index },
    CreatedAt: '2024-05-01T10:00:00.123456789Z',
    UpdatedAt: '2024-05-01T10:00:00.123456789Z',
    Spec: structuredClone(SWARM_SPEC),
    JoinTokens: tokens,
    DefaultAddrPool: ['10.0.0.0/8'],
    SubnetSize: 24,
    DataPathPort: 4789,
  };
}

export function info(over: Partial<SystemInfo['Swarm']> = {}): SystemInfo {
  return {
    Swarm: {
      NodeID: SELF_ID,
      NodeAddr: '192.168.5.5',
      LocalNodeState: 'active',
      ControlAvailable: true,
      Error: '',
      RemoteManagers: [
        { NodeID: PEER_ID, Addr: '192.168.5.6:2377' },
        { NodeID: SELF_ID, Addr: '192.168.5.5:4242' },
      ],
      ...over,
    },
  };
}

export function node(id: string, hostname: string, role: 'manager' | 'worker', extra: Partial<Node> = {}): Node {
  return {
    ID: id,
    Version: { Index: 7 },
    CreatedAt: '2009-11-10T23:00:00Z',
    UpdatedAt: '2009-11-10T23:00:00Z',
    Spec: { Labels: { zone: 'a' }, Role: role, Availability: 'active' },
    Description: {
      Hostname: hostname,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: 4000000000, MemoryBytes: 20971520 },
      Engine: { EngineVersion: '0.1.0' },
    },
    Status: { State: 'ready', Addr: '127.0.0.1' },
    ...extra,
  };
}

export const NODES: Node[] = [
  node(WORKER_ID, 'node-10', 'worker', { Spec: { Labels: {}, Role: 'worker', Availability: 'drain' }, Status: { State: 'down' } }),
  node(SELF_ID, 'node-2', 'manager', { ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '192.168.5.5:4242' } }),
  node(PEER_ID, 'node-1', 'manager', { ManagerStatus: { Reachability: 'unreachable', Addr: '192.168.5.6:2377' } }),
];

export const NET_ID_1 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
export const NET_ID_2 = '60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752';

export function network(id: string, name: string, extra: Partial<Network> = {}): Network {
  return {
    Name: name,
    Id: id,
    Created: '2024-05-01T10:00:00.5Z',
    Scope: 'swarm',
    Driver: 'overlay',
    EnableIPv4: true,
    EnableIPv6: false,
    Internal: false,
    Attachable: false,
    Ingress: false,
    Labels: {},
    ...extra,
  };
}

export function config(id: string, name: string, createdAt: string, updatedAt: string): Config {
  return {
    ID: id,
    Version: { Index: 11 },
    CreatedAt: createdAt,
    UpdatedAt: updatedAt,
    Spec: { Name: name, Labels: { env: 'prod' }, Data: Buffer.from('payload here').toString('base64') },
  };
}

/** What the CLI sends for `network create -d overlay --attachable --subnet … -o encrypted …` (checked in network.test.ts; the networks routes test feeds it to the real routes). */
export const CLI_BODY = {
  Name: 'mynet',
  Driver: 'overlay',
  Internal: false,
  Attachable: true,
  Ingress: false,
  EnableIPv6: false,
  IPAM: {
    Driver: 'default',
    Config: [
      { Subnet: '10.1.0.0/24', IPRange: '10.1.0.128/25', Gateway: '10.1.0.254' },
      { Subnet: '10.2.0.0/24', Gateway: '10.2.0.1' },
    ],
    Options: {},
  },
  Options: { encrypted: '', 'com.docker.network.driver.mtu': '1400' },
  Labels: { team: 'net', tier: '' },
  CheckDuplicate: true,
};
