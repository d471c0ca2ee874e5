// Three managers as separate OS processes on 127.0.0.1, real TLS, real LevelDB.
// Every write that was acknowledged must survive SIGKILL of the leader, and then
// SIGKILL of every manager at once, byte for byte on every member.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { CLI, ManagerCluster, leaderAmong, raftStatus, sleep, until, type ManagerProc } from '../harness/managers.js';

/** Creates a config; resolves to its id if acknowledged, null if refused or timed out. */
async function create(m: ManagerProc, name: string, data: Buffer): Promise<string | null> {
  try {
    const r = await fetch(`${m.api}/configs/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Name: name, Data: data.toString('base64') }),
      signal: AbortSignal.timeout(3000),
    });
    if (r.status !== 201) return null;
    return ((await r.json()) as { ID: string }).ID;
  } catch {
    return null;
  }
}

interface Acked {
  id: string;
  name: string;
  data: Buffer;
}

async function writeMany(targets: ManagerProc[], n: number, tag: string, acked: Acked[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const name = `${tag}-${i}`;
    const data = randomBytes(64 + (i % 200));
    const id = await create(targets[i % targets.length]!, name, data);
    if (id) acked.push({ id, name, data });
  }
}

function waitCaughtUp(c: ManagerCluster): Promise<boolean> {
  return until('every member to apply the leader\'s commit index', async () => {
    const sts = await Promise.all(c.members.map(raftStatus));
    const leader = sts.find((s) => s?.role === 'leader');
    return leader != null && sts.every((s) => s && s.applied >= leader.commit);
  });
}

/** Every acknowledged config, read back from each member's own state machine. */
async function assertAllPresent(c: ManagerCluster, acked: Acked[]): Promise<void> {
  for (const m of c.members) {
    const r = await fetch(`${m.api}/configs`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(r.status, 200, `list on ${m.id}`);
    const list = (await r.json()) as { ID: string; Spec: { Name: string; Data: string } }[];
    const byId = new Map(list.map((c) => [c.ID, c]));
    for (const a of acked) {
      const got = byId.get(a.id);
      assert.ok(got, `${m.id} lost acknowledged config ${a.name} (${a.id})`);
      assert.equal(got.Spec.Name, a.name);
      assert.ok(Buffer.from(got.Spec.Data, 'base64').equals(a.data), `${m.id}: data of ${a.name} differs`);
    }
  }
}

test('acknowledged writes survive SIGKILL of the leader and of every manager', { timeout: 180_000 }, async (t) => {
  const c = new ManagerCluster('tsswarm-proc');
  t.after(() => c.cleanup());
  await c.prepare(3);
  c.startAll();
  const acked: Acked[] = [];

  const leader1 = await leaderAmong(c.members);
  const others = c.members.filter((m) => m !== leader1);
  await writeMany(c.members, 150, 'before', acked);
  assert.ok(acked.length >= 140, `only ${acked.length}/150 writes acknowledged on a healthy cluster`);

  // SIGKILL the leader while writes keep coming through the survivors.
  const during = writeMany(others, 150, 'during', acked);
  await sleep(100);
  await c.kill(leader1);
  await during;
  await leaderAmong(others);
  await writeMany(others, 100, 'after', acked);
  const afterCount = acked.filter((a) => a.name.startsWith('after')).length;
  assert.ok(afterCount >= 90, `the two survivors acknowledged only ${afterCount}/100 writes`);

  // The killed member comes back and catches up.
  c.start(leader1);
  await leaderAmong(c.members);
  await waitCaughtUp(c);
  await assertAllPresent(c, acked);

  // Every manager killed at once: nothing acknowledged may be missing after restart.
  await Promise.all(c.members.map((m) => c.kill(m)));
  c.startAll();
  await leaderAmong(c.members);
  await waitCaughtUp(c);
  await assertAllPresent(c, acked);
  t.diagnostic(`${acked.length} acknowledged writes checked on 3 members after 2 crash rounds`);
});

test('a data dir of another cluster is refused with a clear error', { timeout: 60_000 }, async (t) => {
  const c = new ManagerCluster('tsswarm-proc');
  t.after(() => c.cleanup());
  await c.prepare(1);
  const m = c.members[0]!;
  c.start(m);
  await leaderAmong(c.members);
  await c.kill(m, 'SIGTERM');
  const r = spawnSync(
    process.execPath,
    [
      CLI, 'manager', '--id', m.id, '--cluster-id', 'some-other-cluster', '--data-dir', m.dataDir,
      '--listen-addr', m.raftAddr, '--api-addr', m.api.replace('http://', ''), '--tls-dir', m.tlsDir,
      '--bootstrap', `${m.id}=${m.raftAddr}`,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  assert.notEqual(r.status, 0, 'a manager started on another cluster\'s data dir must exit non-zero');
  assert.match(r.stderr, /cluster/i);
  assert.match(r.stderr, new RegExp(m.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
});
