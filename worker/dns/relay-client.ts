// The container side of DNS forwarding: container-dns hands every query it cannot answer
// to the daemon's relay (relay.ts) over one persistent unix socket, which works across
// network namespaces. Many queries share the connection; answers are matched by DNS id.
// Two clients of ours may pick the same id at once, so a clashing id is swapped for a free
// one on the way out and put back on the way in.
import net from 'node:net';
import { TsswarmError } from '../../shared/errors.js';
import { peekId } from './codec.js';
import { RELAY_QUERY_TIMEOUT_MS } from './defaults.js';
import { FrameReader, frame } from './relay.js';
import type { Forwarder } from './server.js';

const HEADER_BYTES = 12;
const ID_SPACE = 0x10000;

export interface RelayForwarderStats {
  /** Connections made (the first one included). */
  connects: number;
  sent: number;
  answered: number;
  timeouts: number;
  /** Queries whose id clashed with one in flight and went out under another. */
  rewrittenIds: number;
}

/** A Forwarder, plus what a process that wants to exit cleanly needs. */
export type RelayForwarder = Forwarder & {
  stats(): RelayForwarderStats;
  /** Drops the connection; queries in flight fail with Unavailable. Later queries reconnect. */
  close(): void;
};

interface Pending {
  originalId: number;
  ok: (msg: Buffer) => void;
  fail: (e: Error) => void;
  timer: NodeJS.Timeout;
}

function withId(msg: Buffer, id: number): Buffer {
  const out = Buffer.from(msg);
  out.writeUInt16BE(id, 0);
  return out;
}

export function relayForwarder(socketPath: string, timeoutMs = RELAY_QUERY_TIMEOUT_MS): RelayForwarder {
  const pending = new Map<number, Pending>();
  const st: RelayForwarderStats = { connects: 0, sent: 0, answered: 0, timeouts: 0, rewrittenIds: 0 };
  let conn: net.Socket | undefined;

  const failAll = (why: string): void => {
    for (const [id, p] of pending) {
      pending.delete(id);
      clearTimeout(p.timer);
      p.fail(new TsswarmError('Unavailable', why));
    }
  };

  const drop = (sock: net.Socket, why: string): void => {
    if (conn !== sock) return;
    conn = undefined;
    sock.destroy();
    failAll(why);
  };

  const connection = (): net.Socket => {
    if (conn !== undefined && !conn.destroyed) return conn;
    st.connects++;
    const reader = new FrameReader();
    const sock = net.createConnection({ path: socketPath });
    // The connection alone must not keep container-dns (or a test) alive; its UDP server does.
    sock.unref();
    sock.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch {
        return drop(sock, `the DNS relay at ${socketPath} sent a malformed frame`);
      }
      for (const msg of frames) {
        const id = peekId(msg);
        const p = id === undefined ? undefined : pending.get(id);
        // An answer after its query timed out: nobody is waiting, so it is dropped.
        if (p === undefined || id === undefined) continue;
        pending.delete(id);
        clearTimeout(p.timer);
        st.answered++;
        p.ok(id === p.originalId ? msg : withId(msg, p.originalId));
      }
    });
    sock.on('error', (e) => drop(sock, `the DNS relay at ${socketPath} is unreachable (${e.message}); is the daemon running?`));
    sock.on('close', () => drop(sock, `the DNS relay at ${socketPath} closed the connection`));
    conn = sock;
    return sock;
  };

  const freeId = (wanted: number): number | undefined => {
    if (!pending.has(wanted)) return wanted;
    if (pending.size >= ID_SPACE) return undefined;
    // Random, so a clash does not make ids predictable; the space is nearly empty in practice.
    for (;;) {
      const id = Math.floor(Math.random() * ID_SPACE);
      if (!pending.has(id)) return id;
    }
  };

  const forward = (query: Buffer): Promise<Buffer> => new Promise((ok, fail) => {
    if (query.length < HEADER_BYTES || query.length > 0xffff) {
      fail(new TsswarmError('Invalid', `a DNS query of ${query.length} bytes cannot be relayed`));
      return;
    }
    const originalId = peekId(query) as number;
    const id = freeId(originalId);
    if (id === undefined) {
      fail(new TsswarmError('Unavailable', 'all 65536 DNS ids are in flight to the relay; try again'));
      return;
    }
    if (id !== originalId) st.rewrittenIds++;
    const timer = setTimeout(() => {
      pending.delete(id);
      st.timeouts++;
      fail(new TsswarmError('Timeout', `the DNS relay at ${socketPath} did not answer in ${timeoutMs} ms`));
    }, timeoutMs);
    pending.set(id, { originalId, ok, fail, timer });
    st.sent++;
    connection().write(frame(id === originalId ? query : withId(query, id)));
  });

  return Object.assign(forward, {
    stats: (): RelayForwarderStats => ({ ...st }),
    close: (): void => {
      if (conn !== undefined) drop(conn, 'the DNS relay forwarder was closed');
    },
  });
}
