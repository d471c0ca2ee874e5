// Raft messages between managers: gRPC over mutual TLS (port 2377 in production).
// Outbound, each peer gets two long-lived client streams ("lanes"), each on its own
// connection: bulk for App and Snap, urgent for everything else, so a large App or
// snapshot chunk does not hold heartbeats and votes back. Inbound, the server admits
// only clients whose certificate (from the cluster CA) has the manager role, checks
// that the certificate's CN is the `from` of every message, and hands verified
// batches to `onMessages`.
import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { MessageType, type Message, type NodeId } from '../core/types.js';
import type { TlsMaterial } from '../../../shared/pki/tls.js';
import { certInfo } from '../../../shared/pki/certs.js';
import { Lane, type LaneHost, type LaneLimits } from './lane.js';
import { raftService, type StreamEnd } from './service.js';
import { tuneInboundSession } from './inbound_session.js';

export type { TlsMaterial } from '../../../shared/pki/tls.js';
export type { LaneLimits } from './lane.js';

export interface RaftTransportOptions {
  id: NodeId;
  tls: TlsMaterial;
  /** Verified messages from one peer, in the order that peer sent them on one lane. */
  onMessages: (msgs: Message[]) => void;
  /** A message to `id` was dropped, or the stream to it failed. May be called often; cheap to handle. */
  onUnreachable: (id: NodeId) => void;
  log?: (msg: string) => void;
  /** Queue and backoff limits per lane; the defaults suit production. */
  limits?: Partial<LaneLimits>;
  /** Send everything on one stream per peer (for measuring what the urgent lane buys). */
  singleLane?: boolean;
  /**
   * The role (certificate OU) a client must have to be heard; default: this member's own
   * OU, so a worker's certificate from the same CA cannot speak Raft. '' accepts any role.
   */
  peerRole?: string;
  /**
   * A gRPC server shared with other services on the same port (the daemon's 2377). The
   * owner binds it; listen() must not be called then. Its credentials may admit clients
   * without a verified certificate (joining nodes), so `authorize` must then vet each one.
   */
  server?: grpc.Server;
  /** Extra admission check on a client's certificate: a reason to refuse, or undefined. */
  authorize?: (cert: PeerCertificate) => string | undefined;
}

const DEFAULT_LIMITS: LaneLimits = {
  // As etcd's stream buffer: 4096 messages absorb a burst while the stream catches up.
  maxMessages: 4096,
  // Past what the core keeps in flight per follower (16 MiB) plus headroom for chunks.
  maxBytes: 64 * 1024 * 1024,
  // Big enough to amortise per-request costs over hundreds of small entries, small
  // enough that the receiver starts work before the whole queue has crossed.
  maxBatchBytes: 1024 * 1024,
  backoffMinMs: 100,
  // Under the election timeout (1-2 s), so a restarted peer is back before it matters.
  backoffMaxMs: 1000,
  // TLS plus the server's first response take milliseconds on a LAN; 5 s means the peer is stuck.
  openTimeoutMs: 5000,
};

// The largest request we accept. A single App is at most maxSizePerMsg (1 MiB) of
// entries, a batch is ~1 MiB unless one message alone is larger; this leaves room for
// a peer configured with larger messages without letting one request exhaust memory.
const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

/** Options for a server that carries Raft; the daemon's shared 2377 server uses them too. */
export const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  // Clients ping every 10 s even when idle; the default policy would call that abuse.
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
};

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
  'grpc.max_send_message_length': MAX_RECEIVE_BYTES,
  // Detect a silently dead peer (no RST, e.g. a pulled cable) within ~15 s.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  // gRPC's default reconnect backoff grows to 120 s; a Raft peer should be retried far sooner.
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  // One connection per peer per transport, never shared with another transport in the process.
  'grpc.use_local_subchannel_pool': 1,
};

function subjectField(cert: PeerCertificate | undefined, field: 'CN' | 'OU'): string {
  const v = cert?.subject?.[field] as string | string[] | undefined;
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

const commonName = (cert: PeerCertificate | undefined): string => subjectField(cert, 'CN');

/** A lane's view of its peer: which connection it uses, limits, and whom to tell. */
class LaneConn implements LaneHost {
  constructor(
    readonly peer: NodeId,
    readonly client: grpc.Client,
    readonly limits: LaneLimits,
    private readonly t: { log(msg: string): void; unreachable(id: NodeId): void },
  ) {}

  log(msg: string): void {
    this.t.log(msg);
  }

  unreachable(): void {
    this.t.unreachable(this.peer);
  }
}

class Peer {
  private readonly clients: grpc.Client[] = [];
  readonly urgent: Lane;
  readonly bulk: Lane;

  constructor(
    readonly id: NodeId,
    readonly addr: string,
    tls: TlsMaterial,
    limits: LaneLimits,
    singleLane: boolean,
    hooks: { log(msg: string): void; unreachable(id: NodeId): void },
  ) {
    const creds = grpc.credentials.createSsl(tls.ca, tls.key, tls.cert, {
      // The server must be the member we mean, not just any member of the cluster.
      checkServerIdentity: (_host, cert) => {
        const cn = commonName(cert);
        return cn === id ? undefined : new Error(`server at ${addr} presented a certificate for "${cn}", expected "${id}"`);
      },
    });
    // SNI carries the member id rather than an IP address (which TLS does not allow as a server name).
    const client = (): grpc.Client => {
      const c = new grpc.Client(addr, creds, { ...CHANNEL_OPTIONS, 'grpc.ssl_target_name_override': id });
      this.clients.push(c);
      return c;
    };
    this.urgent = new Lane(new LaneConn(id, client(), limits, hooks), 'urgent');
    // The bulk lane gets its own TCP connection: two HTTP/2 streams on one connection
    // still queue the heartbeat behind whatever bulk data sits in the socket buffers.
    this.bulk = singleLane ? this.urgent : new Lane(new LaneConn(id, client(), limits, hooks), 'bulk');
  }

  laneFor(m: Message): Lane {
    return m.type === MessageType.App || m.type === MessageType.Snap ? this.bulk : this.urgent;
  }

  close(): void {
    this.urgent.close();
    this.bulk.close();
    for (const c of this.clients) c.close();
  }
}

export class RaftTransport {
  /** Add other services (join, CA, dispatcher) here before listen(); they share the port and its mutual TLS. */
  readonly server: grpc.Server;
  private readonly opts: RaftTransportOptions;
  private readonly limits: LaneLimits;
  private readonly peersById = new Map<NodeId, Peer>();
  private readonly dirty = new Set<Lane>();
  private readonly unreachablePending = new Set<NodeId>();
  private readonly inbound = new Set<grpc.ServerReadableStream<Message[], StreamEnd>>();
  private flushQueued = false;
  private reportTimer: NodeJS.Immediate | null = null;
  private closed = false;
  private readonly lastComplaint = new Map<string, number>();
  private tuneWarned = false;
  private readonly peerRole: string;

  constructor(opts: RaftTransportOptions) {
    this.opts = opts;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.peerRole = opts.peerRole ?? certInfo(opts.tls.cert.toString()).ou;
    this.server = opts.server ?? new grpc.Server(SERVER_OPTIONS);
    const Stream: grpc.handleClientStreamingCall<Message[], StreamEnd> = (call, cb) => this.accept(call, cb);
    this.server.addService(raftService, { Stream });
  }

  /** Listen on 'host:port' (port 0 picks one); resolves to the bound port. */
  listen(addr: string): Promise<number> {
    const creds = grpc.ServerCredentials.createSsl(this.opts.tls.ca, [{ cert_chain: this.opts.tls.cert, private_key: this.opts.tls.key }], true);
    return new Promise((resolve, reject) => {
      this.server.bindAsync(addr, creds, (err, port) => {
        if (err) reject(new Error(`raft transport cannot listen on ${addr}: ${err.message}`, { cause: err }));
        else resolve(port);
      });
    });
  }

  /** New certificate (renewal, role change): connections made from now on use it. */
  setTls(tls: TlsMaterial): void {
    this.opts.tls = tls;
    for (const [id, p] of [...this.peersById]) {
      this.dropPeer(p);
      this.peersById.set(id, new Peer(id, p.addr, tls, this.limits, this.opts.singleLane ?? false, this.peerHooks));
    }
  }

  /** Start (or re-point) the connection to `id` at `addr` ('host:port'). */
  addPeer(id: NodeId, addr: string): void {
    if (this.closed || id === this.opts.id) return;
    const old = this.peersById.get(id);
    if (old?.addr === addr) return;
    if (old) this.dropPeer(old);
    this.peersById.set(id, new Peer(id, addr, this.opts.tls, this.limits, this.opts.singleLane ?? false, this.peerHooks));
  }

  removePeer(id: NodeId): void {
    const p = this.peersById.get(id);
    if (!p) return;
    this.peersById.delete(id);
    this.dropPeer(p);
  }

  peers(): Map<NodeId, string> {
    return new Map([...this.peersById].map(([id, p]) => [id, p.addr]));
  }

  /** Queue messages for their destinations; never blocks, never throws for a bad peer. */
  send(msgs: Message[]): void {
    if (this.closed) return;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      const p = this.peersById.get(m.to);
      if (!p) {
        this.complain(`unknown:${m.to}`, `raft transport: no address for ${m.to}; dropping messages to it`);
        this.unreachablePending.add(m.to);
        continue;
      }
      const lane = p.laneFor(m);
      if (lane.enqueue(m)) this.dirty.add(lane);
      else this.unreachablePending.add(m.to);
    }
    if (!this.flushQueued && this.dirty.size > 0) {
      this.flushQueued = true;
      // Same tick, after the caller's synchronous work: messages of one burst share a request.
      queueMicrotask(() => this.flush());
    }
    this.scheduleReports();
  }

  /** Stop listening, cancel every stream, release every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.peersById.values()) p.close();
    this.peersById.clear();
    this.dirty.clear();
    this.unreachablePending.clear();
    if (this.reportTimer) clearImmediate(this.reportTimer);
    this.reportTimer = null;
    for (const call of this.inbound) call.destroy();
    this.inbound.clear();
    await new Promise<void>((resolve) => {
      // tryShutdown resolves once listeners and sessions are gone; forceShutdown makes that immediate.
      this.server.tryShutdown(() => resolve());
      this.server.forceShutdown();
    });
  }

  private readonly peerHooks = {
    log: (msg: string): void => this.opts.log?.(msg),
    unreachable: (id: NodeId): void => {
      this.unreachablePending.add(id);
      this.scheduleReports();
    },
  };

  private flush(): void {
    this.flushQueued = false;
    if (this.closed) return;
    const lanes = [...this.dirty];
    this.dirty.clear();
    for (const lane of lanes) lane.flush();
  }

  private scheduleReports(): void {
    if (this.reportTimer || this.unreachablePending.size === 0 || this.closed) return;
    // Reported outside the caller's stack: the core must not be re-entered from inside send().
    this.reportTimer = setImmediate(() => {
      this.reportTimer = null;
      const ids = [...this.unreachablePending];
      this.unreachablePending.clear();
      for (const id of ids) {
        try {
          this.opts.onUnreachable(id);
        } catch (e) {
          this.opts.log?.(`raft transport: onUnreachable(${id}) threw: ${(e as Error).message}`);
        }
      }
    });
  }

  private dropPeer(p: Peer): void {
    this.dirty.delete(p.urgent);
    this.dirty.delete(p.bulk);
    p.close();
  }

  private accept(call: grpc.ServerReadableStream<Message[], StreamEnd>, cb: grpc.sendUnaryData<StreamEnd>): void {
    const cert = call.getAuthContext()?.sslPeerCertificate;
    const cn = commonName(cert);
    if (!cn || this.closed) {
      cb({ code: grpc.status.UNAUTHENTICATED, details: 'a client certificate from the cluster CA is required' });
      return;
    }
    const refusal = this.opts.authorize?.(cert!);
    if (refusal) {
      this.complain(`auth:${cn}`, `raft transport: refused a stream from "${cn}": ${refusal}`);
      cb({ code: grpc.status.PERMISSION_DENIED, details: refusal });
      return;
    }
    const role = subjectField(cert, 'OU');
    if (this.peerRole && role !== this.peerRole) {
      this.complain(`role:${cn}`, `raft transport: refused a stream from "${cn}": certificate role "${role}", Raft needs "${this.peerRole}"`);
      cb({ code: grpc.status.PERMISSION_DENIED, details: `role "${role}" may not send Raft messages` });
      return;
    }
    this.inbound.add(call);
    if (!tuneInboundSession(call) && !this.tuneWarned) {
      this.tuneWarned = true;
      this.opts.log?.('raft transport: cannot tune inbound HTTP/2 sessions with this grpc-js version; inbound throughput will be lower');
    }
    // Response headers now: the sender learns its stream is up before any reply.
    call.sendMetadata(new grpc.Metadata());
    const me = this.opts.id;
    call.on('data', (msgs: Message[]) => {
      let ok = msgs;
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i]!;
        if (m.from !== cn || m.to !== me) {
          ok = msgs.filter((x) => x.from === cn && x.to === me);
          const bad = msgs.length - ok.length;
          this.complain(
            `forged:${cn}`,
            `raft transport: dropped ${bad} message(s) from the peer with certificate "${cn}" claiming from="${m.from}" to="${m.to}" (this member is "${me}")`,
          );
          break;
        }
      }
      if (ok.length === 0) return;
      try {
        this.opts.onMessages(ok);
      } catch (e) {
        this.opts.log?.(`raft transport: onMessages threw: ${(e as Error).stack ?? String(e)}`);
      }
    });
    const done = (): void => {
      if (!this.inbound.delete(call)) return;
      cb(null, {});
    };
    call.on('end', done);
    call.on('error', () => this.inbound.delete(call));
    call.on('close', () => this.inbound.delete(call));
  }

  /** Log at most once a second per kind of complaint. */
  private complain(key: string, msg: string): void {
    const now = Date.now();
    if ((this.lastComplaint.get(key) ?? 0) + 1000 > now) return;
    if (this.lastComplaint.size > 1000) this.lastComplaint.clear();
    this.lastComplaint.set(key, now);
    this.opts.log?.(msg);
  }
}
