// Membership changes between real processes: a new member joins as a learner,
// catches up from a snapshot sent in chunks over the real transport (the log
// behind it is compacted), is promoted, and a founder is removed; leadership
// moves on request.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ManagerCluster, leaderAmong, raftStatus as status, until, type ManagerProc } from '../harness/managers.js';

async function post(m: ManagerProc, path: string, body: unknown): Promise<Response> {
  return fetch(`${m.api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(40_000),
  });
}

test('a member joins through a chunked snapshot, is promoted; a founder is removed; leadership transfers', { timeout: 180_000 }, async (t) => {
  const c = new ManagerCluster('tsswarm-proc');
  t.after(() => c.cleanup());
  await c.prepare(4, 3);
  const [m1, m2, m3, m4] = c.members as [ManagerProc, ManagerProc, ManagerProc, ManagerProc];
  // Snapshot every 100 entries, keeping 500 behind: 1,200 writes compact the log
  // past its start, so the newcomer can only catch up from a snapshot. Configs of
  // 2 KiB make that snapshot several 256 KiB chunks.
  const flags = ['--snapshot-every', '100'];
  for (const m of [m1, m2, m3]) c.start(m, flags);
  let leader = await leaderAmong([m1, m2, m3]);
  const names: string[] = [];
  for (let i = 0; i < 1200; i++) {
    const r = await post(leader, '/configs/create', { Name: `cfg-${i}`, Data: randomBytes(2048).toString('base64') });
    assert.equal(r.status, 201, await r.text());
    names.push(`cfg-${i}`);
  }

  c.start(m4, flags);
  const add = await post(leader, '/raft/members', { id: m4.id, addr: m4.raftAddr });
  assert.equal(add.status, 201, await add.text());
  await until('m4 to be a voter everywhere', async () => {
    const sts = await Promise.all([m1, m2, m3, m4].map(status));
    return sts.every((s) => s?.voters.includes('m4') && !s.learners.includes('m4'));
  });
  const list = (await (await fetch(`${m4.api}/configs`)).json()) as { Spec: { Name: string } }[];
  assert.deepEqual(new Set(list.map((x) => x.Spec.Name)), new Set(names), 'the newcomer holds every config');
  assert.match(await (await fetch(`${m4.api}/raft/status`)).text(), /"applied":\d+/);

  // Removing a founder leaves three voters that still make progress.
  leader = await leaderAmong(c.members);
  const victim = [m1, m2, m3].find((m) => m !== leader)!;
  const del = await fetch(`${leader.api}/raft/members/${victim.id}`, { method: 'DELETE', signal: AbortSignal.timeout(20_000) });
  assert.equal(del.status, 204, await del.text());
  await c.kill(victim);
  const rest = c.members.filter((m) => m !== victim);
  await until('three voters', async () => ((await status(leader))?.voters.length === 3 ? true : null));
  const after = await post(rest[0]!, '/configs/create', { Name: 'after-remove', Data: '' });
  assert.equal(after.status, 201, await after.text());

  // Leadership moves to the newcomer when asked.
  leader = await leaderAmong(rest);
  if (leader !== m4) {
    const tr = await post(leader, '/raft/transfer', { to: 'm4' });
    assert.equal(tr.status, 202);
    await until('m4 to lead', async () => ((await status(m4))?.role === 'leader' ? true : null), 10_000);
  }
  const last = await post(m4, '/configs/create', { Name: 'after-transfer', Data: '' });
  assert.equal(last.status, 201, await last.text());
});
