// Whether a change to the set of managers keeps Raft able to commit. Used to refuse,
// with the arithmetic in the message, what would lose quorum.
import { majority, type ManagerContext } from '../context.js';
import { TsswarmError } from '../../shared/errors.js';

export interface QuorumView {
  voters: string[];
  reachable: string[];
}

export function quorumView(ctx: ManagerContext): QuorumView {
  const voters = ctx.raft.status().conf.voters;
  return { voters, reachable: voters.filter((v) => ctx.reachable(v) !== false) };
}

/** Throws Refused if removing `nodeId` from the voters would leave too few reachable voters to commit. */
export function checkRemovalKeepsQuorum(ctx: ManagerContext, nodeId: string, what: 'demote' | 'remove' | 'leave'): void {
  const v = quorumView(ctx);
  if (!v.voters.includes(nodeId)) return;
  if (v.voters.length === 1) {
    throw new TsswarmError('Refused', `cannot ${what} ${nodeId}: it is the last manager of the swarm; a swarm needs at least one (use \`tsswarm swarm leave --force\` on it to dissolve the swarm)`);
  }
  const after = v.voters.length - 1;
  const up = v.reachable.filter((r) => r !== nodeId).length;
  if (up < majority(after)) {
    throw new TsswarmError(
      'Refused',
      `cannot ${what} ${nodeId}: it would lose quorum — ${after} managers would remain, of which ${up} ${up === 1 ? 'is' : 'are'} reachable, ` +
        `and ${majority(after)} are needed; bring the unreachable managers back (or remove them) first`,
    );
  }
}
