// A host cut off the underlay for 30 s (long enough for everyone to declare everyone on the
// other side failed and drop their endpoints) comes back by itself when the link heals:
// gossip reconnects to the members it had given up on, the tables take each other's
// entries again, and every kernel matches what runs. Nobody restarts anything.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../harness/lab.js';
import { kernelDiffs, ok, pings, sandboxOf, sleep, until, vniOf } from './overlay-kit.js';
import { run } from '../../shared/run.js';

let lab: Lab;
const HOSTS = ['m1', 'w1', 'w2'];
const PARTITION_MS = 30_000;

before(async () => {
  lab = await Lab.up({ managers: 1, workers: 2 });
});

after(async () => {
  await lab?.down();
});

test('a host partitioned from the underlay for 30 s rejoins the overlay by itself after heal', async () => {
  await ok(lab, 'm1', ['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.35.0.0/24', 'app']);
  const vni = await vniOf(lab, 'm1', 'app');
  await ok(lab, 'm1', ['run', '-d', '--name', 'm', '--network', 'app', '--ip', '10.35.0.5', '--', 'sleep', '3600']);
  await ok(lab, 'w1', ['run', '-d', '--name', 'a', '--network', 'app', '--ip', '10.35.0.10', '--', 'sleep', '3600']);
  await ok(lab, 'w2', ['run', '-d', '--name', 'b', '--network', 'app', '--ip', '10.35.0.20', '--', 'sleep', '3600']);
  await until('a to reach b', 20_000, () => pings(lab, 'w1', 'a', '10.35.0.20'));
  await until('b to reach m', 20_000, () => pings(lab, 'w2', 'b', '10.35.0.5'));

  await lab.partition('w2');
  const t0 = Date.now();
  await sleep(3_000);
  assert.equal(await pings(lab, 'w1', 'a', '10.35.0.20'), false, 'the partition is real');
  // Everyone gives up on the other side: b's entry leaves w1's kernel.
  const bMac = '02:42:0a:23:00:14';
  const dropped = await until('w1 to drop b', PARTITION_MS, async () =>
    !(await run(['bridge', '-n', sandboxOf(lab, 'w1', vni), 'fdb', 'show', 'dev', 'vxlan0'])).stdout.includes(bMac));
  console.log(`# w1 dropped b ${dropped + 3000} ms into the partition`);
  await sleep(Math.max(0, PARTITION_MS - (Date.now() - t0)));
  await lab.heal('w2');
  const tHeal = Date.now();

  await until('a to reach b after heal', 90_000, () => pings(lab, 'w1', 'a', '10.35.0.20'), 250);
  const aToB = Date.now() - tHeal;
  await until('b to reach a and m after heal', 60_000, async () => (await pings(lab, 'w2', 'b', '10.35.0.10')) && (await pings(lab, 'w2', 'b', '10.35.0.5')), 250);
  console.log(`# after a ${PARTITION_MS / 1000} s partition: a reached b ${aToB} ms after heal, b reached a and m ${Date.now() - tHeal} ms after heal`);
  await until('every kernel to match what runs', 30_000, async () => (await kernelDiffs(lab, HOSTS, 'app', vni)).length === 0).catch(async (e: unknown) => {
    throw new Error(`${(e as Error).message}: ${(await kernelDiffs(lab, HOSTS, 'app', vni)).join('; ')}`);
  });
  // Names too: the dns table came back.
  await until('a to resolve b', 20_000, async () => (await lab.tsswarm('w1', ['exec', 'a', '--', 'getent', 'hosts', 'b'])).stdout.includes('10.35.0.20'));
});
