// Scaling runs of the gossip core for bench/gossip-sim.ts and scale.test.ts: the real
// cores in the simulator from a cold start (practical to a few thousand members, since
// each keeps a full table), and the core's dissemination rules alone over a converged
// view (for 10,000 members and more). See bench/gossip-sim.ts for what each measures.

import { GOSSIP_DEFAULTS } from '../../../worker/gossip/config.js';
import type { GossipConfig } from '../../../worker/gossip/config.js';
import { retransmitLimit } from '../../../worker/gossip/core/broadcast.js';
import { Sim, mulberry32, names } from './sim.js';

export interface CoreRun {
  n: number;
  /** Simulated ms from the first start until every member lists all N live. */
  convergeMs: number;
  /** Simulated ms from one user broadcast until every other member has it. */
  broadcastMs: number;
  udpPackets: number;
}

/**
 * N real cores start at once and join through n0. Convergence is tracked from the
 * members' own events (joined/updated/failed/left), not by polling every table.
 */
export function runCores(n: number, seed: number, loss: number, config: Partial<GossipConfig> = {}, maxMs = 120_000): CoreRun {
  const sim = new Sim({ seed, loss, config });
  const all = names(n);
  for (const name of all) sim.add(name);
  const live = new Map<string, Set<string>>(all.map((x) => [x, new Set([x])]));
  const seen = new Map<string, number>(all.map((x) => [x, 0]));
  let converged = 0;
  const track = (): boolean => {
    for (const x of all) {
      const evs = sim.node(x).events;
      let i = seen.get(x)!;
      if (i === evs.length) continue;
      const set = live.get(x)!;
      const before = set.size === n;
      for (; i < evs.length; i++) {
        const m = evs[i]!.ev.member;
        if (m.state === 'alive' || m.state === 'suspect') set.add(m.name);
        else set.delete(m.name);
      }
      seen.set(x, i);
      const after = set.size === n;
      if (after !== before) converged += after ? 1 : -1;
    }
    return converged === n;
  };
  const t0 = sim.now;
  for (const name of all.slice(1)) sim.act(name, (c) => c.join(['n0']));
  if (!sim.runUntil(track, maxMs)) throw new Error(`sim: ${n} cores did not converge within ${maxMs} ms`);
  const convergeMs = sim.now - t0;
  sim.runFor(2_000);
  const rand = mulberry32(seed ^ 0x5eed);
  const origin = all[1 + Math.floor(rand() * (n - 1))]!;
  const others = all.filter((x) => x !== origin);
  const before = new Map(others.map((x) => [x, sim.node(x).user.length]));
  const t1 = sim.now;
  sim.act(origin, (c) => c.broadcastUser(new TextEncoder().encode('sim')));
  if (!sim.runUntil(() => others.every((x) => sim.node(x).user.length > before.get(x)!), 60_000)) {
    throw new Error(`sim: a broadcast among ${n} cores did not reach everyone within 60 s`);
  }
  return { n, convergeMs, broadcastMs: sim.now - t1, udpPackets: sim.udpSent };
}

export interface SpreadRun {
  n: number;
  /** Simulated ms until every member has the news. */
  ms: number;
  /** Members that never got it (only possible with loss or a small retransmit limit). */
  missed: number;
  packets: number;
}

/**
 * One piece of news spreading among n members with a converged view, by the core's
 * rules. Event-driven: each member has its own round phase; a member that gets fresh
 * news with eager on gossips at once (at most one eager round per gap).
 */
export function runSpread(n: number, seed: number, loss: number, eager: boolean, cfg: Readonly<GossipConfig> = GOSSIP_DEFAULTS): SpreadRun {
  const rand = mulberry32(seed);
  const limit = retransmitLimit(cfg.retransmitMult, n);
  const interval = cfg.gossipIntervalMs;
  const gap = cfg.gossipEagerGapMs;
  const has = new Uint8Array(n);
  const sent = new Uint16Array(n);
  const lastRound = new Float64Array(n).fill(-Infinity);
  const phase = Float64Array.from({ length: n }, () => rand() * interval);
  // A binary heap of (time, member) for rounds and deliveries, in flat arrays.
  const heapT: number[] = [];
  const heapM: number[] = [];
  const heapKind: number[] = []; // 0 = round, 1 = delivery
  const push = (t: number, m: number, kind: number): void => {
    let i = heapT.length;
    heapT.push(t); heapM.push(m); heapKind.push(kind);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heapT[p]! <= t) break;
      heapT[i] = heapT[p]!; heapM[i] = heapM[p]!; heapKind[i] = heapKind[p]!;
      i = p;
    }
    heapT[i] = t; heapM[i] = m; heapKind[i] = kind;
  };
  const pop = (): [number, number, number] => {
    const top: [number, number, number] = [heapT[0]!, heapM[0]!, heapKind[0]!];
    const t = heapT.pop()!; const m = heapM.pop()!; const k = heapKind.pop()!;
    const len = heapT.length;
    if (len > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= len) break;
        const c = l + 1 < len && heapT[l + 1]! < heapT[l]! ? l + 1 : l;
        if (heapT[c]! >= t) break;
        heapT[i] = heapT[c]!; heapM[i] = heapM[c]!; heapKind[i] = heapKind[c]!;
        i = c;
      }
      heapT[i] = t; heapM[i] = m; heapKind[i] = k;
    }
    return top;
  };
  let count = 0;
  let packets = 0;
  let last = 0;
  // Each member's regular rounds fall at phase + k·interval; nextAt is the one round
  // (regular or eager) currently scheduled, so stale heap entries are skipped.
  const nextAt = new Float64Array(n).fill(Infinity);
  const regular = (m: number, t: number): number => phase[m]! + (Math.floor((t - phase[m]!) / interval) + 1) * interval;
  const schedule = (m: number, t: number): void => {
    if (t < nextAt[m]!) {
      nextAt[m] = t;
      push(t, m, 0);
    }
  };
  const round = (m: number, t: number): void => {
    lastRound[m] = t;
    nextAt[m] = Infinity;
    for (let k = 0; k < cfg.gossipNodes && sent[m]! < limit; k++) {
      let to = Math.floor(rand() * (n - 1));
      if (to >= m) to++;
      sent[m]!++;
      packets++;
      if (rand() >= loss) push(t + 0.5 + rand() * 1.5, to, 1);
    }
    if (sent[m]! < limit) schedule(m, regular(m, t));
  };
  const receive = (m: number, t: number): void => {
    if (has[m] === 1) return;
    has[m] = 1;
    count++;
    last = t;
    schedule(m, eager && gap > 0 ? Math.max(t, lastRound[m]! + gap) : regular(m, t));
  };
  receive(Math.floor(rand() * n), 0);
  while (heapT.length > 0 && count < n) {
    const [t, m, kind] = pop();
    if (kind === 1) receive(m, t);
    else if (t === nextAt[m]) round(m, t);
  }
  return { n, ms: count === n ? last : NaN, missed: n - count, packets };
}

