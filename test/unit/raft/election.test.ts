import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, bytes, cfgFor, storageWith, str } from './net.js';
import { RawNode } from '../../../manager/raft/core/rawnode.js';
import { MessageType, Role } from '../../../manager/raft/core/types.js';

test('a follower campaigns after a randomized timeout in [electionTick, 2*electionTick)', () => {
  for (const [r, want] of [
    [0, 10],
    [0.5, 15],
    [0.9999, 19],
  ] as const) {
    const st = storageWith({ voters: ['a', 'b', 'c'], learners: [] });
    const n = new RawNode({ ...cfgFor('a', st, {}, 1), rand: () => r });
    let ticks = 0;
    for (; ticks < 100; ticks++) {
      if (n.hasReady() && n.ready().messages.some((m) => m.type === MessageType.PreVote)) break;
      n.tick();
    }
    assert.equal(ticks, want, `rand=${r}`);
  }
});

test('three nodes elect exactly one leader, which commits a no-op everywhere', () => {
  const net = new Net(['a', 'b', 'c']);
  net.tick(25);
  const leaders = net.leaders();
  assert.equal(leaders.length, 1);
  const lead = leaders[0];
  const term = net.node(lead).status().hardState.term;
  for (const id of ['a', 'b', 'c']) {
    const st = net.node(id).status();
    assert.equal(st.softState.lead, lead);
    assert.equal(st.hardState.term, term);
    // Three bootstrap entries, then the leader's no-op.
    assert.equal(st.hardState.commit, 4);
    assert.equal(net.peer(id).applied, 4);
  }
});

test('pre-candidate keeps its term; a vote only starts after winning the pre-vote', () => {
  const net = new Net(['a', 'b', 'c']);
  net.stabilize();
  net.isolate('a');
  net.tick(60, ['a']);
  assert.equal(net.node('a').status().hardState.term, 1, 'still the bootstrap term');
  assert.equal(net.node('a').status().softState.role, Role.PreCandidate);
  assert.equal(net.sent(MessageType.Vote).length, 0);
});

test('a single-voter cluster elects itself on campaign and commits alone', () => {
  const net = new Net(['solo']);
  assert.equal(net.leaders().length, 0, 'no leader before a Hup/tick');
  net.elect('solo');
  assert.deepEqual(net.leaders(), ['solo']);
  assert.equal(net.node('solo').propose(bytes('x')), null);
  net.stabilize();
  assert.deepEqual(net.peer('solo').sm, ['x']);
  net.node('solo').readIndex(bytes('r1'));
  net.stabilize();
  assert.deepEqual(
    net.peer('solo').readStates.map((r) => [r.index, str(r.context)]),
    [[3, 'r1']], // bootstrap entry, no-op, 'x'
  );
});

test('a single-voter cluster elects itself by ticking', () => {
  const net = new Net(['solo']);
  net.tick(20);
  assert.deepEqual(net.leaders(), ['solo']);
});

function rejoinScenario(preVote: boolean): { before: number; after: number; leader: string[] } {
  const net = new Net(['a', 'b', 'c'], { preVote, checkQuorum: true });
  net.elect('a');
  const before = net.node('a').status().hardState.term;
  net.isolate('c');
  net.tick(50);
  net.heal();
  net.tick(30);
  return { before, after: net.node('a').status().hardState.term, leader: net.leaders() };
}

test('PreVote: a partitioned node that comes back does not depose a healthy leader', () => {
  const r = rejoinScenario(true);
  assert.deepEqual(r.leader, ['a']);
  assert.equal(r.after, r.before);
});

test('without PreVote the same rejoin does disrupt (the scenario is a real threat)', () => {
  const r = rejoinScenario(false);
  assert.ok(r.after > r.before, 'term should have been bumped by the rejoining node');
});

test('lease: followers with a live leader ignore a higher-term Vote', () => {
  const net = new Net(['a', 'b', 'c'], { preVote: false, checkQuorum: true });
  net.elect('a');
  const term = net.node('b').status().hardState.term;
  net.node('b').step({
    type: MessageType.Vote, from: 'c', to: 'b', term: term + 5, index: 100, logTerm: term + 4,
    entries: [], commit: 0, reject: false, rejectHint: 0,
  });
  net.stabilize();
  assert.equal(net.node('b').status().hardState.term, term);
  assert.equal(net.node('b').status().softState.lead, 'a');
});

test('CheckQuorum: a leader cut off from the majority steps down within an election timeout', () => {
  const net = new Net(['a', 'b', 'c'], { checkQuorum: true });
  net.elect('a');
  net.isolate('a');
  net.tick(21, ['a']);
  assert.equal(net.node('a').status().softState.role, Role.Follower);
});

test('without CheckQuorum an isolated leader stays leader (the step-down is the feature)', () => {
  const net = new Net(['a', 'b', 'c'], { checkQuorum: false });
  net.elect('a');
  net.isolate('a');
  net.tick(21, ['a']);
  assert.equal(net.node('a').status().softState.role, Role.Leader);
});

test('the majority side elects a new leader; the old one rejoins as follower', () => {
  const net = new Net(['a', 'b', 'c']);
  net.elect('a');
  net.isolate('a');
  net.tick(40, ['b', 'c']);
  net.tick(21, ['a']);
  const l = net.leaders();
  assert.equal(l.length, 1);
  assert.notEqual(l[0], 'a');
  net.heal();
  net.tick(3);
  assert.equal(net.node('a').status().softState.lead, l[0]);
});

test('a candidate with a stale log does not win', () => {
  const conf = { voters: ['a', 'b', 'c'], learners: [] };
  const net = new Net(['a', 'b', 'c'], {}, {
    a: storageWith(conf, [[1, 1]], { term: 1, commit: 1 }),
    b: storageWith(conf, [[1, 1], [2, 1]], { term: 1, commit: 1 }),
    c: storageWith(conf, [[1, 1], [2, 1]], { term: 1, commit: 1 }),
  });
  net.elect('a');
  assert.deepEqual(net.leaders(), []);
  net.elect('b');
  assert.deepEqual(net.leaders(), ['b']);
});

test('Ready only reports what changed, and mustSync only for entries/term/vote', () => {
  const net = new Net(['a', 'b', 'c']);
  net.elect('a');
  for (const id of ['a', 'b', 'c']) assert.equal(net.node(id).hasReady(), false);
  net.node('b').tick();
  assert.equal(net.node('b').hasReady(), false, 'a quiet tick produces nothing');
  net.node('a').tick();
  const rd = net.node('a').ready();
  assert.equal(rd.mustSync, false);
  assert.equal(rd.hardState, undefined);
  assert.equal(rd.softState, undefined);
  assert.ok(rd.messages.every((m) => m.type === MessageType.Heartbeat));
  net.node('a').advance(rd);
  assert.equal(net.node('a').propose(bytes('p')), null);
  const rd2 = net.node('a').ready();
  assert.equal(rd2.mustSync, true);
  assert.equal(rd2.entries.length, 1);
});
