// How failures reach the user: the daemon's words, connection trouble, bad flags; in
// process and as a real `tsswarm` process (exit codes, stderr).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient, DaemonError, parseHost, resolveHost } from '../../../cli/client.js';
import { failsWith } from '../errors.js';
import { withDaemon } from './fake-daemon.js';
import { runCli } from './run.js';
import { NODES } from './fixtures.js';

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'entry.js');

function spawnCli(args: string[], env: Record<string, string>): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ out, err, code }));
  });
}

function missingSocket(): { host: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsswarm-cli-'));
  return { host: `unix://${path.join(dir, 'missing.sock')}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('a 404 with a message: "Error response from daemon: <message>" on stderr, exit 1', async () => {
  await withDaemon({ 'GET /nodes/ghost': { status: 404, body: { message: 'node ghost not found' } } }, async (d) => {
    const r = await runCli(['node', 'promote', 'ghost'], { host: d.host });
    assert.equal(r.out, '');
    assert.equal(r.err, 'Error response from daemon: node ghost not found\n');
    assert.equal(r.code, 1);
  });
});

test('the client turns error answers into DaemonError with the daemon\'s message and a code', async () => {
  const routes = {
    'GET /a': { status: 409, body: { message: '  name exists  ' } },
    'GET /b': { status: 500, body: { other: 1 } },
    'GET /c': { status: 503 },
  };
  await withDaemon(routes, async (d) => {
    const api = new ApiClient(d.host);
    await assert.rejects(api.call('GET', '/a'), (e) => e instanceof DaemonError && e.status === 409 && failsWith('Conflict', 'name exists')(e));
    await assert.rejects(api.call('GET', '/b'), failsWith('Unavailable', 'API returned a 500 (Internal Server Error) but provided no error-message'));
    await assert.rejects(api.call('GET', '/c'), (e) => !(e instanceof DaemonError) && failsWith('Unavailable', /request returned 503 Service Unavailable/)(e));
    await assert.rejects(api.nodeInspect('  '), failsWith('Invalid', 'invalid node name or ID: value is empty'));
  });
});

test('no daemon: the "Cannot connect" message naming the host, exit 1', async () => {
  const { host, cleanup } = missingSocket();
  try {
    const r = await runCli(['node', 'ls'], { host });
    assert.equal(r.err, `tsswarm: Cannot connect to the tsswarm daemon at ${host}. Is the daemon running? (tsswarm daemon)\n`);
    assert.equal(r.code, 1);
  } finally {
    cleanup();
  }
});

test('host selection: -H, then TSSWARM_HOST, then the default socket; bad hosts refused', () => {
  assert.equal(resolveHost('unix:///x.sock', { TSSWARM_HOST: 'tcp://127.0.0.1:1' }), 'unix:///x.sock');
  assert.equal(resolveHost(undefined, { TSSWARM_HOST: 'tcp://127.0.0.1:1' }), 'tcp://127.0.0.1:1');
  assert.equal(resolveHost(undefined, {}), 'unix:///run/tsswarm/tsswarm.sock');
  assert.deepEqual(parseHost('unix:///run/x.sock'), { kind: 'unix', socketPath: '/run/x.sock', url: 'unix:///run/x.sock' });
  assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { kind: 'tcp', host: '127.0.0.1', port: 2375, url: 'tcp://127.0.0.1:2375' });
  assert.deepEqual(parseHost('http://[::1]:80'), { kind: 'tcp', host: '::1', port: 80, url: 'http://[::1]:80' });
  assert.throws(() => parseHost('tcp://127.0.0.1'), failsWith('Invalid', /expected HOST:PORT/));
  assert.throws(() => parseHost('ssh://h'), failsWith('Invalid', /unknown scheme/));
  assert.throws(() => parseHost('unix://'), failsWith('Invalid', /no socket path/));
});

test('as a process: no daemon → stderr message and exit 1; -H wins over TSSWARM_HOST', async () => {
  const { host, cleanup } = missingSocket();
  try {
    const r = await spawnCli(['node', 'ls'], { TSSWARM_HOST: host });
    assert.equal(r.out, '');
    assert.equal(r.err, `tsswarm: Cannot connect to the tsswarm daemon at ${host}. Is the daemon running? (tsswarm daemon)\n`);
    assert.equal(r.code, 1);
    await withDaemon({ 'GET /nodes': { body: NODES }, 'GET /info': { status: 500, body: { message: 'boom' } } }, async (d) => {
      const ok = await spawnCli(['-H', d.host, 'node', 'ls', '-q'], { TSSWARM_HOST: host });
      assert.equal(ok.err, '');
      assert.equal(ok.code, 0);
      assert.equal(ok.out.split('\n').length, 4);
      // The global flag may also follow the verb, as docker's may.
      const after = await spawnCli(['node', 'ls', '--host', d.host], { TSSWARM_HOST: host });
      assert.equal(after.err, 'Error response from daemon: boom\n');
      assert.equal(after.code, 1);
    });
  } finally {
    cleanup();
  }
});

test('as a process: a bad flag exits non-zero with commander\'s message', async () => {
  const r = await spawnCli(['network', 'ls', '--bogus'], { TSSWARM_HOST: 'unix:///nonexistent/tsswarm.sock' });
  assert.notEqual(r.code, 0);
  assert.match(r.err, /unknown option '--bogus'/);
  const missing = await spawnCli(['node', 'promote'], { TSSWARM_HOST: 'unix:///nonexistent/tsswarm.sock' });
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /missing required argument 'node'/);
});
