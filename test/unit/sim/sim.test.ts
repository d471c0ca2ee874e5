import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeed, type SimConfig } from '../../sim/cluster.js';
import { nodesForSeed } from '../../sim/defaults.js';

/** Shorter than the CLI's default, to keep the unit suite quick; replay with `--steps 15000`. */
const STEPS = 15_000;

function cfg(seed: number, extra: Partial<SimConfig> = {}): SimConfig {
  return { seed, nodes: nodesForSeed(seed, 'mixed'), steps: STEPS, ...extra };
}

test('the same seed replays the same run (trace hash and statistics)', () => {
  for (const seed of [3, 8]) {
    const a = runSeed(cfg(seed));
    const b = runSeed(cfg(seed));
    assert.equal(a.ok, true, a.failure?.message);
    assert.equal(a.traceHash, b.traceHash);
    assert.deepEqual(a.stats, b.stats);
  }
  // Different seeds take different paths.
  assert.notEqual(runSeed(cfg(3)).traceHash, runSeed(cfg(5)).traceHash);
});

test('a scripted Figure 8 run replays exactly too', () => {
  const a = runSeed(cfg(4, { nodes: 5, scenario: 'figure8' }));
  const b = runSeed(cfg(4, { nodes: 5, scenario: 'figure8' }));
  assert.equal(a.ok, true, a.failure?.message);
  assert.equal(a.traceHash, b.traceHash);
});

test('smoke: 20 seeds (3 and 5 members) run clean and do real work', () => {
  let ops = 0;
  let terms = 0;
  let crashes = 0;
  let snapshots = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const r = runSeed(cfg(seed));
    assert.equal(r.ok, true, `seed ${seed}: ${r.failure?.kind}: ${r.failure?.message}`);
    ops += r.stats.opsOk;
    terms += r.stats.leaderTerms;
    crashes += r.stats.crashes;
    snapshots += r.stats.snapshotsInstalled;
  }
  assert.ok(ops > 20 * 150, `only ${ops} acknowledged operations`);
  assert.ok(terms > 20 * 3, `only ${terms} leader terms`);
  assert.ok(crashes > 20, `only ${crashes} crashes`);
  assert.ok(snapshots > 10, `only ${snapshots} snapshots installed`);
});

test('the planted bug (commit of an earlier term by counting replicas) is found among the first seeds', () => {
  const knobs = { commitPriorTermByCount: true };
  let found: { seed: number; kind: string } | undefined;
  for (let seed = 1; seed <= 300 && !found; seed++) {
    const r = runSeed(cfg(seed, { knobs }));
    if (!r.ok) found = { seed, kind: r.failure!.kind };
  }
  assert.ok(found, 'no seed in 1..300 caught commitPriorTermByCount');
  assert.ok(
    ['leader-incomplete', 'committed-entry-changed', 'state-machine-diverged', 'not-linearizable', 'replicas-differ'].includes(found.kind),
    `seed ${found.seed} failed, but with ${found.kind}`,
  );
});

test('the Figure 8 prelude catches the planted bug every time, and passes a correct core', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const buggy = runSeed(cfg(seed, { nodes: 5, scenario: 'figure8', knobs: { commitPriorTermByCount: true } }));
    assert.equal(buggy.ok, false, `seed ${seed}: the planted bug went unnoticed`);
    assert.equal(buggy.failure!.kind, 'leader-incomplete');
    const good = runSeed(cfg(seed, { nodes: 5, scenario: 'figure8' }));
    assert.equal(good.ok, true, `seed ${seed}: ${good.failure?.message}`);
  }
});

test('bootstrapping founders only as saved membership is caught (a member added later learns no founders)', () => {
  let failed = 0;
  for (let seed = 1; seed <= 12; seed++) if (!runSeed(cfg(seed, { bootstrap: 'conf' })).ok) failed++;
  assert.ok(failed > 0, 'the unsafe bootstrap went unnoticed');
});
