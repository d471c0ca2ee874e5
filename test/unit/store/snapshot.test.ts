import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { StateMachine } from '../../../manager/store/index.js';
import {
  bytesEqual, cmd, configContent, createOp, deleteOp, keyContent, networkContent, nodeContent, serviceContent,
  seqId, T0, taskContent, updateOp,
} from './helpers.js';

/** A fixed history touching every collection, with updates, deletes, failures and a transaction. */
function history(): Uint8Array[] {
  const svc = seqId();
  const net = seqId();
  const cfg = seqId();
  const node = seqId();
  const task = seqId();
  const entries = [
    cmd({ op: createOp('clusters', {
      spec: {
        name: 'default', orchestration: { taskHistoryRetentionLimit: 5 },
        raft: { snapshotInterval: 10000, keepOldSnapshots: 0, logEntriesForSlowFollowers: 500, electionTick: 10, heartbeatTick: 1 },
        dispatcher: { heartbeatPeriodMs: 5000 }, caConfig: { nodeCertExpiryMs: 7776000000 }, encryptionConfig: { autoLockManagers: false },
      },
      defaultAddrPool: ['10.0.0.0/8'], subnetSize: 24, dataPathPort: 4789,
    }, seqId()) }, 'h1', T0),
    cmd({ op: createOp('nodes', nodeContent('host-a'), node) }, 'h2', T0 + 1),
    cmd({ op: createOp('networks', networkContent('backend'), net) }, 'h3', T0 + 2),
    cmd({ op: createOp('configs', configContent('site.conf', new Uint8Array([0, 1, 2, 255])), cfg) }, 'h4', T0 + 3),
    cmd({ txn: [createOp('services', serviceContent('web'), svc), createOp('tasks', taskContent(svc, 1), task)] }, 'h5', T0 + 4),
    cmd({ op: updateOp('services', svc, 5, serviceContent('web', 4)) }, 'h6', T0 + 5),
    cmd({ op: updateOp('services', svc, 5, serviceContent('web', 1)) }, 'h7', T0 + 6), // Conflict, filed
    cmd({ op: createOp('keys', keyContent(1), seqId()) }, 'h8', T0 + 7),
    cmd({ op: deleteOp('tasks', task) }, 'h9', T0 + 8),
    cmd({ op: updateOp('configs', cfg, 4, configContent('site.conf', new Uint8Array([0, 1, 2, 255]), { v: '2' })) }, 'h10', T0 + 9),
    new Uint8Array(0),
    new Uint8Array([7, 7, 7]),
  ];
  return entries;
}

function feed(sm: StateMachine, entries: Uint8Array[], from = 0): void {
  entries.forEach((data, i) => {
    if (i >= from) sm.apply(i + 1, data);
  });
}

describe('snapshots', () => {
  it('round-trips to identical bytes and identical reads', () => {
    const entries = history();
    const a = new StateMachine();
    feed(a, entries);
    const snap = a.snapshot();
    const b = new StateMachine();
    b.restore(snap);
    assert.ok(bytesEqual(b.snapshot(), snap), 'restore → snapshot gives the same bytes');
    assert.equal(b.applied(), a.applied());
    for (const c of ['clusters', 'nodes', 'networks', 'services', 'tasks', 'configs', 'keys'] as const) {
      assert.deepEqual(b.list(c), a.list(c), c);
    }
    assert.deepEqual(b.getByName('configs', 'site.conf')?.spec.data, new Uint8Array([0, 1, 2, 255]));
    for (let i = 1; i <= 10; i++) assert.deepEqual(b.resultFor(`h${i}`), a.resultFor(`h${i}`), `h${i}`);
    assert.equal(b.resultFor('h7')?.ok, false);
  });

  it('is the same on two managers fed the same entries', () => {
    const entries = history();
    const a = new StateMachine();
    const b = new StateMachine();
    feed(a, entries);
    feed(b, entries);
    assert.ok(bytesEqual(a.snapshot(), b.snapshot()));
  });

  it('is the same for a manager that caught up from a snapshot midway', () => {
    const entries = history();
    const a = new StateMachine();
    feed(a, entries);
    const mid = new StateMachine();
    feed(mid, entries.slice(0, 6));
    const c = new StateMachine();
    c.restore(mid.snapshot());
    feed(c, entries, 6);
    assert.ok(bytesEqual(a.snapshot(), c.snapshot()));
    // The request log came along: replaying an already-applied request gives its old result.
    assert.deepEqual(c.apply(100, entries[4]), a.resultFor('h5'));
  });

  it('does not depend on the order in which keys were written by the proposer', () => {
    const id = seqId();
    const a = new StateMachine();
    const b = new StateMachine();
    const spec = serviceContent('keyorder').spec;
    const reordered = { spec: { mode: spec.mode, endpointSpec: spec.endpointSpec, taskTemplate: spec.taskTemplate, name: spec.name } };
    a.apply(1, cmd({ op: createOp('services', { spec }, id) }, 'k', T0));
    b.apply(1, cmd({ op: createOp('services', reordered, id) }, 'k', T0));
    assert.ok(bytesEqual(a.snapshot(), b.snapshot()));
  });

  it('refuses a corrupt snapshot and keeps the old state', () => {
    const entries = history();
    const a = new StateMachine();
    feed(a, entries);
    const good = a.snapshot();
    const before = a.snapshot();
    assert.throws(() => a.restore(good.subarray(0, good.length - 10)), /corrupt snapshot/);
    const bad = good.slice();
    bad[0] = 0x43;
    assert.throws(() => a.restore(bad), /corrupt snapshot/);
    assert.ok(bytesEqual(a.snapshot(), before));
  });

  it('writes an empty store compactly and restores it', () => {
    const a = new StateMachine();
    const snap = a.snapshot();
    const text = new TextDecoder().decode(snap.subarray(5));
    assert.equal(text, '{"format":1,"applied":0,"collections":{"clusters":[],"nodes":[],"networks":[],"services":[],"tasks":[],"configs":[],"keys":[]},"requests":[]}');
    const b = new StateMachine();
    b.restore(snap);
    assert.ok(bytesEqual(b.snapshot(), snap));
  });
});
