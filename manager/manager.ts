// A manager: the Raft member, the replicated store on top of it, and the API in
// front. The node daemon (next milestone) embeds one of these on manager nodes.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { RaftNode } from './raft/node.js';
import type { Members } from './raft/framing.js';
import { StateMachine, Store, type ApplyResult } from './store/index.js';
import { buildApi } from './api/server.js';

export interface ManagerOptions {
  id: string;
  clusterId: string;
  dataDir: string;
  listen: string;
  advertise?: string;
  /** host:port for the HTTP API; loopback only until the daemon's unix socket exists. */
  apiAddr: string;
  tlsDir: string;
  bootstrap?: Members;
  peers?: Members;
  snapshotEvery?: number;
  log?: (msg: string) => void;
}

export class Manager {
  private constructor(
    readonly raft: RaftNode,
    readonly store: Store,
    readonly api: FastifyInstance,
  ) {}

  static async start(o: ManagerOptions): Promise<Manager> {
    const tls = {
      ca: readFileSync(path.join(o.tlsDir, 'ca.pem')),
      cert: readFileSync(path.join(o.tlsDir, 'cert.pem')),
      key: readFileSync(path.join(o.tlsDir, 'key.pem')),
    };
    const sm = new StateMachine();
    const raft = await RaftNode.start({
      id: o.id,
      clusterId: o.clusterId,
      dataDir: o.dataDir,
      listen: o.listen,
      advertise: o.advertise,
      tls,
      bootstrap: o.bootstrap,
      peers: o.peers,
      snapshotEvery: o.snapshotEvery,
      app: {
        apply: (index, payload) => sm.apply(index, payload),
        snapshot: () => sm.snapshot(),
        restore: (data) => sm.restore(data),
      },
      log: o.log,
    });
    const store = new Store(sm, {
      propose: (data) => raft.propose(data) as Promise<ApplyResult>,
      readBarrier: () => raft.readBarrier(),
    });
    const api = await buildApi({ raft, store });
    const [host, port] = splitHostPort(o.apiAddr);
    await api.listen({ host, port });
    o.log?.(`manager ${o.id}: raft on ${raft.address}, API on http://${o.apiAddr}`);
    return new Manager(raft, store, api);
  }

  async stop(): Promise<void> {
    await this.api.close();
    await this.raft.stop();
  }
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad address "${s}": want host:port`);
  return [s.slice(0, i), port];
}
