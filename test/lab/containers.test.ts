// Containers on lab hosts, through the CLI: run on an attachable overlay with an address
// from the managers, ps, exec, logs, stop, rm (which releases the address), and the
// refusals. Two containers on one host talk over the network's bridge.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../harness/lab.js';

let lab: Lab;

async function ok(host: string, args: string[]): Promise<string> {
  const r = await lab.tsswarm(host, args);
  assert.equal(r.code, 0, `tsswarm ${args.join(' ')} on ${host} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  lab = await Lab.up({ managers: 1, workers: 1 });
});

after(async () => {
  await lab?.down();
});

test('run, ps, exec, logs, stop and rm on an attachable overlay', async () => {
  await ok('m1', ['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.20.0.0/24', 'app']);
  await ok('m1', ['network', 'create', '-d', 'overlay', 'closed']);
  await ok('m1', ['network', 'create', '-d', 'overlay', '--attachable', '--opt', 'encrypted', 'sealed']);
  const clear = await lab.tsswarm('w1', ['run', '-d', '--name', 'y', '--network', 'sealed', '--', 'sleep', '60']);
  assert.notEqual(clear.code, 0);
  assert.match(clear.stderr, /cannot encrypt the data path yet/);

  const refused = await lab.tsswarm('w1', ['run', '-d', '--name', 'x', '--network', 'closed', '--', 'sleep', '60']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /not manually attachable|attachable/);

  const a = (await ok('w1', ['run', '-d', '--name', 'a', '--network', 'app', '--', 'sh', '-c', 'echo hello from a; exec sleep 600'])).trim();
  assert.match(a, /^[0-9a-f]{64}$/);
  await ok('w1', ['run', '-d', '--name', 'b', '--network', 'app', '--ip', '10.20.0.50', '--', 'sleep', '600']);
  const dup = await lab.tsswarm('w1', ['run', '-d', '--name', 'b', '--network', 'app', '--', 'sleep', '1']);
  assert.notEqual(dup.code, 0);

  const ps = await ok('w1', ['ps', '--format', '{{.Names}} {{.Status}} {{.Networks}}']);
  assert.match(ps, /^a Up app:10\.20\.0\.2$/m);
  assert.match(ps, /^b Up app:10\.20\.0\.50$/m);

  assert.equal((await ok('w1', ['exec', 'a', '--', 'hostname'])).trim(), 'a');
  const ping = await lab.tsswarm('w1', ['exec', 'a', '--', 'ping', '-c', '2', '-W', '2', '10.20.0.50']);
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  assert.match(await ok('w1', ['exec', 'b', '--', 'ip', '-o', '-4', 'addr', 'show', 'eth0']), /inet 10\.20\.0\.50\/24/);
  assert.match(await ok('w1', ['logs', 'a']), /hello from a/);

  // The managers know both endpoints: the network is in use and cannot be removed.
  const rmNet = await lab.tsswarm('m1', ['network', 'rm', 'app']);
  assert.notEqual(rmNet.code, 0);

  const running = await lab.tsswarm('w1', ['rm', 'a']);
  assert.notEqual(running.code, 0);
  assert.match(running.stderr, /running/);
  await ok('w1', ['stop', '-t', '1', 'a']);
  assert.match(await ok('w1', ['ps', '-a', '--format', '{{.Names}} {{.Status}}']), /^a Exited \(\d+\)$/m);
  assert.doesNotMatch(await ok('w1', ['ps', '--format', '{{.Names}}']), /^a$/m);
  await ok('w1', ['rm', 'a']);
  await ok('w1', ['rm', '-f', 'b']);
  assert.equal((await ok('w1', ['ps', '-a', '-q'])).trim(), '');

  // Released: the next container gets the first address again, and the network can go.
  await ok('w1', ['run', '-d', '--name', 'c', '--network', 'app', '--', 'sleep', '600']);
  assert.match(await ok('w1', ['ps', '--format', '{{.Networks}}']), /app:10\.20\.0\.2/);
  await ok('w1', ['rm', '-f', 'c']);
  await ok('m1', ['network', 'rm', 'app']);
});
