import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, bytes, storageWith } from './net.js';
import { MessageType, ProgressState, RaftErrorCode } from '../../../manager/raft/core/types.js';
import type { Knobs } from './net.js';

const terms = (ts: number[]): Array<[number, number]> => ts.map((t, i) => [i + 1, t]);

test('log matching: the leader repairs every divergent follower (Raft paper, figure 7)', () => {
  const ids = ['L', 'a', 'b', 'c', 'd', 'e', 'f'];
  const conf = { voters: ids, learners: [] };
  const logs: Record<string, number[]> = {
    L: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6],
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };
  const storages = Object.fromEntries(ids.map((id) => [id, storageWith(conf, terms(logs[id]), { term: 7, commit: 3 })]));
  const net = new Net(ids, {}, storages);
  net.elect('L');
  assert.deepEqual(net.leaders(), ['L']);
  const want = [...logs.L, 8];
  for (const id of ids) {
    assert.deepEqual(net.logTerms(id), want, `log of ${id}`);
    assert.equal(net.node(id).status().hardState.commit, 11, `commit of ${id}`);
  }
});

test('fast backtracking: a long divergent suffix costs one rejection, not one per entry', () => {
  const conf = { voters: ['L', 'x', 'y'], learners: [] };
  const lead = [1, ...Array<number>(50).fill(3)];
  const stale = [1, ...Array<number>(50).fill(2)];
  const net = new Net(['L', 'x', 'y'], {}, {
    L: storageWith(conf, terms(lead), { term: 3, commit: 1 }),
    x: storageWith(conf, terms(stale), { term: 3, commit: 1 }),
    y: storageWith(conf, terms(lead), { term: 3, commit: 1 }),
  });
  net.elect('L');
  const rejects = net.sent(MessageType.AppResp, 'x', 'L').filter((m) => m.reject);
  assert.ok(rejects.length >= 1 && rejects.length <= 2, `rejections: ${rejects.length}`);
  assert.deepEqual(net.logTerms('x'), [...lead, 4]);
});

/**
 * Figure 8: a leader of term 4 holds an entry of term 2 at index 2 that a
 * majority (a, b) stores, while its own no-op (index 3) has not reached b yet.
 * c holds a different entry of term 3 at index 2 and could still win an election.
 */
function figure8(knobs: Knobs): Net {
  const conf = { voters: ['a', 'b', 'c'], learners: [] };
  const a = storageWith(conf, [[1, 1]], { term: 3, commit: 1 });
  a.append([{ index: 2, term: 2, type: 0, data: bytes('0123456789') }]);
  const net = new Net(['a', 'b', 'c'], { maxSizePerMsg: 5, ...knobs }, {
    a,
    b: storageWith(conf, [[1, 1]], { term: 3, commit: 1 }),
    c: storageWith(conf, [[1, 1], [2, 3]], { term: 3, commit: 1 }),
  });
  // c is unreachable from a; once b has acknowledged index 2, the no-op never reaches it.
  let bHas2 = false;
  net.drop = (m) => {
    if (m.from === 'b' && m.type === MessageType.AppResp && !m.reject && m.index === 2) bHas2 = true;
    if (m.from === 'a' && m.to === 'c') return true;
    return bHas2 && m.from === 'a' && m.to === 'b' && m.type === MessageType.App && m.entries.some((e) => e.index === 3);
  };
  net.elect('a');
  assert.deepEqual(net.leaders(), ['a']);
  assert.equal(net.node('a').status().progress?.b.match, 2, 'b stores the term-2 entry');
  return net;
}

test('commit rule: an earlier-term entry is not committed by counting replicas', () => {
  const net = figure8({});
  assert.equal(net.node('a').status().hardState.commit, 1);
  // Once the no-op of term 4 reaches b, both commit together.
  net.drop = () => false;
  net.tick(1, ['a']);
  assert.equal(net.node('a').status().hardState.commit, 3);
});

test('commitPriorTermByCount knob: the planted bug commits it, and a later leader overwrites it', () => {
  const net = figure8({ testingKnobs: { commitPriorTermByCount: true } });
  assert.equal(net.node('a').status().hardState.commit, 2, 'the buggy leader commits index 2 of term 2');
  // a dies; c (last term 3) wins b's vote and replaces index 2: a "committed" entry is lost.
  net.peers.delete('a');
  net.drop = () => false;
  net.tick(10, ['b']); // b's lease on a expires
  net.elect('c'); // rejected at term 4 (b voted for a), which teaches c the term
  net.elect('c');
  assert.deepEqual(net.leaders(), ['c']);
  assert.deepEqual(net.logTerms('b').slice(0, 2), [1, 3]);
});

function replicating(knobs: Knobs): Net {
  const net = new Net(['a', 'b', 'c'], knobs);
  net.elect('a');
  assert.equal(net.node('a').status().progress?.b.state, ProgressState.Replicate);
  return net;
}

function appsTo(net: Net, to: string): number {
  return net.queue.filter((m) => m.type === MessageType.App && m.to === to && m.entries.length > 0).length;
}

test('flow control: in-flight Apps per follower are capped by count', () => {
  const net = replicating({ maxInflightMsgs: 3 });
  for (let i = 0; i < 10; i++) {
    assert.equal(net.node('a').propose(bytes(`v${i}`)), null);
    net.handleReady('a');
  }
  assert.equal(appsTo(net, 'b'), 3);
  assert.equal(net.node('a').status().progress?.b.inflight, 3);
  net.stabilize();
  assert.equal(net.peer('b').sm.length, 10, 'acks reopen the window and everything arrives');
});

test('flow control: in-flight Apps per follower are capped by bytes', () => {
  const capped = replicating({ maxInflightMsgs: 100, maxInflightBytes: 25 });
  const free = replicating({ maxInflightMsgs: 100, maxInflightBytes: 0 });
  for (const net of [capped, free]) {
    for (let i = 0; i < 10; i++) {
      net.node('a').propose(bytes('0123456789'));
      net.handleReady('a');
    }
  }
  assert.equal(appsTo(capped, 'b'), 3);
  assert.equal(appsTo(free, 'b'), 10);
  capped.stabilize();
  assert.equal(capped.peer('b').sm.length, 10);
});

test('flow control: a follower in Probe gets one App until it answers (or answers a heartbeat)', () => {
  const net = replicating({});
  net.node('a').reportUnreachable('b');
  assert.equal(net.node('a').status().progress?.b.state, ProgressState.Probe);
  for (let i = 0; i < 5; i++) {
    net.node('a').propose(bytes(`v${i}`));
    net.handleReady('a');
  }
  assert.equal(appsTo(net, 'b'), 1);
  // Lose everything to b; only a heartbeat answer unpauses the probe.
  net.drop = (m) => m.to === 'b' && m.type === MessageType.App;
  net.stabilize();
  net.drop = () => false;
  net.node('a').tick();
  net.handleReady('a');
  net.deliverQueued(); // heartbeats to b and c
  net.handleReady('b');
  net.handleReady('c');
  net.deliverQueued(); // heartbeat answers
  net.handleReady('a');
  assert.equal(appsTo(net, 'b'), 1, 'a new probe after the heartbeat answer');
  net.stabilize();
  assert.equal(net.peer('b').sm.length, 5);
  assert.equal(net.node('a').status().progress?.b.state, ProgressState.Replicate);
});

test('batching: a catching-up follower gets Apps of at most maxSizePerMsg bytes', () => {
  const net = replicating({ maxSizePerMsg: 35 });
  net.isolate('b');
  for (let i = 0; i < 10; i++) net.node('a').propose(bytes('0123456789'));
  net.stabilize();
  net.heal();
  net.delivered = [];
  net.tick(3);
  const apps = net.sent(MessageType.App, 'a', 'b').filter((m) => m.entries.length > 0);
  assert.ok(apps.length >= 4);
  assert.ok(apps.every((m) => m.entries.length <= 3), 'three 10-byte entries per 35-byte App');
  assert.equal(net.peer('b').sm.length, 10);
});

test('lost Apps in Replicate are recovered after a heartbeat round without progress', () => {
  const net = replicating({});
  net.drop = (m) => m.to === 'b' && m.type === MessageType.App;
  net.node('a').propose(bytes('lost'));
  net.stabilize();
  net.drop = () => false;
  assert.deepEqual(net.peer('b').sm, []);
  net.tick(3);
  assert.deepEqual(net.peer('b').sm, ['lost']);
});

test('uncommitted bytes are bounded: the leader sheds proposals it cannot commit', () => {
  const net = replicating({ maxUncommittedEntriesSize: 25 });
  net.isolate('b');
  net.isolate('c');
  assert.equal(net.node('a').propose(bytes('0123456789')), null);
  assert.equal(net.node('a').propose(bytes('0123456789')), null);
  assert.equal(net.node('a').propose(bytes('0123456789'))?.code, RaftErrorCode.ProposalDropped);
  net.heal();
  net.tick(2);
  assert.equal(net.node('a').propose(bytes('0123456789')), null, 'room again once committed');
});

test('followers forward proposals to the leader; with no leader they are dropped', () => {
  const net = new Net(['a', 'b', 'c']);
  assert.equal(net.node('b').propose(bytes('x'))?.code, RaftErrorCode.ProposalDropped);
  net.elect('a');
  assert.equal(net.node('b').propose(bytes('y')), null);
  net.stabilize();
  for (const id of ['a', 'b', 'c']) assert.deepEqual(net.peer(id).sm, ['y']);
});

test('heartbeats never carry a commit beyond what the follower is known to hold', () => {
  const net = replicating({});
  const known = net.node('a').status().progress?.c.match ?? 0;
  net.isolate('c');
  net.node('a').propose(bytes('x'));
  net.stabilize();
  net.heal();
  net.delivered = [];
  net.drop = (m) => m.type === MessageType.App;
  net.node('a').tick();
  net.stabilize();
  const hb = net.sent(MessageType.Heartbeat, 'a', 'c');
  assert.ok(net.node('a').status().hardState.commit > known);
  assert.ok(hb.length > 0);
  assert.ok(hb.every((m) => m.commit <= known));
});

test('a restarted node keeps its log and term and catches up', () => {
  const net = replicating({});
  net.node('a').propose(bytes('one'));
  net.stabilize();
  net.restart('c', 99);
  net.node('a').propose(bytes('two'));
  net.stabilize();
  net.tick(2);
  const st = net.node('c').status();
  assert.equal(st.hardState.term, net.node('a').status().hardState.term);
  assert.deepEqual(net.peer('c').sm.slice(-1), ['two']);
});
