// Worker sessions, leader only (as swarmkit's dispatcher): every node heartbeats the
// leader; the leader marks a node Ready on its first heartbeat and Down once it has
// missed three periods. A follower points the caller at the leader instead.
import { PROMOTE_AFTER_HEARTBEATS, ringOrder } from '../keys/rotation.js';
import type * as grpc from '@grpc/grpc-js';
import { ControlServer } from '../control/server.js';
import { getCluster } from '../cluster.js';
import { describe } from '../ca/service.js';
import type { ManagerContext } from '../context.js';
import type { Node } from '../store/index.js';
import { TsswarmError } from '../../shared/errors.js';
import type { Empty, HeartbeatRequest, HeartbeatResponse } from '../../shared/control/proto.js';

/** Missed periods before Down: swarmkit's grace multiplier. */
const GRACE_PERIODS = 3;
/** How often the leader looks for silent nodes; small against a 5 s period. */
const SWEEP_MS = 1_000;

export class Dispatcher {
  private readonly lastSeen = new Map<string, number>();
  private leaderSince = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(private readonly ctx: ManagerContext, private readonly control: ControlServer) {}

  service(): grpc.UntypedServiceImplementation {
    return {
      Heartbeat: ControlServer.unary<HeartbeatRequest, HeartbeatResponse>((req, call) => this.heartbeat(req, call)),
      Leave: ControlServer.unary<Empty, Empty>(async (_req, call) => {
        const who = this.control.identify(call);
        this.lastSeen.delete(who.nodeId);
        const r = await this.ctx.store.modify('nodes', who.nodeId, (d) => {
          d.status = { state: 'down', message: 'node left the swarm', addr: d.status.addr };
        });
        if (!r.ok && r.error.code !== 'NotFound') throw new TsswarmError(r.error.code, r.error.message);
        return {};
      }),
    };
  }

  /** Called when this manager gains or loses leadership. */
  setLeader(leader: boolean): void {
    if (leader && !this.sweeper) {
      // Nodes heartbeated the old leader; give each a full grace from now before judging.
      this.leaderSince = Date.now();
      this.lastSeen.clear();
      this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    } else if (!leader && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  stop(): void {
    this.setLeader(false);
  }

  private async heartbeat(req: HeartbeatRequest, call: grpc.ServerUnaryCall<HeartbeatRequest, HeartbeatResponse>): Promise<HeartbeatResponse> {
    const who = this.control.identify(call);
    if (!this.ctx.raft.isLeader()) {
      const leader = this.ctx.leader();
      throw Object.assign(new TsswarmError('NotLeader', `this manager is not the leader${leader ? `; the leader is ${leader.addr}` : ' and no leader is known'}`), { leaderAddr: leader?.addr ?? '' });
    }
    this.lastSeen.set(who.nodeId, Date.now());
    const node = await this.ctx.store.get('nodes', who.nodeId);
    if (!node) throw new TsswarmError('Refused', `node ${who.nodeId} is not part of this swarm (it was removed)`);
    const c = await getCluster(this.ctx.store);
    if (this.needsUpdate(node, req)) {
      const desc = describe(req.description);
      const r = await this.ctx.store.modify('nodes', node.id, (d) => {
        d.status = { state: 'ready', addr: req.dataPathAddr || d.status.addr };
        d.description = desc;
      });
      if (!r.ok && r.error.code !== 'NotFound') this.ctx.log(`dispatcher: could not mark ${node.id} ready: ${r.error.message}`);
    }
    const { objects: keys } = await this.ctx.store.list('keys', (k) => k.spec.subsystem === 'gossip');
    return {
      gossipKeys: ringOrder(keys.map((k) => ({ key: k.spec.key, lamportTime: k.spec.lamportTime, createdAtMs: Date.parse(k.createdAt) })),
        Date.now(), PROMOTE_AFTER_HEARTBEATS * c.spec.dispatcher.heartbeatPeriodMs).map((k) => Buffer.from(k)),
      periodMs: c.spec.dispatcher.heartbeatPeriodMs,
      managers: this.ctx.managers(),
      leaderId: this.ctx.nodeId,
      desiredRole: node.spec.role,
      raftMember: this.ctx.isRaftMember(who.nodeId),
      clusterId: this.ctx.clusterId,
    };
  }

  private needsUpdate(node: Node, req: HeartbeatRequest): boolean {
    if (node.status.state !== 'ready') return true;
    if (req.dataPathAddr && node.status.addr !== req.dataPathAddr) return true;
    const d = node.description;
    return !d || d.hostname !== (req.description?.hostname ?? '') || d.engine?.engineVersion !== (req.description?.engineVersion ?? '');
  }

  private async sweep(): Promise<void> {
    if (this.sweeping || !this.ctx.raft.isLeader()) return;
    this.sweeping = true;
    try {
      const c = await getCluster(this.ctx.store);
      const limit = c.spec.dispatcher.heartbeatPeriodMs * GRACE_PERIODS;
      const now = Date.now();
      const { objects } = await this.ctx.store.list('nodes', (n) => n.status.state === 'ready' || n.status.state === 'unknown');
      for (const n of objects) {
        const seen = this.lastSeen.get(n.id) ?? this.leaderSince;
        if (now - seen <= limit) continue;
        const r = await this.ctx.store.modify('nodes', n.id, (d) => {
          d.status = { state: 'down', message: 'heartbeat failure', addr: d.status.addr };
        });
        if (r.ok) this.ctx.log(`dispatcher: node ${n.id} is down (no heartbeat for ${Math.round((now - seen) / 1000)} s)`);
      }
    } catch (e) {
      // No quorum or leadership lost mid-sweep: the next sweep (or leader) tries again.
      this.ctx.log(`dispatcher: sweep: ${(e as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }
}
