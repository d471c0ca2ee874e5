// The host side of container DNS forwarding. A container's embedded DNS lives in the
// container's network namespace and cannot reach the host's resolvers (127.0.0.53 there is
// another loopback), and Node cannot enter a namespace. A unix socket in the filesystem is
// reachable from every network namespace, so the daemon (host namespace) listens on one and
// container-dns sends what it must forward through it. Messages are framed as DNS over TCP
// (RFC 1035 4.2.2: a 2-byte length, then the message); one connection carries many queries
// at once and answers return in whatever order upstreams give them, matched by DNS id.
import { lstatSync, unlinkSync } from 'node:fs';
import net, { isIPv4, isIPv6 } from 'node:net';
import { TsswarmError } from '../../shared/errors.js';
import { decodeMessage, peekId, RCode, type DnsMessage } from './codec.js';
import { EMBEDDED_DNS_ADDRESS, FORWARD_TIMEOUT_MS, RELAY_MAX_IN_FLIGHT } from './defaults.js';
import { encodeUdpReply, replyTo } from './resolver.js';
import { udpForwarder, type Upstream } from './server.js';

const HEADER_BYTES = 12;
const DNS_PORT = 53;

// ---- framing (shared with relay-client.ts) ----

/** One message with its 2-byte length in front. */
export function frame(msg: Buffer): Buffer {
  if (msg.length === 0 || msg.length > 0xffff) throw new TsswarmError('TooLarge', `a DNS message of ${msg.length} bytes cannot be framed`);
  const out = Buffer.allocUnsafe(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}

/**
 * Cuts a byte stream into frames. A zero length can never start a DNS message, so it means
 * the peer is not speaking this protocol: push() throws TsswarmError('Corrupt').
 * (A 2-byte length cannot say more than 65535, so that bound holds by construction.)
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 2) {
      const len = this.buf.readUInt16BE(0);
      if (len === 0) throw new TsswarmError('Corrupt', 'DNS frame of length 0');
      if (this.buf.length < 2 + len) break;
      // A copy, so a frame kept by a slow upstream ask does not pin the whole read buffer.
      out.push(Buffer.from(this.buf.subarray(2, 2 + len)));
      this.buf = this.buf.subarray(2 + len);
    }
    return out;
  }
}

// ---- upstream lists ----

/** Lower-case, shortest form, so it compares equal to the address a reply comes from. */
function canonicalIp(ip: string): string {
  if (isIPv4(ip) || ip.includes('%')) return ip; // zone-scoped v6 is kept as written
  return new URL(`http://[${ip}]`).hostname.slice(1, -1);
}

/**
 * The nameservers of a resolv.conf, in order, without duplicates, on port 53. Our own
 * embedded address is skipped: a container's resolv.conf points at it, and forwarding to
 * ourselves would loop. Anything that is not a literal IP is ignored, as libc does.
 */
export function hostUpstreams(resolvConfText: string): Upstream[] {
  const out: Upstream[] = [];
  for (const raw of resolvConfText.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const m = /^nameserver\s+(\S+)$/.exec(line);
    if (m === null) continue;
    const ip = m[1] as string;
    if (!isIPv4(ip) && !isIPv6(ip)) continue;
    const host = canonicalIp(ip);
    if (host === EMBEDDED_DNS_ADDRESS) continue;
    if (!out.some((u) => u.host === host)) out.push({ host, port: DNS_PORT });
  }
  return out;
}

/**
 * A daemon flag value: "none" (no forwarding: unknown dotted names get SERVFAIL) or a
 * comma-separated list of IP, IP:port, IPv6 or [IPv6]:port.
 */
export function parseUpstreams(flag: string): Upstream[] {
  const text = flag.trim();
  const usage = 'expected "none" or a comma-separated list like 10.0.0.2,10.0.0.3:5353,[fd00::1]:53';
  if (text === '') throw new TsswarmError('Invalid', `empty DNS upstream list; ${usage}`);
  if (text.toLowerCase() === 'none') return [];
  const out: Upstream[] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    const bad = (why: string): TsswarmError => new TsswarmError('Invalid', `DNS upstream "${item}" ${why}; ${usage}`);
    if (item === '') throw bad('is empty');
    let host: string;
    let portText: string | undefined;
    const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(item);
    if (bracketed !== null) {
      host = bracketed[1] as string;
      portText = bracketed[2];
      if (!isIPv6(host)) throw bad('has brackets around something that is not an IPv6 address');
    } else if (isIPv6(item)) {
      host = item;
    } else {
      const colon = item.lastIndexOf(':');
      host = colon < 0 ? item : item.slice(0, colon);
      portText = colon < 0 ? undefined : item.slice(colon + 1);
      if (!isIPv4(host)) throw bad('is not an IP address (names are not allowed: resolving them would need DNS)');
    }
    let port = DNS_PORT;
    if (portText !== undefined) {
      if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw bad('has a port outside 1-65535');
      port = Number(portText);
    }
    const u = { host: canonicalIp(host), port };
    if (u.host === EMBEDDED_DNS_ADDRESS) throw bad(`is the embedded DNS address itself (${EMBEDDED_DNS_ADDRESS}); forwarding there would loop`);
    if (!out.some((o) => o.host === u.host && o.port === u.port)) out.push(u);
  }
  return out;
}

// ---- asking upstreams ----

function truncated(msg: Buffer): boolean {
  return msg.length >= 3 && ((msg[2] as number) & 0x02) !== 0;
}

/** One query over TCP to one upstream; the answer must carry the query's id. */
export function tcpAsk(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  const id = peekId(query);
  return new Promise((ok, fail) => {
    const reader = new FrameReader();
    const sock = net.connect({ host: u.host, port: u.port });
    let settled = false;
    const done = (err: Error | undefined, msg?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err !== undefined) fail(err);
      else ok(msg as Buffer);
    };
    const timer = setTimeout(() => done(new TsswarmError('Timeout', `DNS upstream ${u.host}:${u.port} did not answer over TCP in ${timeoutMs} ms`)), timeoutMs);
    sock.on('connect', () => sock.write(frame(query)));
    sock.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        return done(e as Error);
      }
      const msg = frames[0];
      if (msg === undefined) return;
      if (peekId(msg) !== id) return done(new TsswarmError('Corrupt', `DNS upstream ${u.host}:${u.port} answered over TCP with another id`));
      done(undefined, msg);
    });
    sock.on('error', (e) => done(e));
    sock.on('close', () => done(new TsswarmError('Unavailable', `DNS upstream ${u.host}:${u.port} closed the TCP connection without answering`)));
  });
}

// ---- the relay ----

export interface DnsRelayOptions {
  /** Where to listen; a stale socket file left by an earlier daemon is replaced. */
  socketPath: string;
  /** Asked in order; empty means every query is answered SERVFAIL at once. */
  upstreams: readonly Upstream[];
  /** Per upstream and per transport attempt. */
  timeoutMs?: number;
}

export interface DnsRelayStats {
  /** Connections open now, and accepted in all. */
  connections: number;
  accepted: number;
  queries: number;
  /** Answers from an upstream (TCP retries included). */
  answered: number;
  /** SERVFAILs we made: no upstreams, all failed, or too many in flight. */
  servfail: number;
  /** UDP answers with TC set that were asked again over TCP. */
  tcpRetries: number;
  /** Frames that were not DNS queries; each closed its connection. */
  badFrames: number;
}

export interface DnsRelay {
  readonly socketPath: string;
  stats(): DnsRelayStats;
  /** Stops listening, drops every connection and removes the socket file. */
  close(): Promise<void>;
}

function removeStaleSocket(p: string): void {
  try {
    if (!lstatSync(p).isSocket()) throw new TsswarmError('Conflict', `${p} exists and is not a socket; remove it or pick another relay socket path`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  unlinkSync(p);
}

function servfailFor(query: DnsMessage): Buffer {
  return encodeUdpReply(replyTo(query, RCode.SERVFAIL));
}

export async function startDnsRelay(opts: DnsRelayOptions): Promise<DnsRelay> {
  const timeoutMs = opts.timeoutMs ?? FORWARD_TIMEOUT_MS;
  const upstreams = [...opts.upstreams];
  const st: DnsRelayStats = { connections: 0, accepted: 0, queries: 0, answered: 0, servfail: 0, tcpRetries: 0, badFrames: 0 };
  const conns = new Set<net.Socket>();
  let closed = false;

  /** Each upstream in turn: UDP first, TCP to the same one if the UDP answer was cut. */
  const ask = async (raw: Buffer): Promise<Buffer | undefined> => {
    for (const u of upstreams) {
      let udp: Buffer;
      try {
        udp = await udpForwarder([u], timeoutMs)(raw);
      } catch {
        continue;
      }
      if (!truncated(udp)) return udp;
      st.tcpRetries++;
      try {
        return await tcpAsk(u, raw, timeoutMs);
      } catch {
        // The cut answer is still an answer; the client sees TC and knows it is partial.
        return udp;
      }
    }
    return undefined;
  };

  const serve = (sock: net.Socket): void => {
    conns.add(sock);
    st.accepted++;
    st.connections++;
    const reader = new FrameReader();
    let inFlight = 0;
    const reply = (msg: Buffer): void => {
      if (!sock.destroyed && sock.writable) sock.write(frame(msg));
    };
    const handle = async (raw: Buffer, query: DnsMessage): Promise<void> => {
      st.queries++;
      if (upstreams.length === 0 || inFlight >= RELAY_MAX_IN_FLIGHT) {
        st.servfail++;
        reply(servfailFor(query));
        return;
      }
      inFlight++;
      try {
        const answer = await ask(raw);
        if (answer === undefined) {
          st.servfail++;
          reply(servfailFor(query));
        } else {
          st.answered++;
          reply(answer);
        }
      } finally {
        inFlight--;
      }
    };
    sock.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch {
        st.badFrames++;
        sock.destroy();
        return;
      }
      for (const raw of frames) {
        let query: DnsMessage;
        try {
          if (raw.length < HEADER_BYTES) throw new TsswarmError('Corrupt', 'shorter than a DNS header');
          query = decodeMessage(raw);
          // A response sent to us is not a question; relaying it upstream could start a loop.
          if (query.header.qr) throw new TsswarmError('Corrupt', 'a response, not a query');
        } catch {
          st.badFrames++;
          sock.destroy();
          return;
        }
        void handle(raw, query).catch(() => undefined);
      }
    });
    // A peer that vanishes mid-write is its own problem; never let it crash the daemon.
    sock.on('error', () => undefined);
    sock.on('close', () => {
      conns.delete(sock);
      st.connections--;
    });
  };

  removeStaleSocket(opts.socketPath);
  const server = net.createServer(serve);
  server.on('error', () => undefined);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.socketPath, () => {
      server.off('error', fail);
      ok();
    });
  });

  return {
    socketPath: opts.socketPath,
    stats: () => ({ ...st }),
    close: async () => {
      if (closed) return;
      closed = true;
      const stopped = new Promise<void>((ok) => server.close(() => ok()));
      for (const c of conns) c.destroy();
      await stopped;
      try {
        unlinkSync(opts.socketPath);
      } catch {
        // Node may already have removed it; either way it is gone.
      }
    },
  };
}
