// scripts/compose-entry.sh run for real, with a stand-in `tsswarm` first on PATH that
// records its calls and answers /_ping on a unix socket as the daemon does. Nothing
// here touches the network: the stand-in's init and join only write files.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const ENTRY = path.join(ROOT, 'scripts/compose-entry.sh');
const TMP = mkdtempSync(path.join(os.tmpdir(), 'tsswarm-compose-'));
const BIN = path.join(TMP, 'bin');
const TOKENS = path.join(TMP, 'tokens');
/** Long enough for a slow machine; each poll of the script starts a node process. */
const WAIT_MS = 20_000;

// CommonJS on purpose: TMP has no package.json saying otherwise.
const STUB = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const dir = process.env.STUB_DIR;
const data = process.env.TSSWARM_DATA_DIR;
const node = path.basename(data);
const args = process.argv.slice(2);
const log = (entry) => fs.appendFileSync(path.join(dir, 'calls.log'), JSON.stringify({ node, ...entry }) + '\\n');
const flag = (name) => args[args.indexOf(name) + 1];
const stateFile = path.join(data, 'stub-swarm');
const state = () => { try { return fs.readFileSync(stateFile, 'utf8'); } catch { return 'inactive'; } };
const become = (s) => {
  fs.mkdirSync(path.join(data, 'swarm'), { recursive: true });
  fs.writeFileSync(path.join(data, 'swarm', 'state.json'), '{}');
  fs.writeFileSync(stateFile, s);
};
log({ args, tokensPresent: fs.existsSync(path.join(process.env.TOKENS_DIR, 'worker')) });
if (args[0] === 'daemon') {
  const pidFile = path.join(dir, node + '.pid');
  fs.writeFileSync(pidFile, String(process.pid));
  const sock = flag('--host').replace('unix://', '');
  const srv = http.createServer((req, res) => {
    res.writeHead(req.url === '/_ping' ? 200 : 404, { swarm: state() });
    res.end('OK');
  });
  srv.listen(sock);
  process.on('SIGTERM', () => {
    log({ signal: 'SIGTERM' });
    srv.close(() => { fs.rmSync(pidFile, { force: true }); process.exit(0); });
  });
} else if (args[0] === 'swarm' && args[1] === 'init') {
  become('active/manager');
} else if (args[0] === 'swarm' && args[1] === 'join-token') {
  if (state() !== 'active/manager') { console.error('not a manager'); process.exit(1); }
  console.log('SWMTKN-stub-' + args[3]);
} else if (args[0] === 'swarm' && args[1] === 'join') {
  const failsFile = path.join(data, 'join-fails');
  const fails = fs.existsSync(failsFile) ? Number(fs.readFileSync(failsFile, 'utf8')) : 0;
  if (fails > 0) {
    fs.writeFileSync(failsFile, String(fails - 1));
    console.error('a membership change is in progress');
    process.exit(1);
  }
  become(flag('--token').endsWith('manager') ? 'active/manager' : 'active/worker');
} else {
  console.error('stub: unexpected call');
  process.exit(2);
}
`;

mkdirSync(BIN);
mkdirSync(TOKENS);
writeFileSync(path.join(BIN, 'tsswarm'), STUB, { mode: 0o755 });

interface Call {
  node: string;
  args?: string[];
  signal?: string;
  tokensPresent?: boolean;
}

interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

const running = new Set<ChildProcess>();

function env(node: string, role: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${BIN}:${process.env['PATH'] ?? ''}`,
    ROLE: role,
    STUB_DIR: TMP,
    TOKENS_DIR: TOKENS,
    TSSWARM_DATA_DIR: path.join(TMP, node),
    TSSWARM_HOST: `unix://${path.join(TMP, `${node}.sock`)}`,
    // TEST-NET-1 (RFC 5737): only written down by the stand-in, never dialled.
    ADVERTISE_ADDR: `192.0.2.${node === 'm1' ? 11 : node === 'm2' ? 12 : 21}`,
    MANAGER: '127.0.0.1',
    POLL: '0.05',
    TRIES: '400',
    JOIN_INTERVAL: '0.05',
    JOIN_TRIES: '20',
    ...extra,
  };
}

function start(node: string, role: string, extra: Record<string, string> = {}): Run {
  const child = spawn(ENTRY, [], { env: env(node, role, extra), stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let err = '';
  child.stderr?.on('data', (b: Buffer) => void (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  return { child, exited, stderr: () => err };
}

function healthy(node: string, role: string): boolean {
  return spawnSync(ENTRY, ['health'], { env: env(node, role) }).status === 0;
}

async function waitFor(what: string, cond: () => boolean, run?: Run): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; script said:\n${run?.stderr() ?? ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function calls(node: string): Call[] {
  const file = path.join(TMP, 'calls.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Call).filter((c) => c.node === node);
}

const verb = (node: string, v: string): Call[] => calls(node).filter((c) => c.args?.[0] === 'swarm' && c.args[1] === v);

async function stop(run: Run, node: string): Promise<void> {
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0, run.stderr());
  assert.ok(calls(node).some((c) => c.signal === 'SIGTERM'), `${node}'s daemon got SIGTERM`);
  assert.ok(!existsSync(path.join(TMP, `${node}.pid`)), `${node}'s daemon exited`);
}

after(() => {
  for (const child of running) child.kill('SIGKILL');
  // Daemons whose script was killed before it could stop them.
  for (const f of readdirSync(TMP).filter((n) => n.endsWith('.pid'))) {
    try {
      process.kill(Number(readFileSync(path.join(TMP, f), 'utf8')), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(TMP, { recursive: true, force: true });
});

test('init publishes fresh tokens, nodes join with them, SIGTERM stops each daemon', async () => {
  // Left by an earlier cluster: must be gone before the new one is created.
  writeFileSync(path.join(TOKENS, 'worker'), 'SWMTKN-stale\n');
  // m2 starts first, as a restarted container might, and waits for its token.
  const m2 = start('m2', 'manager');
  const m1 = start('m1', 'init');
  await waitFor('m1 healthy', () => healthy('m1', 'init'), m1);
  assert.deepEqual(verb('m1', 'init').map((c) => [c.args, c.tokensPresent]),
    [[['swarm', 'init', '--advertise-addr', '192.0.2.11'], false]]);
  assert.equal(readFileSync(path.join(TOKENS, 'worker'), 'utf8'), 'SWMTKN-stub-worker\n');
  assert.equal(readFileSync(path.join(TOKENS, 'manager'), 'utf8'), 'SWMTKN-stub-manager\n');

  await waitFor('m2 healthy', () => healthy('m2', 'manager'), m2);
  assert.deepEqual(verb('m2', 'join').map((c) => c.args),
    [['swarm', 'join', '--token', 'SWMTKN-stub-manager', '--advertise-addr', '192.0.2.12', '127.0.0.1:2377']]);

  // The cluster refuses twice (another membership change in flight); the script retries.
  mkdirSync(path.join(TMP, 'w1'));
  writeFileSync(path.join(TMP, 'w1', 'join-fails'), '2');
  const w1 = start('w1', 'worker', { MANAGER: '127.0.0.1:2377' });
  await waitFor('w1 healthy', () => healthy('w1', 'worker'), w1);
  const joins = verb('w1', 'join').map((c) => c.args);
  assert.equal(joins.length, 3);
  assert.deepEqual(joins[2], ['swarm', 'join', '--token', 'SWMTKN-stub-worker', '--advertise-addr', '192.0.2.21', '127.0.0.1:2377']);

  await stop(w1, 'w1');
  await stop(m2, 'm2');
  await stop(m1, 'm1');
  assert.equal(healthy('m1', 'init'), false, 'no daemon, no health');
});

test('a restarted node resumes: no second init or join, tokens published again', async () => {
  rmSync(path.join(TOKENS, 'worker'));
  rmSync(path.join(TOKENS, 'manager'));
  const m1 = start('m1', 'init');
  const w1 = start('w1', 'worker');
  await waitFor('m1 healthy', () => healthy('m1', 'init'), m1);
  await waitFor('w1 healthy', () => healthy('w1', 'worker'), w1);
  assert.equal(verb('m1', 'init').length, 1);
  assert.equal(verb('w1', 'join').length, 3);
  assert.equal(readFileSync(path.join(TOKENS, 'worker'), 'utf8'), 'SWMTKN-stub-worker\n');
  await stop(w1, 'w1');
  await stop(m1, 'm1');
});

test('a join the cluster keeps refusing ends the script with an error and stops the daemon', async () => {
  mkdirSync(path.join(TMP, 'w2'));
  writeFileSync(path.join(TMP, 'w2', 'join-fails'), '1000');
  const w2 = start('w2', 'worker', { JOIN_TRIES: '3' });
  assert.equal(await w2.exited, 1);
  assert.match(w2.stderr(), /could not join 127\.0\.0\.1 as a worker/);
  assert.equal(verb('w2', 'join').length, 3);
  assert.ok(calls('w2').some((c) => c.signal === 'SIGTERM'));
  await waitFor('w2 daemon gone', () => !existsSync(path.join(TMP, 'w2.pid')));
});

test('an unknown ROLE is refused before anything starts', async () => {
  const run = start('x1', 'leader');
  assert.equal(await run.exited, 2);
  assert.match(run.stderr(), /set ROLE to init, manager or worker \(got "leader"\)/);
  assert.deepEqual(calls('x1'), []);
});
