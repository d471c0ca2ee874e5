import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { withDaemon } from './fake-daemon.js';
import { runCli } from './run.js';
import { config } from './fixtures.js';

test('config create reads a file or stdin and sends Name, Labels and base64 Data', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsswarm-cli-'));
  try {
    const file = path.join(dir, 'app.conf');
    writeFileSync(file, 'listen 80;\n');
    await withDaemon({ 'POST /configs/create': { status: 201, body: { ID: 'cfgid0000000000000000000a' } } }, async (d) => {
      const r = await runCli(['config', 'create', '-l', 'env=prod', '--label', 'tier', 'app', file], { host: d.host });
      assert.equal(r.err, '');
      assert.equal(r.out, 'cfgid0000000000000000000a\n');
      assert.deepEqual(d.requests[0]!.body, {
        Name: 'app',
        Labels: { env: 'prod', tier: '' },
        Data: Buffer.from('listen 80;\n').toString('base64'),
      });
      const s = await runCli(['config', 'create', 'fromstdin', '-'], { host: d.host, stdin: 'hello' });
      assert.equal(s.out, 'cfgid0000000000000000000a\n');
      assert.deepEqual(d.requests[1]!.body, { Name: 'fromstdin', Labels: {}, Data: Buffer.from('hello').toString('base64') });
      const empty = await runCli(['config', 'create', 'x', '-'], { host: d.host });
      assert.equal(empty.err, 'tsswarm: error reading content from "-": error reading from STDIN: data is empty\n');
      const missing = await runCli(['config', 'create', 'x', path.join(dir, 'missing')], { host: d.host });
      assert.match(missing.err, /^tsswarm: error reading content from ".*missing": error reading from .*missing: ENOENT/);
      assert.equal(missing.code, 1);
      assert.equal(d.requests.length, 2);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config ls: full IDs, sorted by name, docker\'s human durations', async () => {
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  const configs = [
    config('id-10', 'cfg-10', iso(3 * 3600_000), iso(90_000)),
    config('id-2', 'cfg-2', iso(10 * 24 * 3600_000), iso(10 * 24 * 3600_000)),
  ];
  await withDaemon({ 'GET /configs': { body: configs } }, async (d) => {
    const r = await runCli(['config', 'ls', '-f', 'name=cfg'], { host: d.host });
    assert.equal(
      r.out,
      'ID        NAME      CREATED       UPDATED\n' +
        'id-2      cfg-2     10 days ago   10 days ago\n' +
        'id-10     cfg-10    3 hours ago   About a minute ago\n',
    );
    assert.equal(d.requests[0]!.query.filters, '{"name":{"cfg":true}}');
    assert.equal((await runCli(['config', 'ls', '-q'], { host: d.host })).out, 'id-2\nid-10\n');
    assert.equal((await runCli(['config', 'ls', '--format', '{{.Name}} {{.Labels}}'], { host: d.host })).out, 'cfg-2 env=prod\ncfg-10 env=prod\n');
  });
});

test('config inspect: JSON, --format, --pretty', async () => {
  const c = config('cfgid', 'app', '2024-05-01T10:00:00.5Z', '2024-05-01T10:00:00Z');
  await withDaemon({ 'GET /configs/app': { body: c } }, async (d) => {
    assert.equal((await runCli(['config', 'inspect', 'app'], { host: d.host })).out, JSON.stringify([c], null, 4) + '\n');
    assert.equal((await runCli(['config', 'inspect', '--format', '{{json .Spec.Labels}}', 'app'], { host: d.host })).out, '{"env":"prod"}\n');
    const p = await runCli(['config', 'inspect', '--pretty', 'app'], { host: d.host });
    assert.equal(
      p.out,
      'ID:\t\t\tcfgid\nName:\t\t\tapp\nLabels:\n - env=prod\n' +
        'Created at:            \t2024-05-01 10:00:00.5 +0000 utc\n' +
        'Updated at:            \t2024-05-01 10:00:00 +0000 utc\n' +
        'Data:\npayload here\n',
    );
  });
});

test('config rm prints each removed config and reports the others', async () => {
  const routes = { 'DELETE /configs/a': { status: 204 }, 'DELETE /configs/b': { status: 404, body: { message: 'config b not found' } } };
  await withDaemon(routes, async (d) => {
    const r = await runCli(['config', 'rm', 'a', 'b'], { host: d.host });
    assert.equal(r.out, 'a\n');
    assert.equal(r.err, 'Error response from daemon: config b not found\n');
    assert.equal(r.code, 1);
  });
});
