// Regressions for core bugs the deterministic simulator (test/sim) found.
// Each test names the seed that first showed it: `npm run sim -- --seed S --nodes N`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, storageWith } from './net.js';
import { MessageType, Role } from '../../../manager/raft/core/types.js';

// Seeds 1287 (3 nodes), 4214 (5), 4529 (3), with pre-vote off. Membership changes
// while one voter was partitioned left two voters: the up-to-date one (low term, knows
// both voters) and a stale one (high term from campaigning alone, whose membership
// predates the other voter, so it only asks peers that are gone). The stale voter
// ignored vote requests of a lower term, so the up-to-date one never learned the
// higher term and no leader was ever elected.
test('a candidate with a lagging term learns the term from the refusal and then wins (seed 1287)', () => {
  const net = new Net(['a', 'b'], { preVote: false, checkQuorum: false }, {
    // a: term 5, a membership that does not know b (its next voter, x, is long gone).
    a: storageWith({ voters: ['a', 'x'], learners: [] }, [[1, 1]], { term: 5, commit: 1, vote: 'a' }),
    // b: term 2, knows a and b, and holds the longer log.
    b: storageWith({ voters: ['a', 'b'], learners: [] }, [[1, 1], [2, 1]], { term: 2, commit: 1 }),
  });
  net.node('b').campaign();
  net.stabilize();
  const refusals = net.sent(MessageType.VoteResp, 'a', 'b');
  assert.equal(refusals.length, 1, 'a must answer a vote request of an older term');
  assert.equal(refusals[0]!.reject, true);
  assert.equal(refusals[0]!.term, 5);
  assert.equal(net.node('b').status().hardState.term, 5, 'b must take the newer term from the refusal');

  // Both keep campaigning on their own clocks; b, with the better log, must win.
  for (let i = 0; i < 200 && net.leaders().length === 0; i++) net.tick(1);
  assert.deepEqual(net.leaders(), ['b']);
  assert.equal(net.node('b').status().softState.role, Role.Leader);
});
