// One load generator for both systems under test, so the ratio compares the
// servers and not two clients. It follows ../shared/anchors/etcd_bench.mjs:
// HTTP/JSON over keep-alive, 256-byte values, every loop bounded in count and time.

import http from 'node:http';
import { readFileSync } from 'node:fs';

export interface Target {
  name: string;
  endpoints: string[]; // http://127.0.0.1:PORT
  pids: number[];
  /** One write of `value` under a unique key. */
  put(agent: http.Agent, ep: string, key: string, valueB64: string, timeoutMs: number): Promise<void>;
  /** Index into endpoints of the current leader, and an id that changes with leadership. */
  leader(agent: http.Agent, timeoutMs: number): Promise<{ idx: number; id: string } | null>;
}

export interface PutStats {
  done: number;
  errors: number;
  wall: number;
  ops: number;
  p50: number;
  p99: number;
  max: number;
  clusterCpuPct: number;
}

export function request(
  agent: http.Agent,
  ep: string,
  method: string,
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<{ status: number; json: unknown }> {
  const u = new URL(ep);
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method,
        agent,
        headers: data
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const txt = Buffer.concat(chunks).toString();
          let json: unknown;
          try {
            json = txt ? JSON.parse(txt) : null;
          } catch {
            json = txt;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data);
  });
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function cpuTicks(pid: number): number {
  try {
    // utime + stime in USER_HZ (100/s) ticks
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runPuts(
  t: Target,
  agent: http.Agent,
  name: string,
  total: number,
  conc: number,
  epFor: (w: number) => string,
  valueB64: string,
  maxS: number,
): Promise<PutStats> {
  const lat: number[] = [];
  let next = 0;
  let errors = 0;
  const deadline = performance.now() + maxS * 1000;
  const c0 = t.pids.reduce((a, p) => a + cpuTicks(p), 0);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async (_, w) => {
      const ep = epFor(w);
      while (performance.now() < deadline) {
        const i = next++;
        if (i >= total) break;
        const s = performance.now();
        try {
          await t.put(agent, ep, `bench-${name}-${i}`, valueB64, 5000);
          lat.push(performance.now() - s);
        } catch (e) {
          errors++;
          if (errors <= 3) console.error(`[${t.name}] ${name} put error: ${(e as Error).message}`);
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = (t.pids.reduce((a, p) => a + cpuTicks(p), 0) - c0) / 100;
  lat.sort((a, b) => a - b);
  return {
    done: lat.length,
    errors,
    wall,
    ops: lat.length / wall,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    max: lat[lat.length - 1] ?? NaN,
    clusterCpuPct: (cpu / wall) * 100,
  };
}

export async function findLeader(t: Target, agent: http.Agent): Promise<{ idx: number; id: string }> {
  for (let i = 0; i < 100; i++) {
    const l = await t.leader(agent, 1000).catch(() => null);
    if (l) return l;
    await sleep(100);
  }
  throw new Error(`${t.name}: no leader found`);
}

/** SIGKILL the leader; time until the first write through a survivor is acknowledged. */
export async function failover(t: Target, agent: http.Agent, valueB64: string): Promise<number> {
  const leader = await findLeader(t, agent);
  const survivors = t.endpoints.filter((_, i) => i !== leader.idx);
  for (const ep of survivors) await t.put(agent, ep, `bench-failover-warm-${ep.replace(/\W/g, '')}`, valueB64, 5000);
  const t0 = performance.now();
  process.kill(t.pids[leader.idx]!, 'SIGKILL');
  let tPut = NaN;
  let attempts = 0;
  let inflight = 0;
  const budget = 30_000;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (!Number.isNaN(tPut) || performance.now() - t0 > budget) {
        clearInterval(timer);
        resolve();
        return;
      }
      if (inflight >= 100) return;
      inflight++;
      attempts++;
      const ep = survivors[attempts % survivors.length]!;
      t.put(agent, ep, `bench-failover-${attempts}`, valueB64, 2000)
        .then(() => {
          if (Number.isNaN(tPut)) tPut = performance.now() - t0;
        })
        .catch(() => {})
        .finally(() => inflight--);
    }, 20);
  });
  return tPut;
}
