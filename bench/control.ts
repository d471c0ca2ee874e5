// bench:control — how fast the control plane makes a change visible, against etcd in
// the same invocation. tsswarm: a 3-manager lab (one namespace and daemon per host);
// `network create` on one manager, then `network ls` on every manager until it shows.
// etcd (the anchor): a 3-member cluster; a put on one member, then a linearizable get on
// every member until it shows. Then throughput: creates (puts) per second with 16
// concurrent clients spread over the members.
//
//   npm run bench:control [-- --networks 100 --seconds 10 --clients 16]
import http from 'node:http';
import { Lab } from '../test/harness/lab.js';
import { request, sleep } from './loadgen.js';
import { startEtcd } from './targets.js';

interface Args { networks: number; seconds: number; clients: number }

function parseArgs(argv: string[]): Args {
  const a: Args = { networks: 100, seconds: 10, clients: 16 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '') as keyof Args;
    const v = Number(argv[i + 1]);
    if (!(k in a) || !Number.isFinite(v) || v <= 0) throw new Error(`bad argument ${argv[i]} ${argv[i + 1]}`);
    a[k] = v;
  }
  return a;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** One HTTP call over a daemon's unix socket. */
function sock(agent: http.Agent, socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, socketPath, method, path, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

interface System {
  name: string;
  members: number;
  /** Make the change through member `i`; resolves when acknowledged. */
  write(i: number, key: string): Promise<void>;
  /** Whether member `i` shows the change to a (linearizable) read. */
  visible(i: number, key: string): Promise<boolean>;
  stop(): Promise<void>;
}

async function tsswarm(): Promise<System> {
  const lab = await Lab.up({ managers: 3, workers: 0 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const socks = ['m1', 'm2', 'm3'].map((h) => lab.host(h).socket);
  return {
    name: 'tsswarm',
    members: 3,
    async write(i, key) {
      const r = await sock(agent, socks[i]!, 'POST', '/v1.47/networks/create', { Name: key, Driver: 'overlay' });
      if (r.status !== 201) throw new Error(`network create: ${r.status} ${r.text}`);
    },
    async visible(i, key) {
      const r = await sock(agent, socks[i]!, 'GET', `/v1.47/networks?filters=${encodeURIComponent(JSON.stringify({ name: { [key]: true } }))}`);
      if (r.status !== 200) throw new Error(`network ls: ${r.status} ${r.text}`);
      return (JSON.parse(r.text) as { Name: string }[]).some((n) => n.Name === key);
    },
    async stop() {
      agent.destroy();
      await lab.down();
    },
  };
}

async function etcd(): Promise<System> {
  const e = await startEtcd();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const eps = e.target.endpoints;
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  // Let the members elect before measuring.
  for (let i = 0; i < 100; i++) {
    try {
      await e.target.put(agent, eps[0]!, 'warmup', b64('x'), 2000);
      break;
    } catch {
      await sleep(100);
    }
  }
  return {
    name: 'etcd',
    members: eps.length,
    async write(i, key) {
      await e.target.put(agent, eps[i]!, key, b64('network'), 5000);
    },
    async visible(i, key) {
      const r = await request(agent, eps[i]!, 'POST', '/v3/kv/range', { key: b64(key) }, 5000);
      return ((r.json as { count?: string }).count ?? '0') !== '0';
    },
    async stop() {
      agent.destroy();
      await e.stop();
    },
  };
}

/** ms from the write's acknowledgement to the change showing on every member. */
async function visibility(s: System, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const key = `vis-${k}`;
    await s.write(k % s.members, key);
    const t0 = performance.now();
    const seen = new Array<boolean>(s.members).fill(false);
    while (!seen.every(Boolean)) {
      await Promise.all(seen.map(async (v, i) => { if (!v) seen[i] = await s.visible(i, key); }));
      if (performance.now() - t0 > 10_000) throw new Error(`${s.name}: ${key} not visible everywhere after 10 s`);
    }
    out.push(performance.now() - t0);
  }
  return out;
}

async function throughput(s: System, clients: number, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let k = 0; performance.now() < end; k++) {
      await s.write(c % s.members, `tp-${c}-${k}`);
      done++;
    }
  }));
  return done / seconds;
}

async function measure(make: () => Promise<System>, a: Args): Promise<{ median: number; p99: number; rate: number }> {
  const s = await make();
  try {
    const vis = await visibility(s, a.networks);
    const rate = await throughput(s, a.clients, a.seconds);
    return { median: pct(vis, 50), p99: pct(vis, 99), rate };
  } finally {
    await s.stop();
  }
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  console.log(`bench:control — ${a.networks} changes for visibility, then ${a.clients} clients for ${a.seconds} s`);
  const ts = await measure(tsswarm, a);
  const et = await measure(etcd, a);
  const f = (x: number): string => x.toFixed(2);
  console.log('');
  console.log('figure                                   tsswarm      etcd (anchor)   ratio tsswarm/etcd');
  console.log(`visible on every member, median (ms)     ${f(ts.median).padStart(8)}   ${f(et.median).padStart(12)}   ${(ts.median / et.median).toFixed(2)}`);
  console.log(`visible on every member, p99 (ms)        ${f(ts.p99).padStart(8)}   ${f(et.p99).padStart(12)}   ${(ts.p99 / et.p99).toFixed(2)}`);
  console.log(`creates (puts) per second, ${String(a.clients).padStart(2)} clients    ${ts.rate.toFixed(0).padStart(8)}   ${et.rate.toFixed(0).padStart(12)}   ${(ts.rate / et.rate).toFixed(2)}`);
  console.log('');
  console.log(`target: visible everywhere within 200 ms at the median — ${ts.median <= 200 ? 'met' : 'MISSED'} (${f(ts.median)} ms)`);
}

main().catch((e: unknown) => {
  console.error(`bench:control: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
