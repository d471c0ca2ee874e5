// bench:gossip-sim — how gossip scales with cluster size, in the deterministic simulator:
// seeded, in-process, virtual clock, UDP delay 0.5–2 ms, optional loss. Two parts:
//
//   cores   the real GossipCore, one per member (test/unit/gossip/sim.ts): N members start
//           together and join through one seed; we count gossip rounds (200 ms intervals)
//           until every member lists all N live, then rounds until one user broadcast has
//           reached every member. Each core keeps a full member table, so memory and time
//           grow as N²: practical up to a few thousand members.
//   spread  the same dissemination rules without the rest of the core, for N up to 10,000
//           and beyond: every member already knows every other (a converged view, which is
//           what SWIM's uniform target choice assumes), one piece of news (a join, a
//           suspicion, a death or a user broadcast: the core queues all of them the same
//           way) starts at one member, and each member that has it sends it to gossipNodes
//           uniformly chosen others per round until it has sent it retransmitMult ·
//           ceil(log10(N+1)) times, as core/broadcast.ts does. With "eager" the member also
//           passes fresh news on at once (gossipEagerGapMs), as the core does. Members keep
//           independent random round phases. 10,000 full member tables would be 10⁸
//           entries, which is why this part does not run 10,000 real cores; at N where both
//           run, the two parts are printed side by side.
//
// Rounds are printed beside log2(N) and ln(N): epidemic spread takes O(log N) rounds.
//
//   node dist/bench/gossip-sim.js [--cores 100,316,1000] [--spread 100,1000,10000,100000]
//                                 [--loss 0] [--seed 1] [--runs 5]

import { parseArgs } from 'node:util';
import { GOSSIP_DEFAULTS } from '../worker/gossip/config.js';
import { runCores, runSpread } from '../test/unit/gossip/scale.js';
import type { SpreadRun } from '../test/unit/gossip/scale.js';

const ROUND_MS = GOSSIP_DEFAULTS.gossipIntervalMs;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function rounds(ms: number): string {
  return (ms / ROUND_MS).toFixed(1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cores: { type: 'string', default: '100,316,1000' },
      spread: { type: 'string', default: '100,1000,10000,100000' },
      loss: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      runs: { type: 'string', default: '5' },
    },
  });
  const loss = Number(values.loss);
  const seed = Number(values.seed);
  const runs = Number(values.runs);
  const coreNs = values.cores === '' ? [] : values.cores.split(',').map(Number);
  const spreadNs = values.spread === '' ? [] : values.spread.split(',').map(Number);
  console.log(`# gossip simulation: seed ${seed}, UDP loss ${loss}, a round = gossipIntervalMs = ${ROUND_MS} ms, fan-out ${GOSSIP_DEFAULTS.gossipNodes}, retransmitMult ${GOSSIP_DEFAULTS.retransmitMult}`);
  console.log('# part cores: real GossipCores from a cold start through one seed (no eager gossip / with the default eager gossip)');
  console.log('n log2N lnN converge_rounds(no-eager) broadcast_rounds(no-eager) converge_rounds(eager) broadcast_rounds(eager) wall_s');
  for (const n of coreNs) {
    const w0 = performance.now();
    const plain = runCores(n, seed + n, loss, { gossipEagerGapMs: 0 });
    const eager = runCores(n, seed + n, loss);
    console.log(`${n} ${Math.log2(n).toFixed(1)} ${Math.log(n).toFixed(1)} ${rounds(plain.convergeMs)} ${rounds(plain.broadcastMs)} ${rounds(eager.convergeMs)} ${rounds(eager.broadcastMs)} ${((performance.now() - w0) / 1000).toFixed(1)}`);
  }
  console.log(`# part spread: one piece of news over a converged view, median of ${runs} seeds; rounds until all have it`);
  console.log('n log2N lnN rounds(no-eager) rounds(eager) missed packets_per_member wall_s');
  for (const n of spreadNs) {
    const w0 = performance.now();
    const plain: SpreadRun[] = [];
    const eager: SpreadRun[] = [];
    for (let r = 0; r < runs; r++) {
      plain.push(runSpread(n, seed * 1000 + r, loss, false));
      eager.push(runSpread(n, seed * 1000 + r, loss, true));
    }
    const missed = plain.reduce((s, x) => s + x.missed, 0) + eager.reduce((s, x) => s + x.missed, 0);
    const ppm = median(plain.map((x) => x.packets)) / n;
    console.log(`${n} ${Math.log2(n).toFixed(1)} ${Math.log(n).toFixed(1)} ${rounds(median(plain.map((x) => x.ms)))} ${rounds(median(eager.map((x) => x.ms)))} ${missed} ${ppm.toFixed(1)} ${((performance.now() - w0) / 1000).toFixed(1)}`);
  }
}

main().catch((e: unknown) => {
  console.error(`[gossip-sim] FATAL ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
