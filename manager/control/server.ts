// The manager's gRPC server on 2377. Raft, the CA, the dispatcher and the
// forwarded API share it and its TLS. Clients without a certificate get through
// the handshake (a joining node has none yet), so every service but the CA's
// GetRootCA/Join asks `identify` who the caller is, and that checks the chain
// against the cluster CA itself, plus whether the node was removed.
import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { SERVER_OPTIONS } from '../raft/transport/transport.js';
import { ClusterCA, type NodeIdentity } from '../ca/index.js';
import { TsswarmError } from '../../shared/errors.js';
import { toServiceError } from '../../shared/control/errors.js';
import { LEADER_ADDR_KEY } from '../../shared/control/proto.js';

type CaListener = (u: { caCertificate: Buffer } | null) => void;
type IdListener = (u: { certificate: Buffer; privateKey: Buffer } | null) => void;

/** Feeds the server's TLS its CA and identity, and swaps the identity on renewal. */
class TlsProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly idListeners = new Set<IdListener>();

  constructor(private ca: Buffer, private cert: Buffer, private key: Buffer) {}

  update(cert: Buffer, key: Buffer): void {
    this.cert = cert;
    this.key = key;
    for (const l of this.idListeners) l({ certificate: cert, privateKey: key });
  }

  addCaCertificateListener(l: CaListener): void {
    this.caListeners.add(l);
    // Later, not now: grpc-js registers the server's own watcher only after adding us.
    queueMicrotask(() => l({ caCertificate: this.ca }));
  }
  removeCaCertificateListener(l: CaListener): void {
    this.caListeners.delete(l);
  }
  addIdentityCertificateListener(l: IdListener): void {
    this.idListeners.add(l);
    queueMicrotask(() => l({ certificate: this.cert, privateKey: this.key }));
  }
  removeIdentityCertificateListener(l: IdListener): void {
    this.idListeners.delete(l);
  }
}

/** Why a verified node may still not be heard (removed, unknown); undefined if fine. */
export type NodeCheck = (id: NodeIdentity) => string | undefined;

export class ControlServer {
  readonly server = new grpc.Server(SERVER_OPTIONS);
  private readonly tls: TlsProvider;
  private readonly ca: ClusterCA;
  private readonly verified = new Map<string, NodeIdentity>();

  constructor(opts: { caPem: string; certPem: string; keyPem: string; clusterId: string }, private readonly check: NodeCheck) {
    this.tls = new TlsProvider(Buffer.from(opts.caPem), Buffer.from(opts.certPem), Buffer.from(opts.keyPem));
    // Verification only needs the CA certificate; a placeholder key is never used to sign.
    this.ca = ClusterCA.forVerification(opts.caPem, opts.clusterId);
  }

  bind(addr: string): Promise<number> {
    // One provider serves both roles, which also sidesteps grpc-js swapping the two arguments.
    const creds = grpc.experimental.createCertificateProviderServerCredentials(this.tls, this.tls, false);
    return new Promise((resolve, reject) => {
      this.server.bindAsync(addr, creds, (err, port) => {
        if (err) reject(new TsswarmError('Unavailable', `cannot listen on ${addr}: ${err.message}`));
        else resolve(port);
      });
    });
  }

  updateIdentity(certPem: string, keyPem: string): void {
    this.tls.update(Buffer.from(certPem), Buffer.from(keyPem));
  }

  /** The Raft transport's admission hook: same checks as identify, as a refusal reason. */
  readonly authorizeRaft = (cert: PeerCertificate): string | undefined => {
    try {
      const id = this.verify(cert);
      if (id.role !== 'manager') return `node ${id.nodeId} is not a manager`;
      return this.check(id);
    } catch (e) {
      return (e as Error).message;
    }
  };

  /** The caller's verified identity; throws Refused for no, a foreign, or a revoked certificate. */
  identify(call: grpc.ServerUnaryCall<unknown, unknown>): NodeIdentity {
    const cert = call.getAuthContext()?.sslPeerCertificate;
    const id = this.verify(cert);
    const why = this.check(id);
    if (why) throw new TsswarmError('Refused', why);
    return id;
  }

  private verify(cert: PeerCertificate | undefined): NodeIdentity {
    if (!cert?.raw) throw new TsswarmError('Refused', 'a node certificate from this cluster\'s CA is required; join the swarm first');
    const fp = cert.fingerprint256;
    const hit = this.verified.get(fp);
    if (hit && hit.notAfter.getTime() > Date.now()) return hit;
    const pem = new X509Certificate(cert.raw).toString();
    const id = this.ca.verifyNodeCert(pem);
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(fp, id);
    return id;
  }

  /** Wraps an async handler: errors become gRPC statuses carrying their code. */
  static unary<Req, Res>(fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, cb) => {
      fn(call.request, call).then(
        (res) => cb(null, res),
        (e: unknown) => {
          const err = toServiceError(e);
          const leader = (e as { leaderAddr?: unknown }).leaderAddr;
          if (typeof leader === 'string') err.metadata?.set(LEADER_ADDR_KEY, leader);
          cb(err);
        },
      );
    };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.tryShutdown(() => resolve());
      this.server.forceShutdown();
    });
  }
}
