// Raft transport throughput and latency over loopback mTLS, sender and receiver in
// separate processes (as in production). The receiver answers every batch it gets with
// one AppResp carrying its running count; the sender keeps a bounded window in flight,
// as the Raft leader's pipelining does.
// Run: node dist/test/unit/transport/transport.bench.js  (BENCH_ONLY=small: the 300 B case, five times)
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RaftTransport, type TlsMaterial } from '../../../manager/raft/transport/transport.js';
import { generateCA, issueNodeTls } from '../../../shared/pki/index.js';
import { MessageType, type Message } from '../../../manager/raft/core/types.js';

const self = fileURLToPath(import.meta.url);

function msg(from: string, to: string, type: MessageType, index: number, entries: number, data: Uint8Array): Message {
  const ents = [];
  for (let i = 0; i < entries; i++) ents.push({ term: 3, index: index * entries + i + 1, type: 0, data });
  return { type, from, to, term: 3, index, logTerm: 3, entries: ents, commit: index, reject: false, rejectHint: 0 };
}

interface Wire {
  tls: { ca: string; cert: string; key: string };
  singleLane: boolean;
  /** Where the sender listens, for the receiver's replies. */
  peerAddr: string;
}
const toWire = (t: TlsMaterial): Wire['tls'] => ({ ca: t.ca.toString(), cert: t.cert.toString(), key: t.key.toString() });
const fromWire = (w: Wire['tls']): TlsMaterial => ({ ca: Buffer.from(w.ca), cert: Buffer.from(w.cert), key: Buffer.from(w.key) });

async function receiver(): Promise<void> {
  const init = JSON.parse(process.env.RAFT_BENCH_INIT!) as Wire;
  let count = 0;
  const t: RaftTransport = new RaftTransport({
    id: 'b',
    tls: fromWire(init.tls),
    singleLane: init.singleLane,
    onMessages: (msgs) => {
      let hb = false;
      for (const m of msgs) {
        if (m.type === MessageType.Heartbeat) hb = true;
        else count++;
      }
      const out: Message[] = [msg('b', 'a', MessageType.AppResp, count, 0, new Uint8Array(0))];
      if (hb) out.push(msg('b', 'a', MessageType.HeartbeatResp, count, 0, new Uint8Array(0)));
      t.send(out);
    },
    onUnreachable: () => undefined,
  });
  t.addPeer('a', init.peerAddr);
  const port = await t.listen('127.0.0.1:0');
  process.send!({ port });
  process.once('message', () => {
    void t.close().then(() => process.exit(0));
  });
}

async function sender(): Promise<void> {
  const ca = await generateCA('bench');
  const [ta, tb] = await Promise.all([issueNodeTls(ca, 'a'), issueNodeTls(ca, 'b')]);

  let unreachable = 0;
  async function session(singleLane: boolean, fn: (a: RaftTransport, hooks: { acked: () => number; onHbResp: (cb: () => void) => void }) => Promise<void>): Promise<void> {
    let acked = 0;
    let hbWaiter: (() => void) | null = null;
    const a = new RaftTransport({
      id: 'a',
      tls: ta,
      singleLane,
      onMessages: (msgs) => {
        for (const m of msgs) {
          if (m.type === MessageType.AppResp) acked = Math.max(acked, m.index);
          if (m.type === MessageType.HeartbeatResp && hbWaiter) {
            const w = hbWaiter;
            hbWaiter = null;
            w();
          }
        }
      },
      onUnreachable: () => unreachable++,
    });
    const myPort = await a.listen('127.0.0.1:0');
    const init: Wire = { tls: toWire(tb), singleLane, peerAddr: `127.0.0.1:${myPort}` };
    const child = fork(self, ['receiver'], { stdio: 'inherit', env: { ...process.env, RAFT_BENCH_INIT: JSON.stringify(init) } });
    const { port } = await new Promise<{ port: number }>((r) => child.once('message', (m) => r(m as { port: number })));
    a.addPeer('b', `127.0.0.1:${port}`);
    try {
      await fn(a, { acked: () => acked, onHbResp: (cb) => (hbWaiter = cb) });
    } finally {
      await a.close();
      child.send('stop');
      await new Promise((r) => child.once('exit', r));
    }
  }

  const heartbeatRtt = (a: RaftTransport, h: { onHbResp: (cb: () => void) => void }): Promise<number> =>
    new Promise((resolve) => {
      const t = performance.now();
      h.onHbResp(() => resolve(performance.now() - t));
      a.send([msg('a', 'b', MessageType.Heartbeat, 0, 0, new Uint8Array(0))]);
    });

  async function throughput(label: string, entriesPer: number, dataBytes: number, window: number, burst: number, seconds = 2): Promise<void> {
    await session(false, async (a, h) => {
      const data = Buffer.alloc(dataBytes, 7);
      let sent = 0;
      const pump = async (until: number): Promise<void> => {
        while (performance.now() < until) {
          if (sent - h.acked() < window) {
            const batch: Message[] = [];
            for (let i = 0; i < burst; i++) batch.push(msg('a', 'b', MessageType.App, ++sent, entriesPer, data));
            a.send(batch);
          }
          await new Promise((r) => setImmediate(r));
        }
      };
      await heartbeatRtt(a, h); // connect
      await pump(performance.now() + 300); // warm-up
      const base = h.acked();
      const t0 = performance.now();
      await pump(t0 + seconds * 1000);
      const n = h.acked() - base;
      const s = (performance.now() - t0) / 1000;
      if (unreachable > 0) console.log(`  (${unreachable} drops reported: the window outran the queue bound)`);
      unreachable = 0;
      const perEntry = entriesPer > 0 ? `, ${((n * entriesPer) / s / 1000).toFixed(0)} k entries/s` : '';
      console.log(`${label.padEnd(44)} ${(n / s / 1000).toFixed(1)} k messages/s${perEntry}, ${((n * (entriesPer * (dataBytes + 8) + 30)) / s / 1e6).toFixed(0)} MB/s`);
    });
  }

  async function latency(): Promise<void> {
    await session(false, async (a, h) => {
      await heartbeatRtt(a, h);
      const s: number[] = [];
      for (let i = 0; i < 500; i++) s.push(await heartbeatRtt(a, h));
      s.sort((x, y) => x - y);
      console.log(`${'heartbeat round trip, idle'.padEnd(44)} p50 ${(s[250]! * 1000).toFixed(0)} µs, p99 ${(s[495]! * 1000).toFixed(0)} µs`);
    });
  }

  async function behindChunks(singleLane: boolean, count: number): Promise<void> {
    await session(singleLane, async (a, h) => {
      await heartbeatRtt(a, h);
      const chunk = Buffer.alloc(256 * 1024, 1);
      const rtts: number[] = [];
      for (let round = 0; round < 5; round++) {
        const chunks: Message[] = [];
        for (let i = 0; i < count; i++) chunks.push({ ...msg('a', 'b', MessageType.Snap, i, 0, chunk), snapshot: { meta: { index: 10, term: 1, conf: { voters: ['a', 'b'], learners: [] } }, data: chunk } });
        const want = h.acked() + count;
        a.send(chunks);
        rtts.push(await heartbeatRtt(a, h));
        while (h.acked() < want) await new Promise((r) => setTimeout(r, 1));
      }
      rtts.sort((x, y) => x - y);
      console.log(`${`heartbeat RTT behind ${count} x 256 KiB chunks, ${singleLane ? 'one lane ' : 'two lanes'}`.padEnd(44)} median ${rtts[2]!.toFixed(1)} ms (of 5: ${rtts.map((x) => x.toFixed(1)).join(', ')})`);
    });
  }

  if (process.env.BENCH_ONLY === 'small') {
    for (let i = 0; i < 5; i++) await throughput('App, 1 entry x 300 B', 1, 300, 4_000, 256);
    return;
  }
  await latency();
  // Windows stay under the lane's 4096-message queue bound, as the core's in-flight limits do.
  await throughput('heartbeat-size messages (App, no entries)', 0, 0, 4_000, 256);
  await throughput('App, 1 entry x 300 B', 1, 300, 4_000, 256);
  await throughput('App, 64 entries x 300 B', 64, 300, 512, 8);
  await throughput('App, 1 entry x 16 KiB', 1, 16 * 1024, 2_000, 32);
  for (const count of [4, 64]) {
    await behindChunks(true, count);
    await behindChunks(false, count);
  }
}

if (process.argv[2] === 'receiver') await receiver();
else await sender();
