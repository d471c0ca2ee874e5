// A manager: the Raft member, the replicated store on top of it, and the control
// services on the same 2377 server (CA, dispatcher, forwarded API), plus the API
// itself as a fastify instance the daemon calls in-process. A bare manager (tests,
// benchmarks) can also serve that API on a TCP address.
import { GOSSIP_KEY_ROTATION_MS, KeyRotator } from './keys/rotation.js';
import type { FastifyInstance } from 'fastify';
import { RaftNode } from './raft/node.js';
import type { Members } from './raft/framing.js';
import { StateMachine, Store, type ApplyResult } from './store/index.js';
import { buildApi, type ApiContext } from './api/server.js';
import { ControlServer } from './control/server.js';
import { controlService } from './control/service.js';
import { caService } from './ca/service.js';
import { Dispatcher } from './dispatcher/dispatcher.js';
import { RoleReconciler } from './roles/reconciler.js';
import { services, type Peer } from '../shared/control/proto.js';
import { CLUSTER_NAME } from './cluster.js';
import { Role } from './raft/core/types.js';

export interface ManagerIdentity {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface ManagerOptions {
  nodeId: string;
  clusterId: string;
  /** Raft's LevelDB directory. */
  dataDir: string;
  /** host:port the 2377 server binds. */
  listen: string;
  /** host:port other managers dial; default `listen`. */
  advertise?: string;
  identity: ManagerIdentity;
  bootstrap?: Members;
  peers?: Members;
  forceNewCluster?: boolean;
  snapshotEvery?: number;
  /** How often the leader makes a new gossip key; default 12 h, as Docker rotates its network keys. */
  gossipKeyRotationMs?: number;
  /** Bare managers only: also serve the API over HTTP on this host:port. */
  apiAddr?: string;
  log?: (msg: string) => void;
}

/** A peer that sent nothing for this long is unreachable; Raft heartbeats every 100 ms. */
const REACHABLE_MS = 3_000;

export class Manager {
  private constructor(
    readonly raft: RaftNode,
    readonly store: Store,
    readonly api: FastifyInstance,
    readonly control: ControlServer,
    private readonly parts: { dispatcher: Dispatcher; roles: RoleReconciler; keys: KeyRotator },
    readonly ctx: ApiContext,
  ) {}

  static async start(o: ManagerOptions): Promise<Manager> {
    const log = o.log ?? ((): void => undefined);
    const sm = new StateMachine();
    let removed = new Set<string>();
    const control = new ControlServer(
      { caPem: o.identity.caPem, certPem: o.identity.certPem, keyPem: o.identity.keyPem, clusterId: o.clusterId },
      (id) => (removed.has(id.nodeId) ? `node ${id.nodeId} was removed from the swarm; its certificate is no longer accepted` : undefined),
    );
    const raft = await RaftNode.start({
      id: o.nodeId,
      clusterId: o.clusterId,
      dataDir: o.dataDir,
      listen: o.listen,
      advertise: o.advertise,
      tls: { ca: Buffer.from(o.identity.caPem), cert: Buffer.from(o.identity.certPem), key: Buffer.from(o.identity.keyPem) },
      server: control.server,
      authorize: control.authorizeRaft,
      forceNewCluster: o.forceNewCluster,
      // The store deduplicates by request id, so a write re-proposed to a new leader applies once.
      reproposeOnLeaderChange: true,
      bootstrap: o.bootstrap,
      peers: o.peers,
      snapshotEvery: o.snapshotEvery,
      app: {
        apply: (index, payload) => sm.apply(index, payload),
        snapshot: () => sm.snapshot(),
        restore: (data) => sm.restore(data),
      },
      log,
    });
    const store = new Store(sm, {
      propose: (data) => raft.propose(data) as Promise<ApplyResult>,
      readBarrier: () => raft.readBarrier(),
    });
    // The revocation list follows the cluster object as it is applied here.
    const refreshRemoved = (): void => {
      const c = sm.getByName('clusters', CLUSTER_NAME);
      removed = new Set(c?.removedNodes ?? []);
    };
    refreshRemoved();
    store.watch(store.applied(), (ev) => {
      if (ev.collection === 'clusters') refreshRemoved();
    }, { collections: ['clusters'] });

    const self = o.nodeId;
    // Set once the context exists; the context's kickRoles is only called after that.
    const holder: { roles?: RoleReconciler } = {};
    const ctx: ApiContext = {
      nodeId: self,
      clusterId: o.clusterId,
      raft,
      store,
      log,
      managers: (): Peer[] => {
        const st = raft.status();
        return [...st.conf.voters, ...st.conf.learners].map((id) => ({ nodeId: id, addr: st.members[id] ?? '' })).filter((p) => p.addr);
      },
      leader: (): Peer | undefined => {
        const st = raft.status();
        return st.leader ? { nodeId: st.leader, addr: st.members[st.leader] ?? '' } : undefined;
      },
      isRaftMember: (id) => {
        const c = raft.status().conf;
        return c.voters.includes(id) || c.learners.includes(id);
      },
      reachable: (id) => {
        if (id === self) return true;
        const t = raft.lastHeard(id);
        return t !== undefined && Date.now() - t < REACHABLE_MS;
      },
      kickRoles: () => holder.roles?.kick(),
    };
    const dispatcher = new Dispatcher(ctx, control);
    const roles = new RoleReconciler(ctx);
    holder.roles = roles;
    const keys = new KeyRotator(ctx, { rotationMs: o.gossipKeyRotationMs ?? GOSSIP_KEY_ROTATION_MS });
    const api = await buildApi(ctx);
    control.server.addService(services.ca.service, caService(ctx, control));
    control.server.addService(services.dispatcher.service, dispatcher.service());
    control.server.addService(services.control.service, controlService(ctx, control, () => api));
    await control.bind(o.listen);

    const onLeader = (isLeader: boolean): void => {
      dispatcher.setLeader(isLeader);
      roles.setLeader(isLeader);
      keys.setLeader(isLeader);
    };
    raft.onLeaderChange = (_lead, role) => onLeader(role === Role.Leader);
    onLeader(raft.isLeader());

    if (o.apiAddr) {
      const [host, port] = splitHostPort(o.apiAddr);
      await api.listen({ host, port });
    }
    log(`manager ${o.nodeId}: control and raft on ${raft.address}${o.apiAddr ? `, API on http://${o.apiAddr}` : ''}`);
    return new Manager(raft, store, api, control, { dispatcher, roles, keys }, ctx);
  }

  /** A renewed certificate: new inbound handshakes and new outbound connections use it. */
  updateIdentity(id: ManagerIdentity): void {
    this.control.updateIdentity(id.certPem, id.keyPem);
    this.raft.setTls({ ca: Buffer.from(id.caPem), cert: Buffer.from(id.certPem), key: Buffer.from(id.keyPem) });
  }

  async stop(): Promise<void> {
    this.parts.dispatcher.stop();
    this.parts.keys.stop();
    this.parts.roles.stop();
    await this.api.close();
    await this.raft.stop();
    await this.control.close();
  }
}

export function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad address "${s}": want host:port`);
  return [s.slice(0, i), port];
}
