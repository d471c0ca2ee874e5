// Gossip must scale as log N: rounds to converge and to reach everyone may grow by a
// constant per doubling of the cluster, not in proportion to it. bench/gossip-sim.ts
// prints the same runs for larger N.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GOSSIP_DEFAULTS } from '../../../worker/gossip/config.js';
import { runCores, runSpread } from './scale.js';

const ROUND_MS = GOSSIP_DEFAULTS.gossipIntervalMs;
const rounds = (ms: number): number => ms / ROUND_MS;

// Allowed growth in rounds per doubling of N. Epidemic spread with fan-out 3 needs
// about log_4(N) rounds (each holder reaches 3 more), i.e. 0.5 per doubling, plus a tail
// of ln N / 3; 1.5 per doubling leaves room for randomness while a process that grows
// linearly (say, one join message at a time through a full queue) fails at once.
const PER_DOUBLING = 1.5;

// 512 members booting together is where gossip alone is swamped (each must hear 511 join
// messages; without the early join syncs this takes ~17 rounds against ~1 for 64), so
// this is the size that tells log N from N. One seed at 512 keeps the test to seconds.
test('real cores: rounds to converge from a cold start and to spread a broadcast grow as log N', (t) => {
  const small = 64;
  const large = 512;
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const a = [1, 2, 3].map((s) => runCores(small, s, 0));
  const b = [1].map((s) => runCores(large, s, 0));
  const convA = med(a.map((r) => rounds(r.convergeMs)));
  const convB = med(b.map((r) => rounds(r.convergeMs)));
  const castA = med(a.map((r) => rounds(r.broadcastMs)));
  const castB = med(b.map((r) => rounds(r.broadcastMs)));
  const doublings = Math.log2(large / small);
  t.diagnostic(`converge: N=${small} ${convA.toFixed(1)} rounds, N=${large} ${convB.toFixed(1)}; broadcast: ${castA.toFixed(1)} -> ${castB.toFixed(1)} rounds`);
  assert.ok(convB <= convA + PER_DOUBLING * doublings + 1, `convergence grew from ${convA} to ${convB} rounds for ${doublings} doublings`);
  assert.ok(castB <= castA + PER_DOUBLING * doublings + 1, `broadcast grew from ${castA} to ${castB} rounds for ${doublings} doublings`);
});

test('dissemination over a converged view: rounds grow as log N up to 10,000 members, and nobody is missed', (t) => {
  const ns = [100, 1000, 10_000];
  const res = ns.map((n) => {
    const runs = [1, 2, 3].map((s) => runSpread(n, s, 0, false));
    for (const r of runs) assert.equal(r.missed, 0, `N=${n}: ${r.missed} members never got the news`);
    const ms = runs.map((r) => r.ms).sort((x, y) => x - y)[1]!;
    return { n, rounds: rounds(ms), eager: rounds(runSpread(n, 7, 0, true).ms) };
  });
  t.diagnostic(res.map((r) => `N=${r.n}: ${r.rounds.toFixed(1)} rounds (${r.eager.toFixed(1)} with eager gossip)`).join('; '));
  for (let i = 1; i < res.length; i++) {
    const d = Math.log2(res[i]!.n / res[i - 1]!.n);
    assert.ok(res[i]!.rounds <= res[i - 1]!.rounds + PER_DOUBLING * d, `N=${res[i - 1]!.n} -> ${res[i]!.n}: ${res[i - 1]!.rounds} -> ${res[i]!.rounds} rounds`);
    assert.ok(res[i]!.eager <= res[i]!.rounds, 'eager gossip made spreading slower');
  }
  // A tenfold cluster must not need anywhere near tenfold rounds.
  assert.ok(res[2]!.rounds < 3 * res[0]!.rounds, 'rounds grew almost linearly');
});

test('dissemination with 10% loss still reaches everyone in O(log N) rounds', () => {
  const r100 = runSpread(100, 11, 0.1, false);
  const r10k = runSpread(10_000, 11, 0.1, false);
  assert.equal(r100.missed + r10k.missed, 0);
  assert.ok(rounds(r10k.ms) <= rounds(r100.ms) + PER_DOUBLING * Math.log2(100), `${rounds(r100.ms)} -> ${rounds(r10k.ms)} rounds`);
});
