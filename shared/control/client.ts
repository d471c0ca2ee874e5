// A connection to one manager's 2377 endpoint for the control services. The
// server is trusted only through the cluster CA a node pinned at join, and only
// if its certificate says it is a manager; the node's own certificate, when it
// has one, identifies it.
import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { services, LEADER_ADDR_KEY } from './proto.js';
import { fromServiceError } from './errors.js';
import { TsswarmError } from '../errors.js';

export interface Identity {
  certPem: string;
  keyPem: string;
}

type ServiceName = keyof typeof services;

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  // A restarted manager should be found again within a second, not gRPC's default minutes.
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.use_local_subchannel_pool': 1,
};

const DEFAULT_DEADLINE_MS = 10_000;

function ou(cert: PeerCertificate | undefined): string {
  const v = cert?.subject?.OU as string | string[] | undefined;
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

export class ManagerClient {
  private readonly client: grpc.Client;

  private constructor(readonly addr: string, creds: grpc.ChannelCredentials) {
    // SNI cannot be an IP address and manager certificates name node IDs, not hosts:
    // the CA chain and the manager role are what is checked (see checkServerIdentity).
    this.client = new grpc.Client(addr, creds, { ...CHANNEL_OPTIONS, 'grpc.ssl_target_name_override': 'swarm-manager' });
  }

  /** Trusts any server: only for fetching the root CA, which the caller then checks against its pin. */
  static unverified(addr: string): ManagerClient {
    return new ManagerClient(addr, grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false, checkServerIdentity: () => undefined }));
  }

  static pinned(addr: string, caPem: string, identity?: Identity): ManagerClient {
    const key = identity ? Buffer.from(identity.keyPem) : null;
    const cert = identity ? Buffer.from(identity.certPem) : null;
    const creds = grpc.credentials.createSsl(Buffer.from(caPem), key, cert, {
      checkServerIdentity: (_host, c) =>
        ou(c) === 'swarm-manager' ? undefined : new Error(`the server at ${addr} is not a manager of this cluster (certificate role "${ou(c)}")`),
    });
    return new ManagerClient(addr, creds);
  }

  call<Req, Res>(service: ServiceName, method: string, req: Req, opts: { deadlineMs?: number } = {}): Promise<Res> {
    const def = services[service].service[method];
    if (!def) throw new Error(`no method ${service}.${method}`);
    const deadline = Date.now() + (opts.deadlineMs ?? DEFAULT_DEADLINE_MS);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        def.path,
        def.requestSerialize as (r: Req) => Buffer,
        def.responseDeserialize as (b: Buffer) => Res,
        req,
        new grpc.Metadata(),
        { deadline },
        (err, res) => {
          if (err) {
            const e = fromServiceError(err, this.addr);
            const leader = err.metadata?.get(LEADER_ADDR_KEY)[0];
            reject(typeof leader === 'string' && leader ? Object.assign(e, { leaderAddr: leader }) : e);
          } else if (res === undefined) reject(new TsswarmError('Unavailable', `empty answer from ${this.addr}`));
          else resolve(res);
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/** The leader's address a follower pointed us at, if the error carries one. */
export function leaderAddrOf(e: unknown): string | undefined {
  const v = (e as { leaderAddr?: unknown }).leaderAddr;
  return typeof v === 'string' ? v : undefined;
}
