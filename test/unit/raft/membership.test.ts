import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, bytes } from './net.js';
import { MemoryStorage } from '../../../manager/raft/core/memory_storage.js';
import { ConfChangeType, MessageType, RaftErrorCode, Role } from '../../../manager/raft/core/types.js';
import { decodeConfChange, encodeConfChange } from '../../../manager/raft/core/confchange.js';

function cluster(): Net {
  const net = new Net(['a', 'b', 'c']);
  net.elect('a');
  return net;
}

test('conf change encoding round-trips and is deterministic', () => {
  const cc = { type: ConfChangeType.AddLearner, node: 'nöde-7', context: bytes('10.0.0.7:2377') };
  const a = encodeConfChange(cc);
  assert.deepEqual(a, encodeConfChange({ ...cc }));
  assert.deepEqual(decodeConfChange(a), cc);
  assert.deepEqual(decodeConfChange(encodeConfChange({ type: ConfChangeType.RemoveNode, node: 'x' })), {
    type: ConfChangeType.RemoveNode,
    node: 'x',
  });
  assert.throws(() => decodeConfChange(a.subarray(0, 5)));
});

test('a learner receives the log but never counts for commit nor campaigns; then it is promoted', () => {
  const net = cluster();
  assert.equal(net.node('a').proposeConfChange({ type: ConfChangeType.AddLearner, node: 'd' }), null);
  net.addPeer('d', new MemoryStorage(), 4);
  net.stabilize();
  assert.deepEqual(net.node('a').status().conf, { voters: ['a', 'b', 'c'], learners: ['d'] });
  net.node('a').propose(bytes('x'));
  net.tick(2);
  assert.deepEqual(net.peer('d').sm, ['x']);
  assert.deepEqual(net.node('d').status().conf.learners, ['d']);

  // With both other voters gone, the learner's copy must not make a majority.
  net.isolate('b');
  net.isolate('c');
  net.node('a').propose(bytes('y'));
  net.stabilize();
  const st = net.node('a').status();
  assert.equal(st.progress?.d.match, net.peer('a').storage.lastIndex(), 'd stores it');
  assert.ok(st.hardState.commit < net.peer('a').storage.lastIndex(), 'but it is not committed');
  net.heal();
  net.tick(2);

  net.isolate('d');
  net.delivered = [];
  net.tick(40, ['d']);
  assert.equal(net.delivered.length, 0);
  assert.equal(net.node('d').status().softState.role, Role.Follower);
  net.heal();
  net.tick(2);

  assert.equal(net.node('a').proposeConfChange({ type: ConfChangeType.AddVoter, node: 'd' }), null);
  net.stabilize();
  for (const id of ['a', 'b', 'c', 'd']) {
    assert.deepEqual(net.node(id).status().conf, { voters: ['a', 'b', 'c', 'd'], learners: [] }, id);
  }
  // Four voters: a and b alone are no longer a majority.
  net.isolate('c');
  net.isolate('d');
  net.node('a').propose(bytes('z'));
  net.stabilize();
  assert.ok(net.node('a').status().hardState.commit < net.peer('a').storage.lastIndex());
});

test('a fresh node can be added as a voter directly', () => {
  const net = cluster();
  assert.equal(net.node('a').proposeConfChange({ type: ConfChangeType.AddVoter, node: 'd' }), null);
  net.addPeer('d', new MemoryStorage(), 4);
  net.stabilize();
  net.tick(2);
  assert.deepEqual(net.node('d').status().conf.voters, ['a', 'b', 'c', 'd']);
  assert.equal(net.node('d').status().hardState.commit, net.node('a').status().hardState.commit);
});

test('removing a voter shrinks the quorum; the removed node stops campaigning', () => {
  const net = cluster();
  assert.equal(net.node('a').proposeConfChange({ type: ConfChangeType.RemoveNode, node: 'c' }), null);
  net.stabilize();
  assert.deepEqual(net.node('a').status().conf.voters, ['a', 'b']);
  assert.deepEqual(net.node('c').status().conf.voters, ['a', 'b'], 'c applied its own removal');
  net.isolate('c');
  net.delivered = [];
  net.tick(40, ['c']);
  assert.equal(net.sent(MessageType.PreVote, 'c').length + net.sent(MessageType.Vote, 'c').length, 0);
  assert.equal(net.queue.filter((m) => m.from === 'c').length, 0);
  // Two voters: both are needed.
  net.heal();
  net.isolate('b');
  net.node('a').propose(bytes('x'));
  net.stabilize();
  assert.ok(net.node('a').status().hardState.commit < net.peer('a').storage.lastIndex());
});

test('a leader that removes itself steps down after applying it, and never campaigns again', () => {
  const net = cluster();
  assert.equal(net.node('a').proposeConfChange({ type: ConfChangeType.RemoveNode, node: 'a' }), null);
  net.stabilize();
  net.delivered = [];
  assert.equal(net.node('a').status().softState.role, Role.Follower);
  net.tick(40);
  const l = net.leaders();
  assert.equal(l.length, 1);
  assert.notEqual(l[0], 'a');
  assert.equal(net.sent(MessageType.PreVote, 'a').length, 0);
  net.node(l[0]).propose(bytes('after'));
  net.stabilize();
  assert.deepEqual(net.peer(l[0] === 'b' ? 'c' : 'b').sm, ['after']);
});

test('the last voter cannot be removed or demoted', () => {
  const net = new Net(['solo']);
  net.elect('solo');
  assert.equal(net.node('solo').proposeConfChange({ type: ConfChangeType.RemoveNode, node: 'solo' })?.code, RaftErrorCode.LastVoter);
  assert.equal(net.node('solo').proposeConfChange({ type: ConfChangeType.AddLearner, node: 'solo' })?.code, RaftErrorCode.LastVoter);
  assert.deepEqual(net.node('solo').status().conf.voters, ['solo']);
});

test('one conf change at a time', () => {
  const net = cluster();
  assert.equal(net.node('a').proposeConfChange({ type: ConfChangeType.AddLearner, node: 'd' }), null);
  assert.equal(net.node('a').proposeConfChange({ type: ConfChangeType.AddLearner, node: 'e' })?.code, RaftErrorCode.ConfChangePending);
  net.stabilize();
  assert.equal(net.node('a').proposeConfChange({ type: ConfChangeType.AddLearner, node: 'e' }), null);
  net.stabilize();
  assert.deepEqual(net.node('b').status().conf.learners, ['d', 'e']);
});

test('a new leader accepts no conf change until its own no-op is applied', () => {
  const net = new Net(['a', 'b', 'c']);
  net.drop = (m) => m.type === MessageType.App;
  net.elect('a');
  assert.deepEqual(net.leaders(), ['a']);
  assert.equal(net.node('a').proposeConfChange({ type: ConfChangeType.AddLearner, node: 'd' })?.code, RaftErrorCode.ConfChangePending);
  net.drop = () => false;
  net.tick(2);
  assert.equal(net.node('a').proposeConfChange({ type: ConfChangeType.AddLearner, node: 'd' }), null);
});

test('conf changes are refused for unknown nodes and off the leader', () => {
  const net = cluster();
  assert.equal(net.node('a').proposeConfChange({ type: ConfChangeType.RemoveNode, node: 'zz' })?.code, RaftErrorCode.UnknownNode);
  assert.equal(net.node('a').proposeConfChange({ type: ConfChangeType.AddVoter, node: '' })?.code, RaftErrorCode.UnknownNode);
  assert.equal(net.node('b').proposeConfChange({ type: ConfChangeType.AddLearner, node: 'd' })?.code, RaftErrorCode.NotLeader);
});

test('applyConfChange is idempotent', () => {
  const net = cluster();
  const cc = { type: ConfChangeType.AddLearner, node: 'd' };
  const once = net.node('b').applyConfChange(cc);
  const twice = net.node('b').applyConfChange(cc);
  assert.deepEqual(once, twice);
  assert.deepEqual(twice, { voters: ['a', 'b', 'c'], learners: ['d'] });
});
