// A small UDP DNS server around the pure resolver. Questions it cannot answer go to an
// injectable forwarder; garbage is dropped silently (answering garbage invites reflection).
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { TsswarmError } from '../../shared/errors.js';
import { decodeMessage, peekId, RCode, type DnsMessage } from './codec.js';
import { FORWARD_TIMEOUT_MS } from './defaults.js';
import { encodeUdpReply, replyTo, resolve, type DnsLookup } from './resolver.js';

/** Sends a raw query upstream and resolves with the raw response. */
export type Forwarder = (query: Buffer) => Promise<Buffer>;

export interface Upstream {
  host: string;
  port: number;
}

/**
 * A forwarder that asks each upstream in turn, each with its own timeout, from a fresh
 * socket (a random source port per query, as resolvers should). A response counts only if
 * it comes from the upstream asked and carries the query's id.
 */
export function udpForwarder(upstreams: readonly Upstream[], timeoutMs = FORWARD_TIMEOUT_MS): Forwarder {
  const list = [...upstreams];
  return async (query) => {
    for (const u of list) {
      try {
        return await askOnce(u, query, timeoutMs);
      } catch {
        // try the next upstream
      }
    }
    throw new TsswarmError('Unavailable', `no upstream DNS server answered (${list.map((u) => `${u.host}:${u.port}`).join(', ') || 'none configured'})`);
  };
}

function askOnce(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  const id = peekId(query);
  return new Promise((resolvePromise, reject) => {
    const sock = dgram.createSocket(isIPv6(u.host) ? 'udp6' : 'udp4');
    const done = (err: Error | undefined, msg?: Buffer): void => {
      clearTimeout(timer);
      sock.removeAllListeners('message');
      sock.close();
      if (err !== undefined) reject(err);
      else resolvePromise(msg as Buffer);
    };
    const timer = setTimeout(() => done(new TsswarmError('Timeout', `DNS upstream ${u.host}:${u.port} did not answer in ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (e) => done(e));
    sock.on('message', (msg, from) => {
      if (from.port !== u.port || from.address !== u.host || peekId(msg) !== id) return;
      done(undefined, msg);
    });
    sock.send(query, u.port, u.host, (e) => {
      if (e) done(e);
    });
  });
}

export interface DnsServerOptions {
  /** Address to listen on; 127.0.0.1 unless told otherwise (127.0.0.11 inside a sandbox). */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  lookup: DnsLookup;
  forward?: Forwarder;
}

export interface DnsServer {
  readonly host: string;
  readonly port: number;
  /** Counts for tests and metrics. */
  readonly stats: { answered: number; forwarded: number; dropped: number; failed: number };
  close(): Promise<void>;
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const host = opts.host ?? '127.0.0.1';
  const sock = dgram.createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  const stats = { answered: 0, forwarded: 0, dropped: 0, failed: 0 };
  let closed = false;

  const send = (buf: Buffer, port: number, address: string): void => {
    if (closed) return;
    sock.send(buf, port, address, () => {
      // A client that went away is not our problem; nothing to do on error.
    });
  };

  const forwardFor = async (query: DnsMessage, raw: Buffer, port: number, address: string): Promise<void> => {
    try {
      const resp = await (opts.forward as Forwarder)(raw);
      if (peekId(resp) !== query.header.id) throw new TsswarmError('Corrupt', 'upstream answered with another id');
      stats.forwarded++;
      send(resp, port, address);
    } catch {
      stats.failed++;
      send(encodeUdpReply(replyTo(query, RCode.SERVFAIL)), port, address);
    }
  };

  sock.on('message', (raw, rinfo) => {
    let query: DnsMessage;
    try {
      query = decodeMessage(raw);
    } catch {
      stats.dropped++;
      return;
    }
    let res;
    try {
      res = resolve(query, opts.lookup, { canForward: opts.forward !== undefined });
      if (res.kind === 'reply') {
        const out = encodeUdpReply(res.message);
        stats.answered++;
        send(out, rinfo.port, rinfo.address);
        return;
      }
    } catch {
      // A lookup that throws or a name we cannot encode: the client still deserves an answer.
      stats.failed++;
      send(encodeUdpReply(replyTo(query, RCode.SERVFAIL)), rinfo.port, rinfo.address);
      return;
    }
    if (res.kind === 'drop') {
      stats.dropped++;
      return;
    }
    void forwardFor(query, raw, rinfo.port, rinfo.address);
  });
  // Errors on a UDP socket (e.g. ICMP unreachable surfacing) must not crash the daemon.
  sock.on('error', () => undefined);

  await new Promise<void>((ok, fail) => {
    sock.once('error', fail);
    sock.bind(opts.port ?? 0, host, () => {
      sock.off('error', fail);
      ok();
    });
  });
  const port = sock.address().port;

  return {
    host,
    port,
    stats,
    close: () => new Promise<void>((ok) => {
      if (closed) return ok();
      closed = true;
      sock.close(() => ok());
    }),
  };
}
