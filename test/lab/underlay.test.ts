// The lab's underlay on its own (--bare: namespaces and links, no daemons): hosts reach
// each other and nothing else, `lab exec` puts commands on the right host, partitions
// cut both ways and heal, names are not reused, and `down` leaves nothing behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { Lab, labCli } from '../harness/lab.js';
import { run } from '../../lab/run.js';

/** Any port works: each host has its own namespace. */
const PORT = 7007;

/** A TCP echo server on ADDR:PORT, inside a host; prints "ready" once listening. */
const ECHO_SERVER = `
const [addr, port] = process.argv.slice(1);
require('net').createServer((s) => { s.on('error', () => {}); s.pipe(s); })
  .listen(Number(port), addr, () => console.log('ready'));
`;

/** Sends a token to ADDR:PORT and exits 0 only if it comes back within MS. */
const ECHO_CLIENT = `
const [addr, port, token, ms] = process.argv.slice(1);
const s = require('net').connect(Number(port), addr);
let got = '';
s.on('connect', () => s.write(token));
s.on('data', (d) => { got += d; if (got === token) { console.log(got); process.exit(0); } });
s.on('error', (e) => { console.error(e.message); process.exit(1); });
setTimeout(() => { console.error('timed out'); process.exit(1); }, Number(ms));
`;

let lab: Lab | undefined;
const servers = new Map<string, ChildProcess>();

function theLab(): Lab {
  assert.ok(lab, 'the lab is up');
  return lab;
}

/** Whether a TCP round trip from one host to another's echo server works within ms. */
async function reaches(from: string, to: string, ms = 3_000): Promise<boolean> {
  const l = theLab();
  const token = `${from}->${to}`;
  const r = await l.exec(from, [process.execPath, '-e', ECHO_CLIENT, '--', l.host(to).ip, String(PORT), token, String(ms)], { timeoutMs: ms + 10_000 });
  return r.code === 0 && r.stdout.trim() === token;
}

async function startEcho(host: string): Promise<ChildProcess> {
  const l = theLab();
  const child = await l.spawn(host, [process.execPath, '-e', ECHO_SERVER, '--', l.host(host).ip, String(PORT)]);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) resolve();
    });
    child.stderr!.on('data', (c: Buffer) => void (err += c.toString()));
    child.once('exit', (code) => reject(new Error(`echo server on ${host} exited ${code}: ${err}`)));
  });
  return child;
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Pids of processes whose command line mentions s. */
async function processesMentioning(s: string): Promise<number[]> {
  const found: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const cmdline = await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(s)) found.push(Number(e));
  }
  return found;
}

before(async () => {
  lab = await Lab.up({ managers: 2, workers: 1, bare: true });
  for (const h of lab.hosts) servers.set(h.name, await startEcho(h.name));
});

after(async () => {
  try {
    await lab?.down();
  } finally {
    // Only if down failed to: the servers are the test's own children.
    for (const s of servers.values()) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
  }
});

test('hosts m1, m2, w1 have their underlay address and reach each other, and nothing else', async () => {
  const l = theLab();
  assert.deepEqual(l.hosts.map((h) => `${h.name} ${h.role}`), ['m1 manager', 'm2 manager', 'w1 worker']);
  assert.equal(new Set(l.hosts.map((h) => h.ip)).size, 3);
  for (const h of l.hosts) {
    assert.ok(h.netns.startsWith(`ts${l.name}-`), `${h.netns} carries the lab prefix`);
    const addr = await l.exec(h.name, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
    assert.equal(addr.code, 0, addr.stderr);
    assert.match(addr.stdout, new RegExp(`inet ${h.ip.replace(/\./g, '\\.')}/24 `));
    // Only the underlay's own subnet is routed: no default route, so no way out of the lab.
    const routes = await l.exec(h.name, ['ip', '-4', 'route', 'show']);
    assert.equal(routes.stdout.trim().split('\n').length, 1, routes.stdout);
    assert.match(routes.stdout, new RegExp(`^${l.subnet.replace(/\./g, '\\.')} dev eth0 `));
  }
  for (const from of l.hosts) {
    for (const to of l.hosts) {
      if (from !== to) assert.ok(await reaches(from.name, to.name), `${from.name} reaches ${to.name}`);
    }
  }
});

test('lab exec runs on the host with TSSWARM_HOST, DOCKER_HOST and the tsswarm shim, and returns the exit code', async () => {
  const l = theLab();
  const w1 = l.host('w1');
  const script = 'echo "$TSSWARM_HOST|$DOCKER_HOST"; command -v tsswarm; ip -o -4 addr show dev eth0; exit 7';
  const r = await labCli(['exec', '--name', l.name, 'w1', '--', 'sh', '-c', script]);
  assert.equal(r.code, 7, r.stderr);
  const [hostLine, shimLine, addrLine] = r.stdout.trim().split('\n');
  assert.equal(hostLine, `unix://${w1.socket}|unix://${w1.socket}`);
  assert.equal(shimLine, `${l.dir}/bin/tsswarm`);
  assert.match(addrLine!, new RegExp(`inet ${w1.ip.replace(/\./g, '\\.')}/`));

  // The shim runs this repository's CLI.
  const v = await l.tsswarm('m1', ['--version']);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+/);

  const missing = await labCli(['exec', '--name', l.name, 'w9', '--', 'true']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no host "w9"/);
});

test('lab ls shows each host with role, underlay address and link state', async () => {
  const l = theLab();
  const r = await l.ls();
  assert.equal(r.code, 0, r.stderr);
  for (const h of l.hosts) {
    assert.match(r.stdout, new RegExp(`^${h.name}\\s+${h.role}\\s+${h.ip.replace(/\./g, '\\.')}\\s+none\\s+connected\\s+${h.netns}$`, 'm'));
  }
});

test('a partitioned host reaches no one and no one reaches it; heal restores both ways', async () => {
  const l = theLab();
  await l.partition('w1');
  try {
    assert.equal(await reaches('w1', 'm1', 1_500), false, 'w1 cannot reach m1');
    assert.equal(await reaches('m1', 'w1', 1_500), false, 'm1 cannot reach w1');
    assert.equal(await reaches('m2', 'w1', 1_500), false, 'm2 cannot reach w1');
    assert.ok(await reaches('m1', 'm2'), 'the rest of the underlay still works');
    assert.match((await l.ls()).stdout, /^w1\s.*\spartitioned\s/m);
    // What runs on the host keeps running.
    assert.equal(servers.get('w1')!.exitCode, null);
  } finally {
    await l.heal('w1');
  }
  assert.match((await l.ls()).stdout, /^w1\s.*\sconnected\s/m);
  assert.ok(await reaches('w1', 'm1'), 'w1 reaches m1 again');
  assert.ok(await reaches('m1', 'w1'), 'm1 reaches w1 again');
});

test('up refuses a name in use or malformed, and leaves the existing lab alone', async () => {
  const l = theLab();
  const again = await labCli(['up', '--name', l.name, '--bare']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, new RegExp(`a lab named "${l.name}" already exists`));
  await assert.rejects(Lab.up({ name: l.name, bare: true }), /already exists/);

  for (const bad of ['Upper', 'has-dash', 'ninechars']) {
    const r = await labCli(['up', '--name', bad, '--bare']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /invalid lab name/);
  }
  assert.ok(await reaches('m1', 'w1'), 'the existing lab still works');
});

test('down removes every namespace, link, process and directory; a second down finds nothing', async () => {
  const l = theLab();
  const prefix = `ts${l.name}-`;
  assert.ok(existsSync(l.dir));
  await l.down();

  const netns = await run(['ip', 'netns', 'list']);
  assert.equal(netns.code, 0, netns.stderr);
  assert.deepEqual(netns.stdout.split('\n').filter((n) => n.startsWith(prefix)), []);
  const links = await run(['ip', '-o', 'link', 'show']);
  assert.equal(links.code, 0, links.stderr);
  assert.deepEqual(links.stdout.split('\n').filter((n) => n.includes(prefix)), []);
  assert.equal(existsSync(l.dir), false, `${l.dir} is gone`);
  // The echo servers were left running on purpose: down must stop what runs on its hosts.
  for (const [host, s] of servers) assert.ok(await exited(s, 5_000), `the echo server on ${host} was stopped`);
  assert.deepEqual(await processesMentioning(prefix), []);
  assert.deepEqual(await processesMentioning(l.dir), []);

  const second = await labCli(['down', '--name', l.name]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /nothing to remove/);
  const ls = await labCli(['ls', '--name', l.name]);
  assert.notEqual(ls.code, 0);
  assert.match(ls.stderr, /no lab named/);
});
