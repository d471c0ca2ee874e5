// The cluster on real hosts: 3 managers + 2 workers, each a daemon in its own network
// namespace, formed and driven through the CLI. The tests run in order on one lab,
// from formation to the destructive ones (quorum loss) at the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab } from '../harness/lab.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROBE = path.join(HERE, 'probe.js');

let lab: Lab;

interface Run { code: number; stdout: string; stderr: string }

async function ok(host: string, args: string[]): Promise<string> {
  const r = await lab.tsswarm(host, args);
  assert.equal(r.code, 0, `tsswarm ${args.join(' ')} on ${host} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(200);
  }
}

/** An Engine API call straight to a host's daemon socket (the test runs outside the namespaces). */
function api(host: string, method: string, url: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const socketPath = lab.host(host).socket;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: url, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = text;
        try { json = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

interface NodeRow { id: string; hostname: string; status: string; availability: string; manager: string }

async function nodeLs(host: string): Promise<NodeRow[]> {
  const out = await ok(host, ['node', 'ls', '--format', '{{.ID}}|{{.Hostname}}|{{.Status}}|{{.Availability}}|{{.ManagerStatus}}']);
  return out.trim().split('\n').map((l) => {
    const [id, hostname, status, availability, manager] = l.split('|') as [string, string, string, string, string];
    return { id, hostname, status, availability, manager };
  }).sort((a, b) => a.hostname.localeCompare(b.hostname));
}

async function leaderHost(from: string): Promise<string> {
  return until('a leader', 15_000, async () => (await nodeLs(from)).find((r) => r.manager === 'Leader')?.hostname);
}

interface NetInfo { name: string; subnet: string; vni: string }

async function networks(host: string): Promise<NetInfo[]> {
  const r = await api(host, 'GET', '/v1.47/networks');
  assert.equal(r.status, 200, `GET /networks on ${host}: ${JSON.stringify(r.json)}`);
  return (r.json as { Name: string; IPAM: { Config: { Subnet: string }[] }; Options: Record<string, string> }[]).map((n) => ({
    name: n.Name,
    subnet: n.IPAM.Config[0]?.Subnet ?? '',
    vni: n.Options['com.docker.network.driver.overlay.vxlanid_list'] ?? '',
  })).sort((a, b) => a.name.localeCompare(b.name));
}

const HOSTS = ['m1', 'm2', 'm3', 'w1', 'w2'];

before(async () => {
  lab = await Lab.up({ managers: 3, workers: 2 });
});

after(async () => {
  await lab?.down();
});

test('3 managers + 2 workers formed through the CLI agree on node ls', async () => {
  const views = await until('every node Ready in every view', 30_000, async () => {
    const all = await Promise.all(HOSTS.map((h) => nodeLs(h)));
    return all.every((v) => v.length === 5 && v.every((r) => r.status === 'Ready')) ? all : undefined;
  });
  const ids = (v: NodeRow[]): string => v.map((r) => `${r.id} ${r.hostname}`).join('\n');
  for (const v of views) assert.equal(ids(v), ids(views[0]!));
  const first = views[0]!;
  assert.deepEqual(first.map((r) => r.hostname), HOSTS);
  assert.equal(first.filter((r) => r.manager === 'Leader').length, 1);
  assert.equal(first.filter((r) => r.manager === 'Reachable').length, 2);
  assert.deepEqual(first.filter((r) => r.hostname.startsWith('w')).map((r) => r.manager), ['', '']);

  // The stock docker client, pointed at a worker's socket, sees the same table.
  const d = await lab.docker('w1', ['node', 'ls']);
  assert.equal(d.code, 0, d.stderr);
  const lines = d.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION$/);
  const rows = lines.slice(1).map((l) => l.replace(' * ', '   ').trim().split(/\s+/));
  assert.equal(rows.length, 5);
  assert.deepEqual(rows.map((r) => r[1]).sort(), HOSTS);
  assert.ok(lines.some((l) => /\s\*\s+w1\s/.test(l)), 'docker marks the node it talks to with *');
});

test('an overlay network created on a worker is visible everywhere with Docker\'s fields', async () => {
  const id = (await ok('w1', ['network', 'create', '-d', 'overlay', '--attachable', '--opt', 'encrypted', 'app-overlay'])).trim();
  assert.match(id, /^[0-9a-z]{25}$/);
  for (const h of HOSTS) {
    assert.equal((await ok(h, ['network', 'inspect', 'app-overlay', '--format', '{{.Driver}}'])).trim(), 'overlay');
  }
  const d = await lab.docker('m2', ['network', 'inspect', 'app-overlay', '--format', '{{.Driver}} {{.Scope}} {{.Attachable}} {{index .Options "encrypted"}}|{{json .IPAM.Config}}']);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout.trim(), /^overlay swarm true \|\[\{"Subnet":"10\.0\.\d+\.0\/24","Gateway":"10\.0\.\d+\.1"\}\]$/);
});

test('50 networks created concurrently from every node get distinct subnets and VNIs; removing them frees all', async () => {
  const before = await networks('m1');
  let lowestSubnet = '';
  let lowestVni = 0;
  const ipNum = (cidr: string): number => cidr.split('/')[0]!.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const names = Array.from({ length: 50 }, (_, i) => `par-${i}`);
  const created = await Promise.all(names.map((name, i) => api(HOSTS[i % HOSTS.length]!, 'POST', '/v1.47/networks/create', { Name: name, Driver: 'overlay', CheckDuplicate: true })));
  for (const r of created) assert.equal(r.status, 201, JSON.stringify(r.json));
  for (const h of HOSTS) {
    const all = await until(`50 networks on ${h}`, 10_000, async () => {
      const n = await networks(h);
      return n.length === before.length + 50 ? n : undefined;
    });
    const par = all.filter((n) => n.name.startsWith('par-'));
    assert.equal(new Set(par.map((n) => n.subnet)).size, 50, `distinct subnets on ${h}`);
    assert.equal(new Set(par.map((n) => n.vni)).size, 50, `distinct VNIs on ${h}`);
    const others = new Set(before.flatMap((n) => [n.subnet, n.vni]));
    assert.ok(par.every((n) => !others.has(n.subnet) && !others.has(n.vni)), 'no clash with networks made before');
    lowestSubnet = par.map((n) => n.subnet).sort((x, y) => ipNum(x) - ipNum(y))[0]!;
    lowestVni = Math.min(...par.map((n) => Number(n.vni)));
  }
  const removed = await Promise.all(names.map((name, i) => api(HOSTS[(i + 2) % HOSTS.length]!, 'DELETE', `/v1.47/networks/${name}`)));
  for (const r of removed) assert.equal(r.status, 204, JSON.stringify(r.json));
  for (const h of HOSTS) await until(`only the earlier networks on ${h}`, 10_000, async () => ((await networks(h)).length === before.length ? true : undefined));
  // Freed: the next network gets the lowest subnet and VNI the 50 had.
  const again = await api('w2', 'POST', '/v1.47/networks/create', { Name: 'again', Driver: 'overlay' });
  assert.equal(again.status, 201);
  const a = (await networks('m3')).find((n) => n.name === 'again')!;
  assert.equal(a.subnet, lowestSubnet, 'the lowest freed subnet is handed out again');
  assert.equal(Number(a.vni), lowestVni, 'the lowest freed VNI is handed out again');
  await ok('m1', ['network', 'rm', 'again']);
});

test('wrong token, rotated token, another cluster\'s certificate and a removed node are refused; nothing is written', async () => {
  const count = async (): Promise<number> => (await nodeLs('m1')).length;
  const n0 = await count();
  const oldToken = (await ok('m1', ['swarm', 'join-token', '-q', 'worker'])).trim();
  // w2 leaves, so it can try to join again.
  await ok('w2', ['swarm', 'leave']);
  const m1 = lab.host('m1').ip;
  const w2 = lab.host('w2').ip;
  const bad = oldToken.slice(0, -5) + (oldToken.endsWith('aaaaa') ? 'bbbbb' : 'aaaaa');
  const wrong = await lab.tsswarm('w2', ['swarm', 'join', '--token', bad, '--advertise-addr', w2, `${m1}:2377`]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /join token was not accepted/);
  await ok('m1', ['swarm', 'join-token', '--rotate', 'worker']);
  const rotated = await lab.tsswarm('w2', ['swarm', 'join', '--token', oldToken, '--advertise-addr', w2, `${m1}:2377`]);
  assert.notEqual(rotated.code, 0);
  assert.match(rotated.stderr, /wrong or has been rotated/);
  assert.equal(await count(), n0, 'refused joins add no node');
  // A certificate from another CA, presented to a manager's control API, is refused.
  const probe = await lab.exec('w1', ['node', PROBE, 'foreign-cert', `${m1}:2377`, path.join(lab.host('w1').dataDir, 'swarm', 'certs', 'ca.pem')]);
  assert.equal(probe.code, 0, probe.stderr);
  assert.match(probe.stdout, /^REFUSED .*(not issued by this cluster's CA|certificate from this cluster's CA is required)/);
  // Rejoin with the current token, then remove w1 while it runs: its certificate stops working.
  const token = (await ok('m1', ['swarm', 'join-token', '-q', 'worker'])).trim();
  await ok('w2', ['swarm', 'join', '--token', token, '--advertise-addr', w2, `${m1}:2377`]);
  const w1Id = (await nodeLs('m1')).find((r) => r.hostname === 'w1')!.id;
  await ok('m1', ['node', 'rm', '--force', w1Id]);
  // At once its calls are refused (its certificate is revoked); at its next heartbeat it
  // learns it was removed and leaves the swarm on its own, as swarm's agent does.
  const refused = await until('w1\'s calls to be refused', 10_000, async () => {
    const r = await lab.tsswarm('w1', ['node', 'ls']);
    return r.code !== 0 ? r : undefined;
  });
  assert.match(refused.stderr, /was removed from the swarm|not part of a swarm/);
  await until('w1 to leave the swarm by itself', 20_000, async () =>
    /not part of a swarm/.test((await lab.tsswarm('w1', ['node', 'ls'])).stderr) ? true : undefined);
  assert.ok(!(await nodeLs('m1')).some((r) => r.id === w1Id), 'w1 is gone from the node list');
  // Let w1 join again so the later tests have their 5 nodes.
  await ok('w1', ['swarm', 'join', '--token', token, '--advertise-addr', lab.host('w1').ip, `${m1}:2377`]);
  await until('5 nodes again', 20_000, async () => ((await nodeLs('m1')).filter((r) => r.status === 'Ready').length === 5 ? true : undefined));
});

test('a partitioned minority manager serves no writes; the majority goes on; after heal it catches up', async () => {
  const leader = await leaderHost('w1');
  const minority = ['m1', 'm2', 'm3'].find((h) => h !== leader)!;
  await lab.partition(minority);
  try {
    await ok(leader, ['network', 'create', 'during-partition-1']);
    await ok('w1', ['network', 'create', 'during-partition-2']);
    const r: Run = await lab.tsswarm(minority, ['network', 'create', 'on-the-minority']);
    assert.notEqual(r.code, 0, 'the minority must not acknowledge a write');
    const read: Run = await lab.tsswarm(minority, ['network', 'ls']);
    assert.notEqual(read.code, 0, 'the minority must not serve a (possibly stale) linearizable read');
  } finally {
    await lab.heal(minority);
  }
  const seen = await until(`${minority} to catch up`, 20_000, async () => {
    const names = (await networks(minority)).map((n) => n.name);
    return names.includes('during-partition-1') && names.includes('during-partition-2') ? names : undefined;
  });
  assert.ok(!seen.includes('on-the-minority'));
  for (const h of HOSTS) assert.ok(!(await networks(h)).some((n) => n.name === 'on-the-minority'), `no unacknowledged write on ${h}`);
});

test('killing the leader: network create succeeds through a survivor within seconds; the killed node catches up', async (t) => {
  const leader = await leaderHost('w2');
  await lab.kill(leader);
  const t0 = Date.now();
  const survivor = ['m1', 'm2', 'm3'].find((h) => h !== leader)!;
  // Straight to the survivor's socket, so the figure is the cluster's, not the CLI's start-up.
  let attempts = 0;
  let lastError = '';
  await until('a write through a survivor', 15_000, async () => {
    attempts++;
    const r = await api(survivor, 'POST', '/v1.47/networks/create', { Name: 'after-failover', Driver: 'overlay' });
    if (r.status !== 201) lastError = JSON.stringify(r.json);
    return r.status === 201 ? true : undefined;
  });
  const failoverMs = Date.now() - t0;
  assert.ok(failoverMs < 10_000, `write took ${failoverMs} ms after the leader died`);
  t.diagnostic(`first write through a survivor succeeded ${failoverMs} ms after SIGKILL of the leader's daemon (${attempts} attempt(s)${lastError ? `; last refusal: ${lastError}` : ''})`);
  await ok('w2', ['network', 'inspect', 'after-failover']);
  await lab.restart(leader);
  await until(`${leader} to catch up`, 20_000, async () => ((await networks(leader)).some((n) => n.name === 'after-failover') ? true : undefined));
});

test('quorum loss is reported plainly, and init --force-new-cluster on the survivor keeps the networks', async () => {
  const existing = (await networks('m1')).map((n) => n.name);
  assert.ok(existing.includes('app-overlay') && existing.includes('after-failover'));
  const [survivor, ...doomed] = ['m1', 'm2', 'm3'];
  for (const h of doomed) await lab.kill(h!);
  const r = await lab.tsswarm(survivor!, ['network', 'create', 'no-quorum']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /does not have a leader/);
  assert.match(r.stderr, /--force-new-cluster/);
  await ok(survivor!, ['swarm', 'init', '--force-new-cluster', '--advertise-addr', lab.host(survivor!).ip]);
  const after = await until('the survivor to lead alone', 15_000, async () => {
    const res = await api(survivor!, 'GET', '/v1.47/networks');
    return res.status === 200 ? (res.json as { Name: string }[]).map((n) => n.Name) : undefined;
  });
  for (const name of existing) assert.ok(after.includes(name), `${name} survived`);
  await ok(survivor!, ['network', 'create', 'after-recovery']);
  // Workers find the new single manager on their own.
  await until('w1 to reach the survivor', 30_000, async () => ((await lab.tsswarm('w1', ['network', 'inspect', 'after-recovery'])).code === 0 ? true : undefined));
});
