// Fixtures and a fake Raft for the store tests: the fake applies each proposal directly to
// one state machine at the next index, and keeps the log so it can be replayed elsewhere.

import {
  encodeCommand, newId, StateMachine,
  type ApplyResult, type Collection, type Command, type Contents, type Op, type RaftProposer,
} from '../../../manager/store/index.js';

export class FakeRaft implements RaftProposer {
  index = 0;
  barriers = 0;
  readonly log: { index: number; data: Uint8Array }[] = [];

  constructor(readonly sm: StateMachine) {}

  async propose(data: Uint8Array, _requestId: string): Promise<ApplyResult> {
    const index = ++this.index;
    this.log.push({ index, data });
    return this.sm.apply(index, data);
  }

  async readBarrier(): Promise<void> {
    this.barriers++;
  }
}

export const T0 = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

let seq = 0;
/** Deterministic ids for tests that compare bytes across runs. */
export function seqId(): string {
  seq++;
  return seq.toString(36).padStart(25, '0');
}

export function configContent(name: string, data: Uint8Array = new TextEncoder().encode(`data of ${name}`), labels?: Record<string, string>): Contents['configs'] {
  return { spec: labels ? { name, labels, data } : { name, data } };
}

export function networkContent(name: string): Contents['networks'] {
  return {
    spec: {
      name,
      labels: { team: 'net' },
      driverConfiguration: { name: 'overlay', options: { encrypted: '' } },
      ipv6Enabled: false,
      internal: false,
      attachable: true,
      ingress: false,
    },
  };
}

export function serviceContent(name: string, replicas = 2): Contents['services'] {
  return {
    spec: {
      name,
      taskTemplate: { process: { command: ['/bin/sleep', 'infinity'], env: ['A=1'] }, forceUpdate: 0 },
      mode: { kind: 'replicated', replicas },
      endpointSpec: { mode: 'vip', ports: [{ protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'ingress' }] },
    },
  };
}

export function taskContent(serviceId: string, slot: number): Contents['tasks'] {
  return {
    spec: { process: { command: ['/bin/true'] }, forceUpdate: 0 },
    serviceId,
    slot,
    desiredState: 'running',
    status: { timestamp: new Date(T0).toISOString(), state: 'new' },
  };
}

export function nodeContent(hostname: string): Contents['nodes'] {
  return {
    spec: { role: 'worker', availability: 'active' },
    description: { hostname, platform: { architecture: 'x86_64', os: 'linux' }, resources: { nanoCPUs: 4e9, memoryBytes: 8 * 2 ** 30 } },
    status: { state: 'ready', addr: '192.0.2.10' },
    role: 'worker',
  };
}

export function keyContent(lamportTime: number): Contents['keys'] {
  return { spec: { subsystem: 'datapath', algorithm: 'aes-256-gcm', key: new Uint8Array(32).fill(lamportTime), lamportTime } };
}

/** Builds command bytes directly, for tests that drive the state machine without a Store. */
export function cmd(body: { op: Op } | { txn: Op[] }, requestId = newId(), time = T0): Uint8Array {
  return encodeCommand({ requestId, time, ...body } as Command);
}

export function createOp<C extends Collection>(collection: C, content: Contents[C], id = newId()): Op {
  return { op: 'create', collection, id, content } as Op;
}

export function updateOp<C extends Collection>(collection: C, id: string, expectVersion: number, content: Contents[C]): Op {
  return { op: 'update', collection, id, expectVersion, content } as Op;
}

export function deleteOp(collection: Collection, id: string, expectVersion?: number): Op {
  return (expectVersion === undefined ? { op: 'delete', collection, id } : { op: 'delete', collection, id, expectVersion }) as Op;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
