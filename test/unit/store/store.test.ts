import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  encodeCommand, StateMachine, Store, type ApplyResult, type ChangeEvent, type Contents,
} from '../../../manager/store/index.js';
import { bytesEqual, configContent, FakeRaft, networkContent, serviceContent, T0, taskContent } from './helpers.js';

function setup(): { sm: StateMachine; raft: FakeRaft; store: Store } {
  const sm = new StateMachine();
  const raft = new FakeRaft(sm);
  let t = T0;
  const store = new Store(sm, raft, { now: () => (t += 1000) });
  return { sm, raft, store };
}

describe('Store', () => {
  it('creates with a generated 25-character base-36 id and reads it back', async () => {
    const { store, raft } = setup();
    const r = await store.create('configs', configContent('app.conf', new Uint8Array([1, 2, 3])));
    assert.ok(r.ok);
    assert.match(r.object.id, /^[0-9a-z]{25}$/);
    assert.equal(r.object.createdAt, '2024-01-02T03:04:06.678Z');
    assert.deepEqual((await store.get('configs', r.object.id))?.spec.data, new Uint8Array([1, 2, 3]));
    assert.equal((await store.getByName('configs', 'app.conf'))?.id, r.object.id);
    assert.equal(raft.barriers, 0, 'plain reads are local');
    await store.get('configs', r.object.id, { linearizable: true });
    assert.equal(raft.barriers, 1);
  });

  it('updates with a mutator or a patch, and reports Conflict for a stale version without proposing', async () => {
    const { store, raft } = setup();
    const c = await store.create('services', serviceContent('api'));
    assert.ok(c.ok);
    const id = c.object.id;
    const m = await store.update('services', id, c.object.version, (draft) => {
      draft.spec.mode = { kind: 'replicated', replicas: 7 };
    });
    assert.ok(m.ok);
    assert.deepEqual(m.object.spec.mode, { kind: 'replicated', replicas: 7 });
    assert.ok(Object.isFrozen(c.object.spec), 'the mutator worked on a copy');

    const p = await store.update('services', id, m.object.version, {
      updateStatus: { state: 'updating', startedAt: '2024-01-02T00:00:00Z' },
    });
    assert.ok(p.ok);
    assert.equal(p.object.updateStatus?.state, 'updating');
    assert.deepEqual(p.object.spec, m.object.spec, 'fields not in the patch are kept');

    const proposals = raft.log.length;
    const stale = await store.update('services', id, m.object.version, { previousSpec: m.object.spec });
    assert.ok(!stale.ok && stale.error.code === 'Conflict');
    assert.equal(raft.log.length, proposals, 'decided locally after a read barrier');

    const missing = await store.update('services', 'z'.repeat(25), 1, {});
    assert.ok(!missing.ok && missing.error.code === 'NotFound');
  });

  it('modify retries on Conflict', async () => {
    const { sm, store, raft } = setup();
    const c = await store.create('tasks', taskContent('s'.repeat(25), 1));
    assert.ok(c.ok);
    let first = true;
    const r = await store.modify('tasks', c.object.id, (draft) => {
      if (first) {
        first = false;
        // Someone else changes the task between our read and our write.
        const other = { ...taskContent('s'.repeat(25), 1), desiredState: 'shutdown' as const };
        const res = sm.apply(++raft.index, encodeOther(c.object.id, c.object.version, other));
        assert.ok(!('marker' in res) && res.ok);
      }
      draft.status = { ...draft.status, state: 'running' };
    });
    assert.ok(r.ok);
    assert.equal(r.object.status.state, 'running');
    assert.equal(r.object.desiredState, 'shutdown', 'the retry started from the other writer\'s version');
  });

  it('deletes, with and without expectVersion', async () => {
    const { store } = setup();
    const a = await store.create('networks', networkContent('n1'));
    const b = await store.create('networks', networkContent('n2'));
    assert.ok(a.ok && b.ok);
    const bad = await store.delete('networks', a.object.id, a.object.version + 1);
    assert.ok(!bad.ok && bad.error.code === 'Conflict');
    assert.ok((await store.delete('networks', a.object.id, a.object.version)).ok);
    assert.ok((await store.delete('networks', b.object.id)).ok);
    assert.equal((await store.list('networks')).objects.length, 0);
  });

  it('transacts all or nothing', async () => {
    const { store } = setup();
    const s = await store.create('services', serviceContent('db'));
    assert.ok(s.ok);
    const failed = await store.transact([
      { op: 'create', collection: 'tasks', content: taskContent(s.object.id, 1) },
      { op: 'create', collection: 'services', content: serviceContent('DB') },
    ]);
    assert.ok(!failed.ok && failed.error.code === 'NameExists' && failed.error.op === 1);
    assert.equal((await store.list('tasks')).objects.length, 0);

    const ok = await store.transact([
      { op: 'create', collection: 'tasks', content: taskContent(s.object.id, 1) },
      { op: 'create', collection: 'tasks', content: taskContent(s.object.id, 2) },
      { op: 'update', collection: 'services', id: s.object.id, expectVersion: s.object.version, change: (d) => { d.spec.labels = { ok: 'yes' }; } },
    ]);
    assert.ok(ok.ok);
    assert.deepEqual(ok.changes.map((c) => `${c.collection}:${c.action}`), ['tasks:create', 'tasks:create', 'services:update']);
    const listing = await store.list('tasks', (t) => t.serviceId === s.object.id);
    assert.equal(listing.objects.length, 2);
    assert.equal(listing.index, store.applied());
    assert.deepEqual(await store.transact([]), { ok: true, index: store.applied(), changes: [] });
  });

  it('list + watch from the listing index misses nothing', async () => {
    const { store } = setup();
    await store.create('configs', configContent('one'));
    const listing = await store.list('configs');
    const seen: ChangeEvent[] = [];
    const w = store.watch(listing.index, (ev) => seen.push(ev), { collections: ['configs'] });
    await store.create('networks', networkContent('ignored'));
    await store.create('configs', configContent('two'));
    w.cancel();
    assert.deepEqual(seen.map((e) => e.object.name), ['two']);
  });

  it('refuses an oversize command before proposing it', async () => {
    const { store, raft } = setup();
    const r = await store.create('configs', configContent('huge', new Uint8Array(2 * 1024 * 1024)));
    assert.ok(!r.ok && r.error.code === 'TooLarge');
    assert.equal(raft.log.length, 0);
  });

  it('picks up a result from the request log when the driver reports the entry as already applied', async () => {
    const sm = new StateMachine();
    const inner = new FakeRaft(sm);
    const raft = {
      async propose(data: Uint8Array, requestId: string): Promise<ApplyResult> {
        await inner.propose(data, requestId);
        return sm.apply(inner.index, data); // a second delivery of the same index: Stale
      },
      readBarrier: () => inner.readBarrier(),
    };
    const store = new Store(sm, raft);
    const r = await store.create('configs', configContent('late'));
    assert.ok(r.ok);
    assert.equal(r.object.name, 'late');
  });

  it('two managers replaying the leader\'s log reach identical snapshots', async () => {
    const { store, raft, sm } = setup();
    const s = await store.create('services', serviceContent('web'));
    assert.ok(s.ok);
    await store.transact([
      { op: 'create', collection: 'tasks', content: taskContent(s.object.id, 1) },
      { op: 'create', collection: 'configs', content: configContent('c', new Uint8Array(256).fill(3)) },
    ]);
    await store.update('services', s.object.id, s.object.version, { previousSpec: s.object.spec });
    await store.create('services', serviceContent('web')); // NameExists, still an entry
    const follower = new StateMachine();
    for (const { index, data } of raft.log) follower.apply(index, data);
    assert.ok(bytesEqual(follower.snapshot(), sm.snapshot()));
  });
});

function encodeOther(id: string, version: number, content: Contents['tasks']): Uint8Array {
  return encodeCommand({ requestId: 'other-writer', time: T0, op: { op: 'update', collection: 'tasks', id, expectVersion: version, content } });
}
