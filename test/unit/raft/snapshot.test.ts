import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, bytes, cfgFor, storageWith } from './net.js';
import { RawNode } from '../../../manager/raft/core/rawnode.js';
import { MessageType, ProgressState } from '../../../manager/raft/core/types.js';
import type { Message } from '../../../manager/raft/core/types.js';

const CHUNK = 100;
const WINDOW = 3;

/** b misses 30 entries that a then compacts away, so b can only catch up by snapshot. */
function lagging(): { net: Net; snapIndex: number } {
  const net = new Net(['a', 'b', 'c'], { snapshotChunkSize: CHUNK, maxInflightSnapChunks: WINDOW });
  net.elect('a');
  net.isolate('b');
  for (let i = 0; i < 30; i++) net.node('a').propose(bytes(`value-${String(i).padStart(2, '0')}-${'x'.repeat(30)}`));
  net.stabilize();
  const snapIndex = net.snapshotAndCompact('a');
  assert.ok(net.peer('a').storage.snapshot().data.length > 10 * CHUNK, 'the snapshot needs many chunks');
  net.heal();
  net.delivered = [];
  return { net, snapIndex };
}

const snaps = (ms: Message[]): Message[] => ms.filter((m) => m.type === MessageType.Snap && m.from === 'a' && m.to === 'b');

function assertCaughtUp(net: Net, snapIndex: number): void {
  assert.equal(net.peer('b').storage.snapshot().meta.index, snapIndex);
  assert.deepEqual(net.peer('b').sm, net.peer('a').sm);
  assert.ok(net.peer('b').readies.some((rd) => rd.snapshot?.meta.index === snapIndex), 'Ready.snapshot carried it');
  assert.equal(net.node('a').status().progress?.b.state, ProgressState.Replicate);
  net.node('a').propose(bytes('after'));
  net.stabilize();
  assert.deepEqual(net.peer('b').sm.slice(-1), ['after']);
}

test('snapshot goes in chunks, within the window, with heartbeats in between', () => {
  const { net, snapIndex } = lagging();
  const total = net.peer('a').storage.snapshot().data.length;
  // Acks lost: the leader may never run more than WINDOW chunks ahead of offset 0.
  net.drop = (m) => m.type === MessageType.SnapResp;
  net.tick(6);
  const sent = snaps(net.delivered);
  assert.ok(sent.length >= WINDOW);
  assert.ok(sent.every((m) => (m.snapOffset ?? 0) < WINDOW * CHUNK), 'nothing beyond the window');
  assert.ok(sent.every((m) => (m.snapshot?.data.length ?? 0) <= CHUNK && m.snapTotal === total));
  assert.equal(net.node('a').status().progress?.b.state, ProgressState.Snapshot);
  assert.ok(net.sent(MessageType.Heartbeat, 'a', 'b').length >= 3, 'heartbeats keep flowing');
  assert.equal(net.node('b').status().softState.lead, 'a', 'b stays a follower of a meanwhile');

  net.drop = () => false;
  net.tick(3);
  const all = snaps(net.delivered);
  assert.equal(all.filter((m) => m.snapDone).length >= 1, true);
  assert.equal(new Set(all.map((m) => m.snapOffset)).size, Math.ceil(total / CHUNK));
  assertCaughtUp(net, snapIndex);
  assert.equal(net.peer('b').snapshotsInstalled, 1);
});

test('a lost chunk is resent from the acknowledged offset', () => {
  const { net, snapIndex } = lagging();
  let lost = 0;
  net.drop = (m) => {
    if (m.type === MessageType.Snap && m.snapOffset === CHUNK && lost === 0) {
      lost++;
      return true;
    }
    return false;
  };
  net.tick(10);
  assert.equal(lost, 1);
  const at100 = snaps(net.delivered).filter((m) => m.snapOffset === CHUNK);
  assert.ok(at100.length >= 1, 'the lost chunk arrived on a later try');
  const want = net.peer('a').storage.snapshot().data;
  assert.deepEqual(net.peer('b').storage.snapshot().data, want, 'reassembled byte for byte');
  assertCaughtUp(net, snapIndex);
});

test('the leader restarts the transfer from 0 when its snapshot changes mid-transfer', () => {
  const { net, snapIndex } = lagging();
  // Let only the first two chunks of the first snapshot through.
  net.drop = (m) => m.type === MessageType.Snap && m.index === snapIndex && (m.snapOffset ?? 0) >= 2 * CHUNK;
  net.tick(4);
  assert.ok(snaps(net.delivered).some((m) => m.snapOffset === CHUNK));
  assert.equal(net.peer('b').snapshotsInstalled, 0);
  for (let i = 0; i < 5; i++) net.node('a').propose(bytes(`more-${i}`));
  net.stabilize();
  const newIndex = net.snapshotAndCompact('a');
  assert.ok(newIndex > snapIndex);
  net.delivered = [];
  net.tick(10);
  const fresh = snaps(net.delivered).filter((m) => m.index === newIndex);
  assert.equal(fresh[0]?.snapOffset, 0, 'the new snapshot starts at offset 0');
  assert.equal(net.peer('b').snapshotsInstalled, 1, 'only the new snapshot was installed');
  assertCaughtUp(net, newIndex);
});

test('chunks of a snapshot the follower already covers are answered with its commit', () => {
  const conf = { voters: ['a', 'b'], learners: [] };
  const st = storageWith(conf, [[1, 1], [2, 1], [3, 1]], { term: 1, commit: 3 });
  const n = new RawNode(cfgFor('b', st, {}, 1, 3));
  n.step({
    type: MessageType.Snap, from: 'a', to: 'b', term: 1, index: 2, logTerm: 1, entries: [], commit: 0,
    reject: false, rejectHint: 0, snapshot: { meta: { index: 2, term: 1, conf }, data: bytes('[]') },
    snapOffset: 0, snapTotal: 2, snapDone: true,
  });
  const rd = n.ready();
  assert.equal(rd.snapshot, undefined);
  const resp = rd.messages.find((m) => m.type === MessageType.AppResp);
  assert.equal(resp?.index, 3);
});

test('a chunk for an unknown snapshot in mid-stream asks the leader to restart from 0', () => {
  const conf = { voters: ['a', 'b'], learners: [] };
  const n = new RawNode(cfgFor('b', storageWith(conf), {}, 1));
  n.step({
    type: MessageType.Snap, from: 'a', to: 'b', term: 1, index: 9, logTerm: 1, entries: [], commit: 0,
    reject: false, rejectHint: 0, snapshot: { meta: { index: 9, term: 1, conf }, data: bytes('zz') },
    snapOffset: 4, snapTotal: 6, snapDone: true,
  });
  const resp = n.ready().messages.find((m) => m.type === MessageType.SnapResp);
  assert.equal(resp?.reject, true);
  assert.equal(resp?.snapOffset, 0);
  assert.equal(resp?.index, 9);
});
