import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, bytes, str } from './net.js';
import { ConfChangeType, MessageType, RaftErrorCode } from '../../../manager/raft/core/types.js';
import { MemoryStorage } from '../../../manager/raft/core/memory_storage.js';

function cluster(knobs = {}): Net {
  const net = new Net(['a', 'b', 'c'], knobs);
  net.elect('a');
  return net;
}

test('leadership transfer to an up-to-date follower', () => {
  const net = cluster();
  const term = net.node('a').status().hardState.term;
  net.node('a').transferLeadership('b');
  net.stabilize();
  assert.deepEqual(net.leaders(), ['b']);
  assert.equal(net.node('b').status().hardState.term, term + 1);
  assert.equal(net.sent(MessageType.TimeoutNow, 'a', 'b').length, 1);
});

test('transfer catches a lagging transferee up first', () => {
  const net = cluster();
  net.isolate('b');
  for (let i = 0; i < 3; i++) net.node('a').propose(bytes(`v${i}`));
  net.stabilize();
  net.node('a').transferLeadership('b');
  net.stabilize();
  assert.deepEqual(net.leaders(), ['a'], 'no TimeoutNow before b has the log');
  assert.equal(net.sent(MessageType.TimeoutNow).length, 0);
  net.heal();
  net.tick(3);
  assert.deepEqual(net.leaders(), ['b']);
  assert.deepEqual(net.peer('b').sm, ['v0', 'v1', 'v2']);
});

test('proposals are dropped during a transfer, which aborts after an election timeout', () => {
  const net = cluster();
  net.isolate('b');
  net.node('a').propose(bytes('x'));
  net.stabilize();
  net.node('a').transferLeadership('b');
  assert.equal(net.node('a').status().leadTransferee, 'b');
  assert.equal(net.node('a').propose(bytes('y'))?.code, RaftErrorCode.ProposalDropped);
  net.tick(10, ['a', 'c']);
  assert.equal(net.node('a').status().leadTransferee, '');
  assert.deepEqual(net.leaders(), ['a']);
  assert.equal(net.node('a').propose(bytes('z')), null);
});

test('transfer to a learner or a non-member is ignored', () => {
  const net = cluster();
  net.node('a').proposeConfChange({ type: ConfChangeType.AddLearner, node: 'd' });
  net.addPeer('d', new MemoryStorage(), 4);
  net.stabilize();
  net.node('a').transferLeadership('d');
  net.node('a').transferLeadership('zz');
  assert.equal(net.node('a').status().leadTransferee, '');
  net.stabilize();
  assert.deepEqual(net.leaders(), ['a']);
});

test('ReadIndex on the leader waits for a quorum to confirm leadership', () => {
  const net = cluster();
  net.node('a').propose(bytes('x'));
  net.stabilize();
  const commit = net.node('a').status().hardState.commit;
  net.drop = (m) => m.type === MessageType.HeartbeatResp;
  net.node('a').readIndex(bytes('r1'));
  net.stabilize();
  assert.deepEqual(net.peer('a').readStates, [], 'no answer without heartbeat acks');
  net.drop = () => false;
  net.tick(1);
  assert.deepEqual(
    net.peer('a').readStates.map((r) => [r.index, str(r.context)]),
    [[commit, 'r1']],
  );
});

test('ReadIndex on a follower is answered through the leader', () => {
  const net = cluster();
  net.node('a').propose(bytes('x'));
  net.stabilize();
  const commit = net.node('a').status().hardState.commit;
  net.node('b').readIndex(bytes('r2'));
  net.stabilize();
  assert.deepEqual(
    net.peer('b').readStates.map((r) => [r.index, str(r.context)]),
    [[commit, 'r2']],
  );
  assert.equal(net.sent(MessageType.ReadIndex, 'b', 'a').length, 1);
  assert.equal(net.sent(MessageType.ReadIndexResp, 'a', 'b').length, 1);
});

test('a new leader answers reads only after committing an entry of its term', () => {
  const net = new Net(['a', 'b', 'c']);
  net.drop = (m) => m.type === MessageType.App;
  net.elect('a');
  net.node('a').readIndex(bytes('r3'));
  net.tick(2);
  assert.deepEqual(net.peer('a').readStates, []);
  net.drop = () => false;
  net.tick(2);
  const rs = net.peer('a').readStates;
  assert.equal(rs.length, 1);
  assert.equal(rs[0].index, net.node('a').status().hardState.commit);
  assert.ok(rs[0].index >= 1);
});

test('a deposed leader that does not know it never answers a read', () => {
  const net = cluster({ checkQuorum: false });
  net.isolate('a');
  net.tick(30, ['b', 'c']);
  const l = net.leaders().filter((x) => x !== 'a');
  assert.equal(l.length, 1);
  net.node(l[0]).propose(bytes('newer'));
  net.stabilize();
  net.node('a').readIndex(bytes('stale'));
  net.tick(5, ['a']);
  assert.deepEqual(net.peer('a').readStates, []);
});

test('a read with an empty context is answered too', () => {
  const net = cluster();
  net.node('a').readIndex(new Uint8Array(0));
  net.stabilize();
  assert.equal(net.peer('a').readStates.length, 1);
});
