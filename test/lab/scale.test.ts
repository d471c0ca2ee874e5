// Ten hosts, a hundred containers over three overlays: every container reaches every
// other container it shares a network with (all pairs of a random sample of twenty, by
// address, and by name for a share of them), and every kernel holds exactly the
// endpoints that run elsewhere on its networks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../harness/lab.js';
import { mulberry32 } from '../unit/prng.js';
import { kernelDiffs, ok, runningEndpoints, vniOf } from './overlay-kit.js';

let lab: Lab;
const CONTAINERS = 100;
const SAMPLE = 20;
const NETWORKS = ['n0', 'n1', 'n2'];

before(async () => {
  lab = await Lab.up({ managers: 3, workers: 7 });
});

after(async () => {
  await lab?.down();
});

interface Placed {
  name: string;
  host: string;
  network: string;
  ip: string;
}

/** Runs `fn` over `items` with at most `width` at a time. */
async function pool<T, R>(items: readonly T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

test('100 containers on 10 hosts over 3 networks: all pairs of a random 20 that share a network reach each other', async () => {
  const seed = Number(process.env['TSSWARM_SCALE_SEED'] ?? Date.now() % 100_000);
  console.log(`# seed ${seed} (TSSWARM_SCALE_SEED=${seed} replays this sample)`);
  const rand = mulberry32(seed);
  for (const [i, n] of NETWORKS.entries()) {
    await ok(lab, 'm1', ['network', 'create', '-d', 'overlay', '--attachable', '--subnet', `10.${40 + i}.0.0/24`, n]);
  }
  const hosts = lab.hosts.map((h) => h.name);
  const placed: Placed[] = Array.from({ length: CONTAINERS }, (_, i) => ({
    name: `c${i}`, host: hosts[i % hosts.length]!, network: NETWORKS[Math.floor(i / hosts.length) % NETWORKS.length]!, ip: '',
  }));
  // Each host starts its own containers one after another; the hosts go in parallel.
  const t0 = Date.now();
  await Promise.all(hosts.map(async (host) => {
    const mine = placed.filter((p) => p.host === host);
    for (const c of mine) await ok(lab, host, ['run', '-d', '--name', c.name, '--network', c.network, '--', 'sleep', '3600'], 120_000);
    const views = JSON.parse(await ok(lab, host, ['inspect', ...mine.map((c) => c.name)])) as { Name: string; Networks: { IPAddress: string }[] }[];
    for (const v of views) placed.find((p) => p.name === v.Name)!.ip = v.Networks[0]!.IPAddress.split('/')[0]!;
  }));
  console.log(`# ${CONTAINERS} containers started on ${hosts.length} hosts in ${Date.now() - t0} ms`);

  const sample = [...placed].sort(() => rand() - 0.5).slice(0, SAMPLE);
  // From each sampled container, one exec pings all its sampled peers (every third by
  // name, through the embedded DNS; the rest by address) and names the ones that fail;
  // those are retried until the deadline.
  const t1 = Date.now();
  let pairs = 0;
  const failed: string[] = [];
  await pool(sample, 4, async (a) => {
    const peers = sample.filter((b) => b !== a && b.network === a.network);
    pairs += peers.length;
    let left = peers.map((b, i) => (i % 3 === 0 ? b.name : b.ip));
    const deadline = Date.now() + 60_000;
    while (left.length > 0 && Date.now() < deadline) {
      const script = `for t in ${left.join(' ')}; do ping -c 1 -W 1 $t >/dev/null 2>&1 || echo $t; done`;
      const r = await lab.tsswarm(a.host, ['exec', a.name, '--', 'sh', '-c', script], { timeoutMs: 120_000 });
      left = r.code === 0 ? r.stdout.split('\n').filter(Boolean) : left;
    }
    failed.push(...left.map((t) => `${a.name}@${a.host} -> ${t}`));
  });
  console.log(`# ${pairs} ordered pairs on shared networks pinged in ${Date.now() - t1} ms, ${failed.length} failed`);
  assert.ok(pairs > 0);
  assert.deepEqual(failed, []);

  const eps = await runningEndpoints(lab, hosts);
  assert.equal(eps.length, CONTAINERS);
  for (const n of NETWORKS) {
    const vni = await vniOf(lab, 'm1', n);
    assert.deepEqual(await kernelDiffs(lab, hosts, n, vni, eps), [], `kernel entries of ${n}`);
  }
});
