// A follower whose transport lost its leader gives up the lease and campaigns
// early; one that still hears the leader keeps refusing campaigns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, seeded } from './net.js';

/** Ticks until some node other than `old` leads, with `old` cut off; -1 if none within 40. */
function ticksToNewLeader(net: Net, old: string, report: string[]): number {
  net.isolate(old);
  for (const id of report) net.node(id).reportUnreachable(old);
  for (let t = 1; t <= 40; t++) {
    net.tick(1);
    if (net.leaders().some((l) => l !== old)) return t;
  }
  return -1;
}

test('followers that lose the connection to their leader elect a new one within one election timeout', () => {
  let fast = 0;
  let slow = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const a = new Net(['a', 'b', 'c'], { rand: seeded(seed) });
    a.tick(25);
    const [lead] = a.leaders();
    assert.ok(lead);
    const others = ['a', 'b', 'c'].filter((x) => x !== lead);
    const t = ticksToNewLeader(a, lead, others);
    // Usually within the base timeout; a split vote (both fire on one tick) costs a round more.
    assert.ok(t > 0 && t < 20, `seed ${seed}: new leader after ${t} ticks with the loss reported`);
    fast += t;

    const b = new Net(['a', 'b', 'c'], { rand: seeded(seed) });
    b.tick(25);
    const [lead2] = b.leaders();
    const t2 = ticksToNewLeader(b, lead2!, []);
    assert.ok(t2 >= 10, `seed ${seed}: without the report a whole timeout must pass (took ${t2})`);
    slow += t2;
  }
  assert.ok(fast < slow / 2, `reported loss should at least halve failover: ${fast} vs ${slow} ticks over 20 seeds`);
});

test('a one-sided loss report does not depose a leader the others still hear', () => {
  const net = new Net(['a', 'b', 'c'], { rand: seeded(7) });
  net.tick(25);
  const [lead] = net.leaders();
  assert.ok(lead);
  const term = net.node(lead).status().hardState.term;
  const [x] = ['a', 'b', 'c'].filter((id) => id !== lead);
  for (let i = 0; i < 50; i++) {
    net.node(x!).reportUnreachable(lead);
    net.tick(1);
  }
  assert.deepEqual(net.leaders(), [lead]);
  assert.equal(net.node(lead).status().hardState.term, term, 'no new term: the pre-vote was refused');
});
