// The stock docker client (the binary on this machine) drives our daemons through
// every verb we claim to support, on hosts in their own network namespaces.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../harness/lab.js';

let lab: Lab;

async function docker(host: string, args: string[], input?: string): Promise<string> {
  const r = await lab.docker(host, args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `docker ${args.join(' ')} on ${host} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, fn: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

before(async () => {
  // Daemons running, no swarm yet: docker itself forms it.
  lab = await Lab.up({ managers: 2, workers: 1, form: false });
});

after(async () => {
  await lab?.down();
});

test('docker swarm init / join-token / join / node ls|inspect|promote|demote|rm / network / config / leave', async () => {
  const m1 = lab.host('m1').ip;
  const init = await docker('m1', ['swarm', 'init', '--advertise-addr', m1]);
  assert.match(init, /^Swarm initialized: current node \([0-9a-z]{25}\) is now a manager\./);
  assert.match(init, new RegExp(`docker swarm join --token SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25} ${m1.replace(/\./g, '\\.')}:2377`));

  const wt = (await docker('m1', ['swarm', 'join-token', '-q', 'worker'])).trim();
  const mt = (await docker('m1', ['swarm', 'join-token', '-q', 'manager'])).trim();
  assert.notEqual(wt, mt);
  assert.match(await docker('m1', ['swarm', 'join-token', 'manager']), /To add a manager to this swarm, run the following command:/);

  assert.equal((await docker('w1', ['swarm', 'join', '--token', wt, '--advertise-addr', lab.host('w1').ip, `${m1}:2377`])).trim(), 'This node joined a swarm as a worker.');
  assert.equal((await docker('m2', ['swarm', 'join', '--token', mt, '--advertise-addr', lab.host('m2').ip, `${m1}:2377`])).trim(), 'This node joined a swarm as a manager.');

  const ls = await docker('w1', ['node', 'ls']);
  const rows = ls.trimEnd().split('\n').slice(1);
  assert.equal(rows.length, 3, ls);
  assert.equal((await docker('m2', ['node', 'inspect', 'w1', '--format', '{{.Spec.Role}} {{.Status.State}}'])).trim(), 'worker ready');

  assert.equal((await docker('m1', ['node', 'promote', 'w1'])).trim(), 'Node w1 promoted to a manager in the swarm.');
  await until('w1 to become a reachable manager', 30_000, async () =>
    (await docker('m1', ['node', 'inspect', 'w1', '--format', '{{.ManagerStatus.Reachability}}'])).trim() === 'reachable');
  assert.equal((await docker('m2', ['node', 'demote', 'w1'])).trim(), 'Manager w1 demoted in the swarm.');
  await until('w1 to be a worker again', 30_000, async () =>
    (await docker('m1', ['node', 'ls', '--filter', 'role=manager', '--format', '{{.Hostname}}'])).trim().split('\n').sort().join(',') === 'm1,m2' &&
    (await docker('m1', ['node', 'inspect', 'w1', '--format', '{{if .ManagerStatus}}manager{{else}}worker{{end}}'])).trim() === 'worker');

  const id = (await docker('w1', ['network', 'create', '-d', 'overlay', '--attachable', '--opt', 'encrypted', 'app-overlay'])).trim();
  assert.match(id, /^[0-9a-z]{25}$/);
  assert.match(await docker('m2', ['network', 'ls']), /\n[0-9a-z]{12}\s+app-overlay\s+overlay\s+swarm\n/);
  assert.equal((await docker('m1', ['network', 'inspect', 'app-overlay', '--format', '{{.Driver}}'])).trim(), 'overlay');
  assert.equal((await docker('m1', ['network', 'rm', 'app-overlay'])).trim(), 'app-overlay');
  assert.doesNotMatch(await docker('w1', ['network', 'ls']), /app-overlay/);

  const cfg = (await docker('m2', ['config', 'create', 'app-cfg', '-'], 'hello config\n')).trim();
  assert.match(cfg, /^[0-9a-z]{25}$/);
  assert.match(await docker('w1', ['config', 'ls']), /app-cfg/);
  assert.equal((await docker('m1', ['config', 'rm', 'app-cfg'])).trim(), 'app-cfg');

  const refused = await lab.docker('m1', ['node', 'demote', 'm2']);
  assert.equal(refused.code, 0, 'demoting one of two managers keeps a reachable majority of one');
  await until('m2 to be a worker', 30_000, async () =>
    (await docker('m1', ['node', 'inspect', 'm2', '--format', '{{.Spec.Role}}'])).trim() === 'worker');
  const last = await lab.docker('m1', ['node', 'demote', 'm1']);
  assert.notEqual(last.code, 0);
  assert.match(last.stderr, /last manager/);

  assert.equal((await docker('w1', ['swarm', 'leave'])).trim(), 'Node left the swarm.');
  await until('w1 to show Down', 15_000, async () =>
    (await docker('m1', ['node', 'inspect', 'w1', '--format', '{{.Status.State}}'])).trim() === 'down');
  assert.equal((await docker('m1', ['node', 'rm', 'w1'])).trim(), 'w1');
  assert.doesNotMatch(await docker('m1', ['node', 'ls']), /\sw1\s/);

  // The last manager may leave only with --force, which dissolves the swarm.
  const noForce = await lab.docker('m1', ['swarm', 'leave']);
  assert.notEqual(noForce.code, 0);
  assert.match(noForce.stderr, /participating as a manager.*last manager.*--force/s);
  assert.equal((await docker('m1', ['swarm', 'leave', '--force'])).trim(), 'Node left the swarm.');
  assert.equal((await docker('m1', ['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim(), 'inactive');
  const gone = await lab.docker('m1', ['node', 'ls']);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /not part of a swarm/);
});
