// A container as the runtime makes it: its own network, mount and UTS namespaces, its
// own /etc/hosts and /etc/resolv.conf, exec into it, stop with an exit status, and
// nothing left behind. Real namespaces, so this runs as root.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Container } from '../../worker/runtime/container.js';
import { run } from '../../shared/run.js';

const prefix = `tsct${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'tsswarm-ctr-'));
const made: Container[] = [];

after(async () => {
  await Promise.allSettled(made.map((c) => c.remove()));
  rmSync(dir, { recursive: true, force: true });
  const left = (await run(['ip', 'netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(prefix));
  assert.deepEqual(left, [], 'no namespace left behind');
});

test('a container has its own hostname, /etc files and network namespace; exec enters it; stop reports the exit', async () => {
  const c = await Container.start({
    netns: `${prefix}-a`,
    hostname: 'web-1',
    hosts: '127.0.0.1\tlocalhost\n10.0.0.2\tweb-1\n',
    resolvConf: 'nameserver 127.0.0.11\noptions ndots:0\n',
    cmd: ['sh', '-c', 'echo started; trap "exit 3" TERM; while :; do sleep 0.1; done'],
    logFile: path.join(dir, 'a.log'),
  });
  made.push(c);
  assert.equal(c.status().status, 'running');
  assert.equal((await c.exec(['hostname'])).stdout.trim(), 'web-1');
  assert.match((await c.exec(['cat', '/etc/hosts'])).stdout, /10\.0\.0\.2\tweb-1/);
  assert.match((await c.exec(['cat', '/etc/resolv.conf'])).stdout, /nameserver 127\.0\.0\.11/);
  const links = (await c.exec(['ip', '-o', 'link'])).stdout.trim().split('\n');
  assert.equal(links.length, 1, 'only lo until the overlay attaches it');
  assert.match(links[0]!, /: lo:.*UP/);
  // The host's own files are untouched.
  assert.doesNotMatch(readFileSync('/etc/resolv.conf', 'utf8'), /127\.0\.0\.11/);
  await c.stop(5_000);
  const st = c.status();
  assert.equal(st.status, 'exited');
  assert.equal(st.status === 'exited' ? st.exitCode : -1, 3);
  assert.match(readFileSync(path.join(dir, 'a.log'), 'utf8'), /started/);
  await c.remove();
  assert.ok(!existsSync(`/etc/netns/${prefix}-a`));
  assert.ok(!existsSync(`/run/netns/${prefix}-a`));
});

test('a container outlives the object that started it: adopted by pid, it can be exec\'d and stopped, and its exit code is read back', async () => {
  const spec = {
    netns: `${prefix}-c`,
    hostname: 'keeper',
    hosts: '127.0.0.1\tlocalhost\n',
    resolvConf: '',
    cmd: ['sh', '-c', 'trap "exit 5" TERM; while :; do sleep 0.1; done'],
    logFile: path.join(dir, 'c', 'log'),
  };
  const first = await Container.start(spec);
  made.push(first);
  const proc = first.processId();
  assert.ok(proc && proc.startTime !== '');
  first.release();
  // A new daemon: same pid and start time, so it is the same container.
  const second = await Container.adopt(spec, proc);
  made.push(second);
  assert.equal(second.status().status, 'running');
  assert.equal((await second.exec(['hostname'])).stdout.trim(), 'keeper');
  const exited = new Promise((resolve) => second.onExit(resolve));
  await second.stop(5_000);
  await exited;
  const st = second.status();
  assert.equal(st.status === 'exited' ? st.exitCode : -1, 5, 'the shim recorded the command\'s own exit code');
  // A recorded pid whose start time does not match is another process: not adopted.
  const stale = await Container.adopt(spec, { pid: process.pid, startTime: '1' });
  assert.equal(stale.status().status, 'exited');
  await second.remove();
});

test('bad names and empty commands are refused before anything is made', async () => {
  await assert.rejects(Container.start({ netns: 'bad name', hostname: 'x', hosts: '', resolvConf: '', cmd: ['true'], logFile: path.join(dir, 'x.log') }), /invalid namespace name/);
  await assert.rejects(Container.start({ netns: `${prefix}-b`, hostname: 'x;y', hosts: '', resolvConf: '', cmd: ['true'], logFile: path.join(dir, 'x.log') }), /invalid hostname/);
  await assert.rejects(Container.start({ netns: `${prefix}-b`, hostname: 'x', hosts: '', resolvConf: '', cmd: [], logFile: path.join(dir, 'x.log') }), /needs a command/);
  assert.ok(!existsSync(`/run/netns/${prefix}-b`));
});
