// A worker's daemon SIGKILLed: gossip declares it failed and every other host drops its
// endpoints; its containers keep running. Restarted, it adopts them, publishes them again,
// and removes what a crash left behind (orphan sandboxes, vxlan devices, stale FDB and
// neighbour entries, dead containers' namespaces), so every kernel matches what runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Lab } from '../harness/lab.js';
import { kernelDiffs, ok, orphanDiffs, pings, sandboxOf, until, vniOf } from './overlay-kit.js';
import { run } from '../../shared/run.js';

let lab: Lab;
const HOSTS = ['m1', 'w1', 'w2'];

before(async () => {
  lab = await Lab.up({ managers: 1, workers: 2 });
});

after(async () => {
  await lab?.down();
});

async function sh(argv: string[]): Promise<void> {
  const r = await run(argv);
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
}

test('kill -9 a worker daemon: its peers vanish elsewhere; restarted, its containers come back and no stale state remains', async () => {
  await ok(lab, 'm1', ['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.31.0.0/24', 'app']);
  const vni = await vniOf(lab, 'm1', 'app');
  await ok(lab, 'm1', ['run', '-d', '--name', 'm', '--network', 'app', '--ip', '10.31.0.5', '--', 'sleep', '3600']);
  await ok(lab, 'w1', ['run', '-d', '--name', 'a', '--network', 'app', '--ip', '10.31.0.10', '--', 'sleep', '3600']);
  await ok(lab, 'w2', ['run', '-d', '--name', 'b', '--network', 'app', '--ip', '10.31.0.20', '--', 'sleep', '3600']);
  // d ends on its own while its daemon is dead: the restarted daemon must report it exited and release it.
  await ok(lab, 'w2', ['run', '-d', '--name', 'd', '--network', 'app', '--ip', '10.31.0.21', '--', 'sh', '-c', 'sleep 4; exit 7']);
  await until('a to reach b', 20_000, () => pings(lab, 'w1', 'a', 'b'));
  await until('m to reach b', 20_000, () => pings(lab, 'm1', 'm', '10.31.0.20'));
  assert.deepEqual(await kernelDiffs(lab, HOSTS, 'app', vni), []);

  const bMac = '02:42:0a:1f:00:14';
  const fdbHas = async (host: string, mac: string): Promise<boolean> =>
    (await run(['bridge', '-n', sandboxOf(lab, host, vni), 'fdb', 'show', 'dev', 'vxlan0'])).stdout.includes(mac);
  await lab.kill('w2');
  const tKill = Date.now();
  await until('b to leave w1 and m1 after w2\'s daemon died', 30_000, async () => !(await fdbHas('w1', bMac)) && !(await fdbHas('m1', bMac)));
  console.log(`# w2's endpoints left every other host's FDB ${Date.now() - tKill} ms after SIGKILL`);
  // The container itself did not die with its daemon.
  const bNs = (await run(['ip', 'netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${lab.host('w2').netns}-c`));
  assert.equal(bNs.length, 2, 'b and d still have their namespaces');

  // What a crash mid-work leaves behind on w2: a sandbox for a network nobody is on, a
  // dead container's namespace, a veth nobody owns, and FDB/neighbour entries of a
  // container that no longer exists.
  const w2 = lab.host('w2');
  const orphanSb = `${w2.netns}-ov-99999`;
  const orphanCtr = `${w2.netns}-c${randomBytes(6).toString('hex')}`;
  const sb = sandboxOf(lab, 'w2', vni);
  await sh(['ip', 'netns', 'add', orphanSb]);
  await sh(['ip', '-n', w2.netns, 'link', 'add', 'vxlan0', 'netns', orphanSb, 'type', 'vxlan', 'id', '99999', 'dstport', '4789', 'local', w2.ip, 'nolearning']);
  await sh(['ip', 'netns', 'add', orphanCtr]);
  await sh(['ip', '-n', sb, 'link', 'add', 've0a1f00ee', 'type', 'veth', 'peer', 'name', 'junk0']);
  await sh(['bridge', '-n', sb, 'fdb', 'append', '02:42:0a:1f:00:63', 'dev', 'vxlan0', 'dst', lab.host('w1').ip, 'self', 'permanent']);
  await sh(['ip', '-n', sb, 'neigh', 'replace', '10.31.0.99', 'lladdr', '02:42:0a:1f:00:63', 'dev', 'vxlan0', 'nud', 'permanent']);

  await lab.restart('w2');
  const tUp = Date.now();
  await until('a to reach b again', 30_000, () => pings(lab, 'w1', 'a', '10.31.0.20'));
  await until('b to reach a and m again', 30_000, async () => (await pings(lab, 'w2', 'b', '10.31.0.10')) && (await pings(lab, 'w2', 'b', '10.31.0.5')));
  console.log(`# traffic flowed both ways again ${Date.now() - tUp} ms after the daemon restarted`);

  const ps = await ok(lab, 'w2', ['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
  assert.match(ps, /^b Up$/m);
  assert.match(ps, /^d Exited \(7\)$/m, 'd ended while its daemon was dead, with its own exit code');
  const inspect = JSON.parse(await ok(lab, 'm1', ['network', 'inspect', 'app'])) as { Containers: Record<string, { Name: string }> }[];
  const names = Object.values(inspect[0]!.Containers).map((c) => c.Name).sort();
  assert.deepEqual(names, ['a', 'b', 'm'], 'd\'s address went back to the managers');

  // Everything converges to exactly what runs, on every host.
  await until('every kernel to match what runs', 20_000, async () => (await kernelDiffs(lab, HOSTS, 'app', vni)).length === 0).catch(async (e: unknown) => {
    throw new Error(`${(e as Error).message}: ${(await kernelDiffs(lab, HOSTS, 'app', vni)).join('; ')}`);
  });
  const wanted = new Map(HOSTS.map((h) => [h, [vni]]));
  assert.deepEqual(await orphanDiffs(lab, HOSTS, wanted), []);
  assert.ok(!(await run(['ip', 'netns', 'list'])).stdout.includes(orphanCtr), 'the dead container\'s namespace is gone');
  assert.notEqual((await run(['ip', '-n', sb, 'link', 'show', 've0a1f00ee'])).code, 0, 'the stray veth is gone');
});
