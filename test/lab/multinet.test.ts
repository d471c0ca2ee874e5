// Several overlays on the same hosts: each is its own L2 segment (its own VNI, sandbox and
// names), a container on two of them reaches both, `network connect|disconnect` add and
// take away a network at run time, internal networks have no way out, the MTU follows the
// underlay (or the network's option), stopped and exited containers give their addresses
// back, and names no network knows go to the configured upstream resolver.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Lab } from '../harness/lab.js';
import { REPO_ROOT } from '../../lab/state.js';
import { ok, pings, sandboxOf, until, vniOf } from './overlay-kit.js';
import { run } from '../../shared/run.js';

let lab: Lab;
let upstream: ChildProcess | undefined;

// A stand-in for the host's resolver, inside w1's namespace on its loopback: it knows
// every name under lab.test, so an answer from it proves the forwarding path.
const UPSTREAM = `import(${JSON.stringify(path.join(REPO_ROOT, 'dist/worker/dns/server.js'))}).then(async ({ startDnsServer }) => {
  await startDnsServer({ host: '127.0.0.1', port: 5353, lookup: { ipv4: (n) => n.toLowerCase().endsWith('.lab.test') ? ['10.99.0.1'] : [], ptr: () => undefined } });
  console.log('ready');
});`;

before(async () => {
  lab = await Lab.up({ managers: 1, workers: 2, dnsUpstream: '127.0.0.1:5353' });
  upstream = await lab.spawn('w1', [process.execPath, '-e', UPSTREAM]);
  await new Promise<void>((resolve, reject) => {
    upstream!.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('ready')) resolve(); });
    upstream!.once('exit', (code) => reject(new Error(`fake upstream exited ${code}`)));
  });
});

after(async () => {
  upstream?.kill();
  await lab?.down();
});

const inspectNames = async (network: string): Promise<string[]> =>
  Object.values((JSON.parse(await ok(lab, 'm1', ['network', 'inspect', network])) as { Containers: Record<string, { Name: string }> }[])[0]!.Containers)
    .map((c) => c.Name).sort();

test('two overlays are isolated; a container on both reaches both; connect and disconnect at run time', async () => {
  await ok(lab, 'm1', ['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.32.0.0/24', 'red']);
  await ok(lab, 'm1', ['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.33.0.0/24', 'blue']);
  const [red, blue] = [await vniOf(lab, 'm1', 'red'), await vniOf(lab, 'm1', 'blue')];
  await ok(lab, 'w1', ['run', '-d', '--name', 'r1', '--network', 'red', '--ip', '10.32.0.10', '--', 'sleep', '3600']);
  await ok(lab, 'w2', ['run', '-d', '--name', 'b1', '--network', 'blue', '--ip', '10.33.0.20', '--', 'sleep', '3600']);
  await ok(lab, 'w2', ['run', '-d', '--name', 'rb', '--network', 'red', '--network', 'blue', '--ip', '10.32.0.30', '--', 'sleep', '3600']);

  // rb: eth0 on red, eth1 on blue, eth2 on the gateway bridge (its default route, as
  // Docker's docker_gwbridge); overlay MTU = underlay 1500 - 50.
  const addrs = await ok(lab, 'w2', ['exec', 'rb', '--', 'ip', '-o', '-4', 'addr', 'show']);
  assert.match(addrs, /eth0\s+inet 10\.32\.0\.30\/24/);
  assert.match(addrs, /eth1\s+inet 10\.33\.0\.\d+\/24/);
  assert.match(addrs, /eth2\s+inet 172\.18\.0\.\d+\/16/);
  assert.match(await ok(lab, 'w2', ['exec', 'rb', '--', 'ip', 'route']), /^default via 172\.18\.0\.1 dev eth2/m);
  assert.match(await ok(lab, 'w2', ['exec', 'rb', '--', 'ip', 'link', 'show', 'eth1']), /mtu 1450 /);
  assert.match(await ok(lab, 'w2', ['exec', 'rb', '--', 'cat', '/etc/hosts']), /10\.32\.0\.30\trb\n10\.33\.0\.\d+\trb/);

  await until('rb to reach r1 (red, across hosts) by name', 20_000, () => pings(lab, 'w2', 'rb', 'r1'));
  await until('rb to reach b1 (blue, same host) by name', 20_000, () => pings(lab, 'w2', 'rb', 'b1'));
  await until('r1 to reach rb by name', 20_000, () => pings(lab, 'w1', 'r1', 'rb'));

  // r1 is on red only: blue's names and addresses are not its business.
  assert.notEqual((await lab.tsswarm('w1', ['exec', 'r1', '--', 'getent', 'hosts', 'b1'])).code, 0, 'r1 does not resolve b1');
  assert.equal(await pings(lab, 'w1', 'r1', '10.33.0.20'), false, 'r1 cannot reach b1');
  // w1's kernel knows red's remote endpoint (rb's red side) and nothing of blue.
  const redFdb = (await run(['bridge', '-n', sandboxOf(lab, 'w1', red), 'fdb', 'show', 'dev', 'vxlan0'])).stdout;
  assert.ok(redFdb.includes('02:42:0a:20:00:1e'), 'rb\'s red MAC is in w1\'s red sandbox');
  assert.ok(!redFdb.includes('02:42:0a:21:00:14'), 'b1\'s blue MAC is not');
  assert.ok(!(await run(['ip', 'netns', 'list'])).stdout.includes(sandboxOf(lab, 'w1', blue)), 'w1 has no blue sandbox');

  // Connect r1 to blue: a new interface (eth2: eth1 is its gateway), b1 by name; w1 gets a blue sandbox, the managers list r1 on blue.
  await ok(lab, 'w1', ['network', 'connect', '--alias', 'redone', 'blue', 'r1']);
  assert.match(await ok(lab, 'w1', ['exec', 'r1', '--', 'ip', '-o', '-4', 'addr', 'show', 'eth2']), /inet 10\.33\.0\.\d+\/24/);
  await until('r1 to reach b1 by name once connected', 20_000, () => pings(lab, 'w1', 'r1', 'b1'));
  await until('b1 to resolve r1 by its alias', 20_000, async () => (await lab.tsswarm('w2', ['exec', 'b1', '--', 'getent', 'hosts', 'redone'])).stdout.includes('10.33.0.'));
  assert.deepEqual(await inspectNames('blue'), ['b1', 'r1', 'rb']);
  const again = await lab.tsswarm('w1', ['network', 'connect', 'blue', 'r1']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /already exists in network blue/);

  // The docker client disconnects it: blue is gone from r1, from w1's kernel and from the managers.
  const d = await lab.docker('w1', ['network', 'disconnect', 'blue', 'r1']);
  assert.equal(d.code, 0, d.stderr);
  assert.notEqual((await lab.tsswarm('w1', ['exec', 'r1', '--', 'ip', 'link', 'show', 'eth2'])).code, 0, 'eth2 is gone');
  assert.match(await ok(lab, 'w1', ['exec', 'r1', '--', 'ip', 'route']), /^default via 172\.18\.0\.1 dev eth1/m, 'the way out stays');
  assert.equal(await pings(lab, 'w1', 'r1', '10.33.0.20'), false);
  assert.ok(!(await run(['ip', 'netns', 'list'])).stdout.includes(sandboxOf(lab, 'w1', blue)), 'w1\'s blue sandbox went with its last endpoint');
  assert.deepEqual(await inspectNames('blue'), ['b1', 'rb']);
  assert.ok(await pings(lab, 'w1', 'r1', 'rb'), 'red still works');
  const twice = await lab.tsswarm('w1', ['network', 'disconnect', 'blue', 'r1']);
  assert.notEqual(twice.code, 0);
  assert.match(twice.stderr, /not connected to network blue/);
});

test('stopped and exited containers give their addresses back; the exit code is kept', async () => {
  const x = await lab.tsswarm('w1', ['run', '--name', 'x', '--network', 'red', '--', 'sh', '-c', 'echo hello; exit 3']);
  assert.equal(x.code, 3, x.stderr);
  assert.match(x.stdout, /hello/);
  assert.match(await ok(lab, 'w1', ['ps', '-a', '--format', '{{.Names}} {{.Status}}']), /^x Exited \(3\)$/m);
  await until('x to leave red', 10_000, async () => !(await inspectNames('red')).includes('x'));

  await ok(lab, 'w2', ['stop', '-t', '2', 'b1']);
  assert.match(await ok(lab, 'w2', ['ps', '-a', '--format', '{{.Names}} {{.Status}}']), /^b1 Exited/m);
  assert.deepEqual(await inspectNames('blue'), ['rb']);
  await until('b1 to stop answering rb', 10_000, async () => !(await lab.tsswarm('w2', ['exec', 'rb', '--', 'getent', 'hosts', 'b1'])).stdout.includes('10.33'));
  await ok(lab, 'w2', ['rm', 'b1']);
  await ok(lab, 'w1', ['rm', 'x']);
  assert.doesNotMatch(await ok(lab, 'w2', ['ps', '-a']), /b1/);
});

test('internal networks have no way out, others go out through the gateway bridge; the MTU option is honoured', async () => {
  await ok(lab, 'm1', ['network', 'create', '-d', 'overlay', '--attachable', '--internal', '-o', 'com.docker.network.driver.mtu=1400', '--subnet', '10.34.0.0/24', 'int']);
  await ok(lab, 'w1', ['run', '-d', '--name', 'i1', '--network', 'int', '--', 'sleep', '3600']);
  assert.doesNotMatch(await ok(lab, 'w1', ['exec', 'i1', '--', 'ip', 'route']), /default/);
  assert.match(await ok(lab, 'w1', ['exec', 'i1', '--', 'ip', 'link', 'show', 'eth0']), /mtu 1400 /);
  assert.match(await ok(lab, 'w1', ['exec', 'r1', '--', 'ip', 'route']), /^default via 172\.18\.0\.1 dev eth1/m);
  // Out of the overlay to an address on the underlay (another lab host), masqueraded by w1.
  const m1 = lab.host('m1').ip;
  assert.ok(await pings(lab, 'w1', 'r1', m1), 'r1 reaches m1\'s underlay address through the gateway');
  assert.equal(await pings(lab, 'w1', 'i1', m1), false, 'i1, on an internal network only, does not');
  // Two containers that share no overlay do not meet on the gateway bridge either (its ports are isolated).
  await ok(lab, 'w1', ['run', '-d', '--name', 'g2', '--network', 'blue', '--', 'sleep', '3600']);
  const r1gw = (await ok(lab, 'w1', ['inspect', '--format', '{{.Gateway.IPAddress}}', 'r1'])).trim();
  assert.match(r1gw, /^172\.18\.0\.\d+$/);
  assert.equal(await pings(lab, 'w1', 'g2', r1gw), false, 'g2 cannot reach r1 through the gateway bridge');
  await ok(lab, 'w1', ['rm', '-f', 'i1', 'g2']);
});

test('names no network knows go to the host\'s resolver (here a stand-in inside the lab)', async () => {
  assert.match(await ok(lab, 'w1', ['exec', 'r1', '--', 'getent', 'hosts', 'www.lab.test']), /^10\.99\.0\.1\s/);
  // On w2 the same upstream address is w2's own loopback, where nothing answers: no answer, and no hang.
  const t0 = Date.now();
  const miss = await lab.tsswarm('w2', ['exec', 'rb', '--', 'getent', 'hosts', 'www.lab.test']);
  assert.notEqual(miss.code, 0);
  assert.ok(Date.now() - t0 < 20_000);
  // Container names still come from the tables, not the upstream.
  assert.match(await ok(lab, 'w1', ['exec', 'r1', '--', 'getent', 'hosts', 'rb']), /^10\.32\.0\.30\s/);
});
