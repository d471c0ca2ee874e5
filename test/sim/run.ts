// CLI for the deterministic simulator.
//
//   node dist/test/sim/run.js --seeds N [--start S] [--nodes 3|5|mixed] [--steps T] [--jobs J]
//   node dist/test/sim/run.js --seed S [--nodes 3|5] [--steps T] [--verbose] [--trace]
//   --bug commitPriorTermByCount   plant the classic Raft bug in every core (to see it caught)
//   --scenario figure8             start every seed with the scripted Figure 8 prelude (needs --nodes 5)
//   --bootstrap log|snapshot|conf  how the founders are written (default log; conf is the unsafe way)
//
// Seeds are independent, so many seeds run on worker threads (one per core by
// default); each seed's result depends only on the seed and the flags, never on
// which worker ran it. The last line is always `sim: N passed, M failed`.

import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { runSeed, type SimConfig, type SimResult } from './cluster.js';
import { DEFAULT_STEPS, nodesForSeed, type NodesOption } from './defaults.js';

interface Options {
  seeds: number;
  start: number;
  seed: number | undefined;
  nodes: NodesOption;
  steps: number;
  jobs: number;
  verbose: 'events' | 'messages' | undefined;
  bug: boolean;
  scenario: 'random' | 'figure8' | undefined;
  bootstrap: 'log' | 'snapshot' | 'conf' | undefined;
}

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: run.js --seeds N [--start S] [--nodes 3|5|mixed] [--steps T] [--jobs J] [--bug commitPriorTermByCount]\n` +
      `       run.js --seed S [--nodes 3|5] [--steps T] [--verbose] [--trace]\n` +
      `       common: [--bug commitPriorTermByCount] [--scenario random|figure8] [--bootstrap log|snapshot|conf]\n`,
  );
  process.exit(2);
}

function parse(argv: string[]): Options {
  const o: Options = {
    seeds: 600,
    start: 1,
    seed: undefined,
    nodes: 'mixed',
    steps: DEFAULT_STEPS,
    jobs: Math.max(1, Math.min(availableParallelism(), 8)),
    verbose: undefined,
    bug: false,
    scenario: undefined,
    bootstrap: undefined,
  };
  const num = (i: number): number => {
    const v = Number(argv[i]);
    if (!Number.isSafeInteger(v) || v < 0) usage(`${argv[i - 1]} needs a non-negative integer`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--seeds':
        o.seeds = num(++i);
        break;
      case '--start':
        o.start = num(++i);
        break;
      case '--seed':
        o.seed = num(++i);
        break;
      case '--steps':
        o.steps = num(++i);
        break;
      case '--jobs':
        o.jobs = Math.max(1, num(++i));
        break;
      case '--nodes': {
        const v = argv[++i];
        if (v === '3' || v === '5') o.nodes = Number(v) as 3 | 5;
        else if (v === 'mixed') o.nodes = 'mixed';
        else usage('--nodes takes 3, 5 or mixed');
        break;
      }
      case '--verbose':
        o.verbose = o.verbose ?? 'events';
        break;
      case '--trace':
        o.verbose = 'messages';
        break;
      case '--bug': {
        const v = argv[++i];
        if (v !== 'commitPriorTermByCount') usage('--bug takes commitPriorTermByCount');
        o.bug = true;
        break;
      }
      case '--scenario': {
        const v = argv[++i];
        if (v !== 'random' && v !== 'figure8') usage('--scenario takes random or figure8');
        o.scenario = v;
        break;
      }
      case '--bootstrap': {
        const v = argv[++i];
        if (v !== 'log' && v !== 'snapshot' && v !== 'conf') usage('--bootstrap takes log, snapshot or conf');
        o.bootstrap = v;
        break;
      }
      default:
        usage(`unknown argument ${a}`);
    }
  }
  if (o.scenario === 'figure8' && o.nodes !== 5) usage('--scenario figure8 needs --nodes 5');
  return o;
}

function configFor(o: Options, seed: number, log?: (l: string) => void): SimConfig {
  const cfg: SimConfig = { seed, nodes: nodesForSeed(seed, o.nodes), steps: o.steps };
  if (o.bug) cfg.knobs = { commitPriorTermByCount: true };
  if (o.verbose) cfg.verbose = o.verbose;
  if (o.scenario) cfg.scenario = o.scenario;
  if (o.bootstrap) cfg.bootstrap = o.bootstrap;
  if (log) cfg.log = log;
  return cfg;
}

function replayCommand(o: Options, r: SimResult): string {
  let cmd = `npm run sim -- --seed ${r.seed} --nodes ${r.nodes}`;
  if (o.steps !== DEFAULT_STEPS) cmd += ` --steps ${o.steps}`;
  if (o.bug) cmd += ' --bug commitPriorTermByCount';
  if (o.scenario) cmd += ` --scenario ${o.scenario}`;
  if (o.bootstrap) cmd += ` --bootstrap ${o.bootstrap}`;
  return cmd;
}

function reportFailure(o: Options, r: SimResult): void {
  const f = r.failure!;
  process.stdout.write(
    `FAIL seed ${r.seed} (${r.nodes} nodes): ${f.kind} at ${f.atMs} virtual ms, event ${f.event}\n` +
      `  ${f.message.split('\n').join('\n  ')}\n` +
      `  replay: ${replayCommand(o, r)}\n` +
      `  (add --verbose for a log of the run, --trace for every message)\n`,
  );
}

/** Fraction of seeds in which each feature happened at least once, and totals. */
function summary(results: SimResult[], wallMs: number, jobs: number): string {
  const n = results.length;
  if (n === 0) return '';
  const frac = (f: (r: SimResult) => boolean): string => `${Math.round((100 * results.filter(f).length) / n)}%`;
  const sum = (f: (r: SimResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const perSeedMs = sum((r) => r.wallMs) / n;
  const slowest = results.reduce((a, r) => (r.wallMs > a.wallMs ? r : a));
  const maxChecker = Math.max(...results.map((r) => r.stats.checkerSteps));
  return (
    `seeds: ${n} in ${(wallMs / 1000).toFixed(1)} s wall on ${jobs} worker(s); ${perSeedMs.toFixed(0)} ms per seed on one core ` +
    `(slowest: seed ${slowest.seed}, ${slowest.wallMs.toFixed(0)} ms); linearizability search at most ${maxChecker} steps\n` +
    `per seed (avg): ${Math.round(sum((r) => r.stats.events) / n)} events, ${Math.round(sum((r) => r.stats.virtualMs) / n)} virtual ms, ` +
    `${Math.round(sum((r) => r.stats.opsIssued) / n)} client ops (${Math.round(sum((r) => r.stats.opsOk) / n)} ok, ` +
    `${Math.round(sum((r) => r.stats.opsIndeterminate) / n)} indeterminate, ${Math.round(sum((r) => r.stats.opsFailed) / n)} refused), ` +
    `${(sum((r) => r.stats.leaderTerms) / n).toFixed(1)} leader terms, ${Math.round(sum((r) => r.stats.maxCommitted) / n)} entries committed\n` +
    `seeds with: snapshot installed ${frac((r) => r.stats.snapshotsInstalled > 0)}, snapshot taken ${frac((r) => r.stats.snapshotsCreated > 0)}, ` +
    `membership change ${frac((r) => r.stats.confChangesApplied > 0)}, member removed ${frac((r) => r.stats.membersRemoved > 0)}, ` +
    `transfer done ${frac((r) => r.stats.transfersDone > 0)}, crash ${frac((r) => r.stats.crashes > 0)}, ` +
    `lost unsynced writes ${frac((r) => r.stats.lostWrites > 0)}, partition ${frac((r) => r.stats.partitions > 0)}, ` +
    `indeterminate op ${frac((r) => r.stats.opsIndeterminate > 0)}, duplicate commit of an op ${frac((r) => r.stats.duplicateCommits > 0)}\n` +
    `totals: ${sum((r) => r.stats.crashes)} crashes, ${sum((r) => r.stats.partitions)} partitions, ${sum((r) => r.stats.snapshotsInstalled)} snapshots installed, ` +
    `${sum((r) => r.stats.confChangesApplied)} membership changes, ${sum((r) => r.stats.transfersDone)}/${sum((r) => r.stats.transfersRequested)} transfers, ` +
    `${sum((r) => r.stats.opsOk)} ops acknowledged\n`
  );
}

async function runMany(o: Options): Promise<number> {
  const seeds: number[] = [];
  for (let s = o.start; s < o.start + o.seeds; s++) seeds.push(s);
  const results: SimResult[] = [];
  const started = performance.now();
  const jobs = Math.min(o.jobs, Math.max(1, seeds.length));
  let next = 0;
  let lastProgress = started;
  const onResult = (r: SimResult): void => {
    results.push(r);
    if (!r.ok) reportFailure(o, r);
    const now = performance.now();
    if (now - lastProgress > 15_000) {
      lastProgress = now;
      process.stderr.write(`sim: ${results.length}/${seeds.length} seeds done\n`);
    }
  };
  if (jobs === 1) {
    for (const s of seeds) onResult(runSeed(configFor(o, s)));
  } else {
    const self = fileURLToPath(import.meta.url);
    await Promise.all(
      Array.from({ length: jobs }, () => {
        return new Promise<void>((resolve, reject) => {
          const w = new Worker(self, { workerData: { options: o } });
          const feed = (): void => {
            if (next < seeds.length) w.postMessage(seeds[next++]);
            else void w.terminate().then(() => resolve());
          };
          w.on('message', (r: SimResult) => {
            onResult(r);
            feed();
          });
          w.on('error', reject);
          feed();
        });
      }),
    );
  }
  results.sort((a, b) => a.seed - b.seed);
  const failed = results.filter((r) => !r.ok);
  process.stdout.write(summary(results, performance.now() - started, jobs));
  if (failed.length > 0) process.stdout.write(`failed seeds: ${failed.map((r) => r.seed).join(' ')}\n`);
  process.stdout.write(`sim: ${results.length - failed.length} passed, ${failed.length} failed\n`);
  return failed.length > 0 ? 1 : 0;
}

function runOne(o: Options, seed: number): number {
  const r = runSeed(configFor(o, seed, (l) => process.stdout.write(`${l}\n`)));
  if (!r.ok) reportFailure(o, r);
  const s = r.stats;
  process.stdout.write(
    `seed ${seed} (${r.nodes} nodes): ${s.events} events, ${s.virtualMs} virtual ms, ${r.wallMs.toFixed(0)} ms wall, trace ${r.traceHash}\n` +
      `  ${JSON.stringify(s)}\n`,
  );
  process.stdout.write(`sim: ${r.ok ? 1 : 0} passed, ${r.ok ? 0 : 1} failed\n`);
  return r.ok ? 0 : 1;
}

if (isMainThread) {
  const o = parse(process.argv.slice(2));
  const code = o.seed !== undefined ? runOne(o, o.seed) : await runMany(o);
  process.exitCode = code;
} else {
  const { options } = workerData as { options: Options };
  parentPort!.on('message', (seed: number) => {
    parentPort!.postMessage(runSeed(configFor(options, seed)));
  });
}
