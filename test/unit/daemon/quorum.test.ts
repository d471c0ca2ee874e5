// The arithmetic behind refusing a demotion, removal or leave that would lose quorum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRemovalKeepsQuorum } from '../../../manager/roles/quorum.js';
import type { ManagerContext } from '../../../manager/context.js';
import { failsWith } from '../errors.js';

function ctx(voters: string[], down: string[] = []): ManagerContext {
  // Only what the quorum check reads; the rest of the context is not consulted.
  return {
    raft: { status: () => ({ conf: { voters, learners: [] } }) },
    reachable: (id: string) => !down.includes(id),
  } as unknown as ManagerContext;
}

test('removing a manager is allowed while the rest keep a reachable majority', () => {
  assert.doesNotThrow(() => checkRemovalKeepsQuorum(ctx(['a', 'b', 'c']), 'c', 'demote'));
  assert.doesNotThrow(() => checkRemovalKeepsQuorum(ctx(['a', 'b']), 'b', 'demote'));
  // Removing the unreachable one is how a cluster sheds a dead manager.
  assert.doesNotThrow(() => checkRemovalKeepsQuorum(ctx(['a', 'b', 'c'], ['c']), 'c', 'demote'));
  // Not a voter: nothing to check.
  assert.doesNotThrow(() => checkRemovalKeepsQuorum(ctx(['a']), 'w', 'remove'));
});

test('the last manager, and a removal that leaves too few reachable, are refused with the numbers', () => {
  assert.throws(() => checkRemovalKeepsQuorum(ctx(['a']), 'a', 'demote'), failsWith('Refused', /it is the last manager of the swarm/));
  assert.throws(() => checkRemovalKeepsQuorum(ctx(['a', 'b', 'c'], ['c']), 'b', 'demote'),
    failsWith('Refused', /would lose quorum — 2 managers would remain, of which 1 is reachable, and 2 are needed/));
  assert.throws(() => checkRemovalKeepsQuorum(ctx(['a', 'b', 'c', 'd', 'e'], ['d', 'e']), 'a', 'leave'),
    failsWith('Refused', /cannot leave a: it would lose quorum — 4 managers would remain, of which 2 are reachable, and 3 are needed/));
});
