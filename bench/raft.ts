// npm run bench:raft [-- --rounds N --seq-ops N --conc-ops N --clients N]
//
// Three tsswarm managers (real processes, mutual TLS, synced LevelDB) against the
// 3-member etcd anchor, both started in this invocation and driven by the same
// load generator. Rounds alternate etcd / tsswarm so that machine noise hits both;
// the figures printed are medians over rounds, with the ratio tsswarm / etcd.

import http from 'node:http';
import { parseArgs } from 'node:util';
import { failover, findLeader, runPuts, sleep, type PutStats, type Target } from './loadgen.js';
import { startEtcd, startTsswarm, type Running } from './targets.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '1' },
    'seq-ops': { type: 'string', default: '2000' },
    'conc-ops': { type: 'string', default: '20000' },
    clients: { type: 'string', default: '64' },
    val: { type: 'string', default: '256' },
    only: { type: 'string' },
  },
});
const ROUNDS = Number(values.rounds);
const SEQ = Number(values['seq-ops']);
const CONC = Number(values['conc-ops']);
const CLIENTS = Number(values.clients);
const VALUE = Buffer.from('v'.repeat(Number(values.val))).toString('base64');
const MAX_S = 60;

type Figures = Record<string, number>;

async function measure(start: () => Promise<Running>): Promise<Figures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512, keepAliveMsecs: 1000 });
  const run = await start();
  const t: Target = run.target;
  try {
    const leader = await findLeader(t, agent);
    const lep = t.endpoints[leader.idx]!;
    console.error(`[bench] ${t.name}: leader ${lep}`);
    await runPuts(t, agent, 'warmup', 500, 1, () => lep, VALUE, MAX_S);
    const seq: PutStats = await runPuts(t, agent, 'seq', SEQ, 1, () => lep, VALUE, MAX_S);
    const conc: PutStats = await runPuts(t, agent, 'conc', CONC, CLIENTS, () => lep, VALUE, MAX_S);
    await sleep(500);
    const fo = await failover(t, agent, VALUE);
    const f: Figures = {
      seq_ops_s: seq.ops,
      seq_p50_ms: seq.p50,
      seq_p99_ms: seq.p99,
      seq_errors: seq.errors,
      [`conc${CLIENTS}_ops_s`]: conc.ops,
      [`conc${CLIENTS}_p50_ms`]: conc.p50,
      [`conc${CLIENTS}_p99_ms`]: conc.p99,
      [`conc${CLIENTS}_errors`]: conc.errors,
      [`conc${CLIENTS}_cluster_cpu_pct`]: conc.clusterCpuPct,
      failover_ms: fo,
    };
    for (const [k, v] of Object.entries(f)) console.error(`[bench] ${t.name} ${k} ${v.toFixed(2)}`);
    return f;
  } finally {
    agent.destroy();
    await run.stop();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const ours: Figures[] = [];
  const anchor: Figures[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    console.error(`[bench] round ${r + 1}/${ROUNDS}`);
    if (values.only !== 'tsswarm') anchor.push(await measure(startEtcd));
    if (values.only !== 'etcd') ours.push(await measure(startTsswarm));
  }
  const keys = Object.keys(ours[0] ?? anchor[0] ?? {});
  // Higher is better for throughput; for latencies and failover, the ratio is
  // etcd / tsswarm so that >= 1.0 always means "at least as good as etcd".
  console.log(`metric tsswarm etcd ratio(>=1 is tsswarm as good or better)  [median of ${ROUNDS} round(s)]`);
  for (const k of keys) {
    const a = median(ours.map((f) => f[k]!));
    const b = median(anchor.map((f) => f[k]!));
    const higherBetter = k.endsWith('_ops_s');
    const ratio = k.endsWith('_errors') || k.endsWith('_pct') ? NaN : higherBetter ? a / b : b / a;
    console.log(`${k} ${a.toFixed(2)} ${b.toFixed(2)} ${Number.isNaN(ratio) ? '-' : ratio.toFixed(2)}`);
  }
}

main().catch((e: unknown) => {
  console.error(`[bench] FATAL ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
