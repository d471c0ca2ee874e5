// What a user reads when the managers have lost quorum: what happened, what still
// works, and the one way back if the lost managers are gone for good.
import { majority } from '../context.js';
import type { ManagerContext } from '../context.js';

export function quorumLossMessage(ctx: ManagerContext, detail: string): string {
  const voters = ctx.raft.status().conf.voters;
  const up = voters.filter((v) => ctx.reachable(v) !== false).length;
  return (
    `The swarm does not have a leader: ${voters.length} managers are configured, ${up} reachable from here, ` +
    `and ${majority(voters.length)} are needed (${detail}). ` +
    'Still working: existing overlay networks, running tasks and this node\'s local state; changes to the cluster are refused until a majority of managers is back. ' +
    'To recover: restart the lost managers; if they are gone for good, run `tsswarm swarm init --force-new-cluster` on a surviving manager, ' +
    'which keeps the swarm\'s state (nodes, networks, configs) and makes that manager the only one; then promote or join new managers.'
  );
}
