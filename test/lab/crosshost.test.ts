// Containers on different hosts of an attachable overlay reach each other: the
// endpoints travel by gossip (netdb), each host programs its kernel's FDB and
// neighbour entries, and the frames cross the underlay as VXLAN.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../harness/lab.js';
import { ok as kitOk, sleep, until } from './overlay-kit.js';
import { run } from '../../shared/run.js';

let lab: Lab;

const ok = (host: string, args: string[], timeoutMs?: number): Promise<string> => kitOk(lab, host, args, timeoutMs);

before(async () => {
  lab = await Lab.up({ managers: 1, workers: 2 });
});

after(async () => {
  await lab?.down();
});

// A receiver that hashes what it gets, and a sender of 100 MB of pseudo-random bytes
// that hashes what it sends: equal hashes mean the stream crossed intact.
const RECEIVER = `const net=require('net'),c=require('crypto');const h=c.createHash('sha256');let n=0;
net.createServer((s)=>{s.on('data',(d)=>{h.update(d);n+=d.length});s.on('end',()=>{console.log(n+' '+h.digest('hex'));process.exit(0)})}).listen(5001,()=>console.log('listening'));`;
const SENDER = (ip: string): string => `const net=require('net'),c=require('crypto');const h=c.createHash('sha256');
const s=net.connect(5001,'${ip}',()=>{let left=100;const go=()=>{while(left>0){left--;const b=c.randomBytes(1024*1024);h.update(b);
if(!s.write(b))return s.once('drain',go)}s.end(()=>console.log((100*1024*1024)+' '+h.digest('hex')))};go()});`;

test('containers on two hosts ping each other by IP and by name both ways and carry a 100 MB stream intact', async () => {
  await ok('m1', ['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.30.0.0/24', 'app']);
  await ok('w1', ['run', '-d', '--name', 'a', '--network', 'app', '--ip', '10.30.0.10', '--', 'sleep', '3600']);
  const tRun = Date.now();
  await ok('w2', ['run', '-d', '--name', 'b', '--network', 'app', '--ip', '10.30.0.20', '--network-alias', 'bee', '--', 'sleep', '3600']);
  const converge = await until('a to reach b', 15_000, async () =>
    (await lab.tsswarm('w1', ['exec', 'a', '--', 'ping', '-c', '1', '-W', '1', '10.30.0.20'])).code === 0);
  assert.ok(Date.now() - tRun < 15_000);
  const back = await lab.tsswarm('w2', ['exec', 'b', '--', 'ping', '-c', '3', '-W', '2', '10.30.0.10']);
  assert.equal(back.code, 0, back.stdout + back.stderr);

  // By name, through each container's embedded DNS (127.0.0.11), from the gossiped dns table.
  await until('a to resolve b', 10_000, async () =>
    (await lab.tsswarm('w1', ['exec', 'a', '--', 'getent', 'hosts', 'b'])).stdout.includes('10.30.0.20'));
  assert.match(await ok('w1', ['exec', 'a', '--', 'getent', 'hosts', 'bee']), /^10\.30\.0\.20\s/);
  assert.match(await ok('w1', ['exec', 'a', '--', 'ping', '-c', '2', '-W', '2', 'b']), /2 received/);
  assert.match(await ok('w2', ['exec', 'b', '--', 'ping', '-c', '2', '-W', '2', 'a']), /2 received/);
  const unknown = await lab.tsswarm('w1', ['exec', 'a', '--', 'getent', 'hosts', 'nosuchcontainer']);
  assert.notEqual(unknown.code, 0, 'an unknown name does not resolve');

  const receiver = lab.tsswarm('w2', ['exec', 'b', '--', process.execPath, '-e', RECEIVER], { timeoutMs: 120_000 });
  await sleep(1000);
  const sent = await ok('w1', ['exec', 'a', '--', process.execPath, '-e', SENDER('10.30.0.20')], 120_000);
  const got = await receiver;
  assert.equal(got.code, 0, got.stderr);
  const [sentBytes, sentHash] = sent.trim().split(' ');
  const gotLine = got.stdout.trim().split('\n').pop()!;
  const [gotBytes, gotHash] = gotLine.split(' ');
  assert.equal(Number(sentBytes), 100 * 1024 * 1024);
  assert.equal(gotBytes, sentBytes, 'every byte arrived');
  assert.equal(gotHash, sentHash, 'and the same bytes');
  console.log(`# cross-host: reachable ${converge} ms after the second run returned`);

  // Removing b takes its entry out of w1's kernel tables.
  // /run/netns is shared by all lab hosts: w1's sandbox is the one under w1's prefix.
  const sandbox = (await lab.exec('w1', ['ip', 'netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!)
    .find((n) => n.startsWith(`${lab.host('w1').netns}-ov-`));
  assert.ok(sandbox, 'w1 has a sandbox for the network');
  const fdb = async (): Promise<string> => {
    const r = await run(['bridge', '-n', sandbox, 'fdb', 'show', 'dev', 'vxlan0']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const bMac = '02:42:0a:1e:00:14';
  assert.ok((await fdb()).includes(bMac), 'w1 holds b\'s FDB entry');
  await ok('w2', ['rm', '-f', 'b']);
  await until('b\'s FDB entry to leave w1', 10_000, async () => !(await fdb()).includes(bMac)).catch(async (e: unknown) => {
    throw new Error(`${(e as Error).message}; w1's FDB: ${await fdb()}`);
  });

  // A worker whose daemon dies (SIGKILL): gossip declares it failed and every other host
  // drops its endpoints from the kernel, without anyone being told.
  await ok('w2', ['run', '-d', '--name', 'c', '--network', 'app', '--ip', '10.30.0.30', '--', 'sleep', '3600']);
  await until('a to reach c', 15_000, async () =>
    (await lab.tsswarm('w1', ['exec', 'a', '--', 'ping', '-c', '1', '-W', '1', '10.30.0.30'])).code === 0);
  const cMac = '02:42:0a:1e:00:1e';
  assert.ok((await fdb()).includes(cMac), 'w1 holds c\'s FDB entry while w2 is up');
  await lab.kill('w2');
  const gone = await until('w2\'s entries to leave w1\'s kernel after its daemon died', 30_000, async () => !(await fdb()).includes(cMac));
  console.log(`# a SIGKILLed worker's endpoints left the other host's FDB after ${gone} ms`);
  await ok('w1', ['rm', '-f', 'a']);
});
