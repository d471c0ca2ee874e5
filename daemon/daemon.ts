// One node: its membership (init / join / leave), its session with the managers,
// and, while its role is manager, the Manager. Role changes arrive through the
// session (the cluster's desired role) and are carried out here one at a time.
import os from 'node:os';
import { Manager, type ManagerIdentity } from '../manager/manager.js';
import { serveForwarded } from '../manager/control/service.js';
import { checkAvailability } from '../manager/ca/service.js';
import { swarmView } from '../manager/api/routes/swarm.js';
import { ClusterCA, caDigest, generateNodeKey, makeJoinToken, needsRenewal, parseJoinToken, verifyCaPin } from '../manager/ca/index.js';
import { newClusterContent, getCluster, DEFAULT_DATA_PATH_PORT } from '../manager/cluster.js';
import { parseAddressPools } from '../manager/allocator/subnets.js';
import { newId } from '../manager/store/index.js';
import { Session } from '../worker/agent/session.js';
import { ManagerClient, leaderAddrOf } from '../shared/control/client.js';
import type {
  Empty, ForwardRequest, ForwardResponse, HeartbeatResponse, JoinRequest, JoinResponse, NodeDescriptionMsg, Peer, RaftJoinRequest,
  RaftJoinResponse, RootCA,
} from '../shared/control/proto.js';
import { certInfo } from '../shared/pki/index.js';
import { TsswarmError } from '../shared/errors.js';
import { StateDir, type Certs, type NodeState } from './state.js';
import { Containers } from './containers.js';
import { DataPlane } from './dataplane.js';
import { startDnsRelay, type DnsRelay } from '../worker/dns/relay.js';
import type { Upstream } from '../worker/dns/server.js';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseHostPort, resolveAddrs } from './addr.js';

export interface DaemonOptions {
  dataDir: string;
  /** Prefix of the network namespaces this node makes (sandboxes, containers); default "ts-". */
  netnsPrefix?: string;
  hostname?: string;
  /** Where the containers' embedded DNS sends names no network knows (Docker forwards to the host's resolvers); [] forwards nothing. */
  dnsUpstreams?: Upstream[];
  /** How often the leader makes a new gossip key, while this node is the leader; default 12 h. */
  gossipKeyRotationMs?: number;
  engineVersion: string;
  log: (msg: string) => void;
}

export interface InitRequest {
  ListenAddr?: string;
  AdvertiseAddr?: string;
  DataPathAddr?: string;
  DataPathPort?: number;
  DefaultAddrPool?: string[];
  SubnetSize?: number;
  ForceNewCluster?: boolean;
  Availability?: string;
  Spec?: { CAConfig?: { NodeCertExpiry?: number }; Dispatcher?: { HeartbeatPeriod?: number }; Orchestration?: { TaskHistoryRetentionLimit?: number } };
}

export interface JoinRequestBody {
  ListenAddr?: string;
  AdvertiseAddr?: string;
  DataPathAddr?: string;
  RemoteAddrs?: string[];
  JoinToken?: string;
  Availability?: string;
}

export type LocalNodeState = 'inactive' | 'pending' | 'active' | 'error';

const NOT_IN_SWARM = 'This node is not part of a swarm. Use "tsswarm swarm init" or "tsswarm swarm join" to connect this node to a swarm and try again.';
const ALREADY_IN_SWARM = 'This node is already part of a swarm. Use "tsswarm swarm leave" to leave this swarm and join another one.';

/** A forwarded call's budget: a write commits in milliseconds, and Raft gives up on one after 5 s. */
const FORWARD_DEADLINE_MS = 10_000;

const roleOfCert = (pem: string): 'manager' | 'worker' => (certInfo(pem).ou === 'swarm-manager' ? 'manager' : 'worker');

export class Daemon {
  private readonly dir: StateDir;
  private state: NodeState | undefined;
  private certs: Certs | undefined;
  private manager: Manager | undefined;
  private session: Session | undefined;
  /** Membership changes (init, join, leave, promotion, demotion, renewal) run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private pending = false;
  /** A promotion, demotion or renewal is queued or running; later heartbeats must not queue another. */
  private changingRole = false;
  private lastError = '';
  readonly hostname: string;
  readonly containers: Containers;
  /** Gossip, netdb and kernel peers; starts with the first gossip keys from the leader. */
  dataplane: DataPlane | undefined;
  private dnsRelay: DnsRelay | undefined;

  constructor(private readonly o: DaemonOptions) {
    this.dir = new StateDir(o.dataDir);
    this.hostname = o.hostname ?? os.hostname();
    this.containers = new Containers({
      nodeId: () => this.state?.nodeId,
      vtep: () => this.state?.dataPathAddr,
      dataPathPort: () => this.state?.dataPathPort ?? DEFAULT_DATA_PATH_PORT,
      clusterCall: (req) => this.clusterCall(req),
      log: (msg) => this.log(msg),
      endpointAdded: (ep) => this.dataplane?.addEndpoint(ep),
      endpointRemoved: (id) => this.dataplane?.removeEndpoint(id),
      dnsRecords: (networkId) => this.dataplane?.dnsEntries(networkId) ?? [],
    }, { dataDir: o.dataDir, netnsPrefix: o.netnsPrefix ?? 'ts-', dnsRelaySocket: this.relaySocket });
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private log(msg: string): void {
    this.o.log(msg);
  }

  private get relaySocket(): string {
    return path.join(this.o.dataDir, 'dns-relay.sock');
  }

  /** Resume the membership found on disk, if any. */
  async start(): Promise<void> {
    // Containers' DNS reaches the host's resolvers through this socket (a file, so it crosses network namespaces).
    this.dnsRelay = await startDnsRelay({ socketPath: this.relaySocket, upstreams: this.o.dnsUpstreams ?? [] });
    const saved = await this.dir.load();
    if (!saved) return;
    this.state = saved.state;
    this.certs = saved.certs;
    try {
      if (roleOfCert(saved.certs.certPem) === 'manager') await this.startManager({});
    } catch (e) {
      this.lastError = (e as Error).message;
      this.log(`could not start the manager: ${this.lastError}`);
    }
    this.startSession();
    // Containers that outlived the previous daemon are taken back; what none of them needs goes.
    const r = await this.containers.restore();
    if (r.adopted.length + r.exited.length + r.removed.length > 0) {
      this.log(`containers: adopted ${r.adopted.join(', ') || 'none'}; exited ${r.exited.join(', ') || 'none'}; removed leftovers ${r.removed.join(', ') || 'none'}`);
    }
  }

  // ------------------------------------------------------------------ queries

  get nodeState(): NodeState | undefined {
    return this.state;
  }

  localState(): LocalNodeState {
    if (this.pending) return 'pending';
    if (!this.state) return 'inactive';
    return this.lastError && !this.manager && roleOfCert(this.certs!.certPem) === 'manager' ? 'error' : 'active';
  }

  get error(): string {
    return this.lastError;
  }

  get managerRunning(): Manager | undefined {
    return this.manager;
  }

  remoteManagers(): Peer[] {
    if (this.manager) return this.manager.ctx.managers();
    return this.session?.knownManagers() ?? this.state?.managers ?? [];
  }

  description(): NodeDescriptionMsg {
    return {
      hostname: this.hostname,
      os: 'linux',
      architecture: os.arch() === 'x64' ? 'x86_64' : os.arch(),
      nanoCpus: os.cpus().length * 1e9,
      memoryBytes: os.totalmem(),
      engineVersion: this.o.engineVersion,
    };
  }

  /** An Engine API call for the cluster: served by the local manager, or carried to one. */
  async clusterCall(req: ForwardRequest): Promise<ForwardResponse> {
    if (!this.state) throw new TsswarmError('Unavailable', NOT_IN_SWARM);
    const leader = this.manager && !this.manager.raft.isLeader() ? this.manager.ctx.leader() : undefined;
    if (leader?.addr) {
      // The leader serves every call: its reads need no extra round trip and its allocators
      // see every write first, so concurrent creates do not collide across managers.
      try {
        return await this.leaderClient(leader.addr).call<ForwardRequest, ForwardResponse>('control', 'Forward', { ...req, deadlineUnixMs: Date.now() + FORWARD_DEADLINE_MS }, { deadlineMs: FORWARD_DEADLINE_MS });
      } catch (e) {
        if ((e as TsswarmError).code !== 'Unavailable') throw e;
        this.log(`forwarding to the leader at ${leader.addr} failed (${(e as Error).message}); serving locally`);
      }
    }
    if (this.manager) return serveForwarded(this.manager.api, req);
    if (!this.session) throw new TsswarmError('Unavailable', 'this node has no session with the managers yet');
    return this.session.forward(req);
  }

  private leaderConn: { addr: string; cert: string; client: ManagerClient } | undefined;

  private leaderClient(addr: string): ManagerClient {
    const c = this.leaderConn;
    if (c && c.addr === addr && c.cert === this.certs!.certPem) return c.client;
    c?.client.close();
    const client = ManagerClient.pinned(addr, this.certs!.caPem, { certPem: this.certs!.certPem, keyPem: this.certs!.keyPem });
    this.leaderConn = { addr, cert: this.certs!.certPem, client };
    return client;
  }

  // ------------------------------------------------------------------ init

  init(req: InitRequest): Promise<string> {
    return this.serially(async () => {
      if (this.state) {
        if (req.ForceNewCluster && this.certs && roleOfCert(this.certs.certPem) === 'manager') return this.forceNewCluster(req);
        throw new TsswarmError('Refused', ALREADY_IN_SWARM);
      }
      if (req.ForceNewCluster) throw new TsswarmError('Refused', '--force-new-cluster needs a node that was a manager of the swarm to recover; this node has no swarm state');
      const addrs = resolveAddrs({ listenAddr: req.ListenAddr, advertiseAddr: req.AdvertiseAddr, dataPathAddr: req.DataPathAddr });
      const dataPathPort = checkDataPathPort(req.DataPathPort);
      const pools = req.DefaultAddrPool && req.DefaultAddrPool.length > 0 ? req.DefaultAddrPool : undefined;
      parseAddressPools(pools, req.SubnetSize || undefined);
      const expiryNs = req.Spec?.CAConfig?.NodeCertExpiry;
      const certExpiryMs = expiryNs ? Math.round(expiryNs / 1e6) : undefined;
      const availability = checkAvailability(req.Availability);
      // Swarm's floors: certificates live at least an hour, heartbeats come at most every 100 ms.
      if (certExpiryMs !== undefined && certExpiryMs < 3_600_000) throw new TsswarmError('Invalid', 'node certificate expiry must be at least 1 hour');
      const hbNs = req.Spec?.Dispatcher?.HeartbeatPeriod;
      const heartbeatPeriodMs = hbNs ? Math.round(hbNs / 1e6) : undefined;
      if (heartbeatPeriodMs !== undefined && heartbeatPeriodMs < 100) throw new TsswarmError('Invalid', 'heartbeat period must be at least 100ms');
      const taskHistoryLimit = req.Spec?.Orchestration?.TaskHistoryRetentionLimit;
      if (taskHistoryLimit !== undefined && (!Number.isInteger(taskHistoryLimit) || taskHistoryLimit < 0)) {
        throw new TsswarmError('Invalid', `invalid task history limit ${taskHistoryLimit}: want a non-negative integer`);
      }
      this.pending = true;
      try {
        const nodeId = newId();
        const clusterId = newId();
        const ca = await ClusterCA.create(clusterId);
        const key = await generateNodeKey();
        const { certPem } = await ca.issueNodeCert({ nodeId, role: 'manager', clusterId, publicKeyPem: key.publicKeyPem, days: certExpiryMs ? certExpiryMs / 86_400_000 : undefined });
        const state: NodeState = { nodeId, clusterId, ...addrs, dataPathPort, managers: [{ nodeId, addr: addrs.advertiseAddr }] };
        await this.dir.saveCerts({ caPem: ca.certPem, certPem, keyPem: key.keyPem });
        await this.dir.saveState(state);
        this.state = state;
        this.certs = { caPem: ca.certPem, certPem, keyPem: key.keyPem };
        await this.startManager({ bootstrap: { [nodeId]: addrs.advertiseAddr } });
        const m = this.manager!;
        await m.raft.waitForLeader(10_000);
        const c = await m.store.create('clusters', newClusterContent({
          caCertPem: ca.certPem, caKeyPem: ca.keyPem, caCertHash: caDigest(ca.certPem),
          workerToken: makeJoinToken(ca.certPem), managerToken: makeJoinToken(ca.certPem),
          defaultAddrPool: pools, subnetSize: req.SubnetSize || undefined, dataPathPort, certExpiryMs, heartbeatPeriodMs, taskHistoryLimit,
        }), { id: clusterId });
        if (!c.ok) throw new TsswarmError(c.error.code, c.error.message);
        const n = await m.store.create('nodes', {
          spec: { role: 'manager', availability },
          description: {
            hostname: this.hostname, platform: { architecture: this.description().architecture, os: 'linux' },
            resources: { nanoCPUs: this.description().nanoCpus, memoryBytes: this.description().memoryBytes },
            engine: { engineVersion: this.o.engineVersion },
          },
          status: { state: 'ready', addr: addrs.dataPathAddr },
          role: 'manager',
          managerStatus: { leader: false, reachability: 'reachable', addr: addrs.advertiseAddr },
        }, { id: nodeId });
        if (!n.ok) throw new TsswarmError(n.error.code, n.error.message);
        // The gossip key, handed to every node over its session (rotation keeps three).
        const k = await m.store.create('keys', { spec: { subsystem: 'gossip', algorithm: 'aes-256-gcm', key: randomBytes(32), lamportTime: 1 } });
        if (!k.ok) throw new TsswarmError(k.error.code, k.error.message);
        this.startSession();
        this.log(`swarm initialized: node ${nodeId}, cluster ${clusterId}, advertising ${addrs.advertiseAddr}`);
        return nodeId;
      } catch (e) {
        await this.teardown();
        throw e;
      } finally {
        this.pending = false;
      }
    });
  }

  private async forceNewCluster(req: InitRequest): Promise<string> {
    const st = this.state!;
    this.log('init --force-new-cluster: restarting this manager as the only member');
    this.session?.stop();
    this.session = undefined;
    await this.manager?.stop();
    this.manager = undefined;
    if (req.ListenAddr || req.AdvertiseAddr) {
      const addrs = resolveAddrs({ listenAddr: req.ListenAddr || st.listenAddr, advertiseAddr: req.AdvertiseAddr || st.advertiseAddr, dataPathAddr: req.DataPathAddr || st.dataPathAddr });
      Object.assign(st, addrs);
    }
    st.managers = [{ nodeId: st.nodeId, addr: st.advertiseAddr }];
    await this.dir.saveState(st);
    await this.startManager({ forceNewCluster: true });
    await this.manager!.raft.waitForLeader(10_000);
    this.lastError = '';
    this.startSession();
    return st.nodeId;
  }

  // ------------------------------------------------------------------ join

  join(req: JoinRequestBody): Promise<void> {
    return this.serially(async () => {
      if (this.state) throw new TsswarmError('Refused', ALREADY_IN_SWARM);
      const remotes = req.RemoteAddrs ?? [];
      if (remotes.length === 0) throw new TsswarmError('Invalid', 'join needs the address of a manager (HOST:PORT)');
      const token = req.JoinToken ?? '';
      parseJoinToken(token);
      const remoteHP = parseHostPort(remotes[0]!, 'remote address');
      if (!remoteHP.host) throw new TsswarmError('Invalid', `invalid remote address "${remotes[0]}": want HOST:PORT`);
      const remote = `${remoteHP.host}:${remoteHP.port}`;
      const addrs = resolveAddrs({ listenAddr: req.ListenAddr, advertiseAddr: req.AdvertiseAddr, dataPathAddr: req.DataPathAddr });
      this.pending = true;
      try {
        // Pin first: nothing from the manager is trusted until its CA matches the token.
        const probe = ManagerClient.unverified(remote);
        let root: RootCA;
        try {
          root = await probe.call<Empty, RootCA>('ca', 'GetRootCA', {}, { deadlineMs: 10_000 });
        } finally {
          probe.close();
        }
        if (!verifyCaPin(token, root.caCertPem)) {
          throw new TsswarmError('Refused', `the manager at ${remote} presented a root CA that does not match the join token's CA digest; not trusting it (is this the right swarm and token?)`);
        }
        const key = await generateNodeKey();
        const client = ManagerClient.pinned(remote, root.caCertPem);
        let res: JoinResponse;
        try {
          res = await client.call<JoinRequest, JoinResponse>('ca', 'Join', {
            token, publicKeyPem: key.publicKeyPem, description: this.description(), advertiseAddr: addrs.advertiseAddr, dataPathAddr: addrs.dataPathAddr,
            availability: checkAvailability(req.Availability),
          }, { deadlineMs: 15_000 });
        } finally {
          client.close();
        }
        const state: NodeState = {
          nodeId: res.nodeId, clusterId: res.clusterId, ...addrs, dataPathPort: res.dataPathPort || DEFAULT_DATA_PATH_PORT,
          managers: res.managers.length > 0 ? res.managers : [{ nodeId: '', addr: remote }],
        };
        await this.dir.saveCerts({ caPem: res.caCertPem, certPem: res.certPem, keyPem: key.keyPem });
        await this.dir.saveState(state);
        this.state = state;
        this.certs = { caPem: res.caCertPem, certPem: res.certPem, keyPem: key.keyPem };
        if (res.role === 'manager') await this.becomeManager(state.managers);
        this.startSession();
        await Promise.race([this.session!.ready, sleep(10_000)]);
        this.log(`joined swarm ${res.clusterId} as ${res.role} ${res.nodeId}`);
      } catch (e) {
        await this.teardown();
        throw e;
      } finally {
        this.pending = false;
      }
    });
  }

  // ------------------------------------------------------------------ leave

  leave(force: boolean): Promise<void> {
    return this.serially(async () => {
      if (!this.state || !this.certs) throw new TsswarmError('Refused', NOT_IN_SWARM);
      // A manager already removed from Raft (demoted, its certificate not yet renewed) leaves as a worker.
      if (this.manager && this.manager.ctx.isRaftMember(this.state.nodeId)) {
        const m = this.manager;
        const voters = m.raft.status().conf.voters;
        const up = voters.filter((v) => m.ctx.reachable(v) !== false).length;
        if (!force) {
          const after = voters.length - 1;
          const kept = up - 1 >= Math.floor(after / 2) + 1;
          throw new TsswarmError(
            'Refused',
            `You are attempting to leave the swarm on a node that is participating as a manager. ` +
              (voters.length === 1
                ? 'It is the last manager: leaving dissolves the swarm and loses its state. '
                : `Removing this node leaves ${after} managers out of a total of ${voters.length}${kept ? '' : ', which loses quorum'}. `) +
              'The only way to restore a swarm that has lost consensus is to reinitialize it with `--force-new-cluster`. Use `--force` to suppress this message.',
          );
        }
        // Tell the managers, so the node shows Down at once and can be removed without --force.
        await this.callAnyManager<Empty, Empty>('Leave', {}, 'dispatcher').catch((e: unknown) => this.log(`leave: could not tell the managers: ${(e as Error).message}`));
        if (voters.length > 1) await this.leaveRaft(m).catch((e: unknown) => this.log(`leave: could not leave Raft cleanly: ${(e as Error).message}`));
      } else {
        // Tell the managers, so the node shows Down at once and can be removed without --force.
        await this.callAnyManager<Empty, Empty>('Leave', {}, 'dispatcher').catch((e: unknown) => this.log(`leave: could not tell the managers: ${(e as Error).message}`));
      }
      await this.teardown();
      this.log('left the swarm');
    });
  }

  private async leaveRaft(m: Manager): Promise<void> {
    if (m.raft.isLeader()) {
      const to = m.raft.status().conf.voters.find((v) => v !== this.state!.nodeId && m.ctx.reachable(v));
      if (!to) throw new TsswarmError('Unavailable', 'no other reachable manager to hand leadership to');
      m.raft.transferLeadership(to);
      const deadline = Date.now() + 5_000;
      while (m.raft.isLeader() && Date.now() < deadline) await sleep(50);
    }
    await this.callLeader<Empty, Empty>('control', 'RaftLeave', {});
  }

  // ------------------------------------------------------------------ roles

  private async startManager(o: { bootstrap?: Record<string, string>; peers?: Record<string, string>; forceNewCluster?: boolean }): Promise<void> {
    const st = this.state!;
    this.manager = await Manager.start({
      nodeId: st.nodeId,
      clusterId: st.clusterId,
      dataDir: this.dir.raftDir,
      listen: st.listenAddr,
      advertise: st.advertiseAddr,
      identity: this.identity(),
      bootstrap: o.bootstrap,
      peers: o.peers,
      forceNewCluster: o.forceNewCluster,
      gossipKeyRotationMs: this.o.gossipKeyRotationMs,
      log: this.o.log,
    });
    this.lastError = '';
  }

  private identity(): ManagerIdentity {
    const c = this.certs!;
    return { caPem: c.caPem, certPem: c.certPem, keyPem: c.keyPem };
  }

  /** Start the Manager and join Raft through the leader (learner, then voter once caught up). */
  private async becomeManager(managers: Peer[]): Promise<void> {
    const peers = Object.fromEntries(managers.filter((p) => p.nodeId && p.nodeId !== this.state!.nodeId).map((p) => [p.nodeId, p.addr]));
    await this.startManager({ peers });
    await this.callLeader<RaftJoinRequest, RaftJoinResponse>('control', 'RaftJoin', { addr: this.state!.advertiseAddr }, 60_000);
  }

  /** Calls a leader-only control method, following redirects and trying each known manager. */
  private async callLeader<Req, Res>(service: 'control', method: string, req: Req, timeoutMs = 15_000): Promise<Res> {
    const deadline = Date.now() + timeoutMs;
    const known = (): string[] => [...new Set(this.remoteManagers().map((p) => p.addr).concat(this.state!.managers.map((p) => p.addr)))].filter((a) => a && a !== this.state!.advertiseAddr);
    let next: string | undefined;
    let last: unknown = new TsswarmError('Unavailable', 'no manager to ask');
    let i = 0;
    while (Date.now() < deadline) {
      const leader = this.manager?.ctx.leader();
      const addr = next ?? (leader && leader.nodeId !== this.state!.nodeId ? leader.addr : known()[i++ % Math.max(1, known().length)]);
      next = undefined;
      if (!addr) {
        await sleep(200);
        continue;
      }
      const client = ManagerClient.pinned(addr, this.certs!.caPem, { certPem: this.certs!.certPem, keyPem: this.certs!.keyPem });
      try {
        return await client.call<Req, Res>(service, method, req, { deadlineMs: Math.max(1_000, deadline - Date.now()) });
      } catch (e) {
        last = e;
        const l = leaderAddrOf(e);
        if (l) next = l;
        else if ((e as TsswarmError).code !== 'Unavailable' && (e as TsswarmError).code !== 'NotLeader') throw e;
        await sleep(200);
      } finally {
        client.close();
      }
    }
    throw last;
  }

  private startSession(): void {
    this.session?.stop();
    const st = this.state!;
    this.session = new Session({
      caPem: this.certs!.caPem,
      identity: () => ({ certPem: this.certs!.certPem, keyPem: this.certs!.keyPem }),
      managers: this.manager ? [{ nodeId: st.nodeId, addr: st.advertiseAddr }, ...st.managers.filter((p) => p.nodeId !== st.nodeId)] : st.managers,
      request: () => ({ description: this.description(), dataPathAddr: st.dataPathAddr, role: roleOfCert(this.certs!.certPem) }),
      onHeartbeat: (res) => this.onHeartbeat(res),
      onRefused: (msg) => void this.onRefused(msg),
      log: this.o.log,
    });
    this.session.start();
  }

  /** Removed from the swarm: forget it, as swarm's agent does, so the node can join again. */
  private async onRefused(msg: string): Promise<void> {
    if (!/was removed|not part of this swarm/.test(msg)) {
      this.lastError = msg;
      return;
    }
    const who = this.state?.nodeId;
    await this.serially(async () => {
      if (!who || this.state?.nodeId !== who) return;
      this.log(`this node was removed from the swarm; leaving it (${msg})`);
      await this.teardown();
    });
  }

  private onHeartbeat(res: HeartbeatResponse): void {
    const st = this.state;
    if (!st || !this.certs) return;
    if (res.gossipKeys.length > 0) {
      if (!this.dataplane) {
        this.dataplane = new DataPlane({
          nodeId: st.nodeId, vtep: st.dataPathAddr, netnsPrefix: this.o.netnsPrefix ?? 'ts-', log: (m) => this.log(m),
          onDnsChange: (network) => void this.containers.refreshDns(network),
        });
        // Endpoints plugged in before the data plane existed (adopted after a restart) are published now.
        for (const ep of this.containers.localEndpoints()) this.dataplane.addEndpoint(ep);
      }
      this.dataplane.update(res.gossipKeys, res.managers.map((p) => p.addr));
    }
    const known = JSON.stringify(st.managers);
    if (res.managers.length > 0 && JSON.stringify(res.managers) !== known) {
      st.managers = res.managers;
      void this.dir.saveState(st).catch((e: unknown) => this.log(`could not save state: ${(e as Error).message}`));
    }
    const have = roleOfCert(this.certs.certPem);
    const promote = res.desiredRole === 'manager' && have === 'worker';
    const demote = res.desiredRole === 'worker' && have === 'manager' && !res.raftMember;
    const renew = needsRenewal(this.certs.certPem);
    if ((!promote && !demote && !renew) || this.changingRole) return;
    this.changingRole = true;
    void this.serially(async () => {
      if (!this.state || !this.certs) return;
      await this.renew();
      const now = roleOfCert(this.certs.certPem);
      if (now === 'manager' && !this.manager) {
        this.log('promoted: starting the manager and joining Raft');
        await this.becomeManager(res.managers);
      } else if (now === 'worker' && this.manager) {
        this.log('demoted: stopping the manager');
        const m = this.manager;
        this.manager = undefined;
        await m.stop();
        await this.dir.removeRaft();
      } else if (this.manager) {
        this.manager.updateIdentity(this.identity());
      }
      this.session?.nudge();
    }).catch((e: unknown) => {
      this.lastError = (e as Error).message;
      this.log(`role change failed: ${this.lastError}`);
    }).finally(() => {
      this.changingRole = false;
    });
  }

  /** A fresh key and a certificate with the role the cluster now gives this node. */
  private async renew(): Promise<void> {
    const key = await generateNodeKey();
    const res = await this.callAnyManager<{ publicKeyPem: string }, { certPem: string; role: string }>('Renew', { publicKeyPem: key.publicKeyPem });
    this.certs = { caPem: this.certs!.caPem, certPem: res.certPem, keyPem: key.keyPem };
    await this.dir.saveCerts(this.certs);
    this.log(`certificate renewed (role ${res.role}, valid until ${certInfo(res.certPem).notAfter.toISOString()})`);
  }

  private async callAnyManager<Req, Res>(method: string, req: Req, service: 'ca' | 'dispatcher' = 'ca'): Promise<Res> {
    const addrs = [...new Set([...(this.manager ? [this.state!.advertiseAddr] : []), ...this.remoteManagers().map((p) => p.addr)])];
    let last: unknown = new TsswarmError('Unavailable', 'no manager is known');
    for (const addr of addrs) {
      const client = ManagerClient.pinned(addr, this.certs!.caPem, { certPem: this.certs!.certPem, keyPem: this.certs!.keyPem });
      try {
        return await client.call<Req, Res>(service, method, req, { deadlineMs: 5_000 });
      } catch (e) {
        last = e;
        if ((e as TsswarmError).code !== 'Unavailable') throw e;
      } finally {
        client.close();
      }
    }
    throw last;
  }

  /** Stops the data plane, the session and the manager (not the containers). */
  private async halt(): Promise<void> {
    await this.dataplane?.stop().catch(() => undefined);
    this.dataplane = undefined;
    this.leaderConn?.client.close();
    this.leaderConn = undefined;
    this.session?.stop();
    this.session = undefined;
    const m = this.manager;
    this.manager = undefined;
    await m?.stop().catch((e: unknown) => this.log(`stopping the manager: ${(e as Error).message}`));
  }

  /** Stop everything and forget the swarm. */
  private async teardown(): Promise<void> {
    await this.halt();
    await this.dir.wipe();
    this.state = undefined;
    this.certs = undefined;
    this.lastError = '';
  }

  /** The cluster object's worker/manager tokens etc. are the manager API's; this is for /info. */
  async clusterSummary(): Promise<{ nodes: number; managers: number; cluster?: unknown } | undefined> {
    const m = this.manager;
    if (!m) return undefined;
    const { objects } = await m.store.list('nodes');
    const c = await getCluster(m.store).catch(() => undefined);
    // As docker's /info: the swarm as /swarm shows it, but never the join tokens.
    const cluster = c ? { ...swarmView(c), JoinTokens: undefined } : undefined;
    return { nodes: objects.length, managers: objects.filter((n) => n.role === 'manager').length, cluster };
  }

  async stop(): Promise<void> {
    await this.containers.stopAll();
    await this.halt();
    await this.dnsRelay?.close();
  }
}

function checkDataPathPort(p: number | undefined): number {
  if (!p) return DEFAULT_DATA_PATH_PORT;
  if (!Number.isInteger(p) || p < 1024 || p > 49151) throw new TsswarmError('Invalid', `invalid data path port ${p}: must be from 1024 to 49151`);
  return p;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
