// What keeps a network from being removed: a service that names it (its next task could
// not be placed), or a task that may still be attached to it. As swarmkit's RemoveNetwork,
// terminal tasks do not count (their endpoints are gone); unlike it, a task that was told
// to stop but has not yet reported stopping still does, since its process may still be
// attached and its address must not be handed out again. A container endpoint (see
// manager/endpoints) keeps its network in use until the node releases it.

import { TASK_STATES, type Endpoint, type Network, type Service, type Task } from '../store/index.js';
import { sameName } from './allocate.js';

export type NetworkUser =
  | { kind: 'service'; id: string; name: string }
  | { kind: 'task'; id: string; serviceId: string; state: string }
  | { kind: 'containers'; names: string[] };

const RUNNING = TASK_STATES.indexOf('running');

/** True while the task's process may exist: the worker has not reported it ended. */
export function mayBeAttached(t: Task): boolean {
  return TASK_STATES.indexOf(t.status.state) <= RUNNING;
}

/** The first user of each network in use, by network id. */
export function networkUsers(
  networks: readonly Network[],
  services: readonly Service[],
  tasks: readonly Task[],
  endpoints: readonly Endpoint[] = [],
): Map<string, NetworkUser> {
  // A service or task may name a network by id or by name (before the allocator resolved it).
  const byRef = (target: string): Network | undefined =>
    networks.find((n) => n.id === target) ?? networks.find((n) => sameName(n.spec.name, target));
  const ingress = networks.find((n) => n.spec.ingress);
  const users = new Map<string, NetworkUser>();
  const note = (network: Network | undefined, user: NetworkUser): void => {
    if (network && !users.has(network.id)) users.set(network.id, user);
  };

  for (const s of services) {
    const user: NetworkUser = { kind: 'service', id: s.id, name: s.spec.name };
    for (const n of s.spec.taskTemplate.networks ?? []) note(byRef(n.target), user);
    for (const v of s.endpoint?.virtualIPs ?? []) note(byRef(v.networkId), user);
    // Ports published through the routing mesh need the ingress network.
    if (ingress && (s.spec.endpointSpec?.ports ?? []).some((p) => p.publishMode === 'ingress')) note(ingress, user);
  }
  for (const t of tasks) {
    if (!mayBeAttached(t)) continue;
    const user: NetworkUser = { kind: 'task', id: t.id, serviceId: t.serviceId, state: t.status.state };
    for (const a of t.networksAttachments ?? []) note(byRef(a.networkId), user);
    for (const n of t.spec.networks ?? []) note(byRef(n.target), user);
  }
  // Every container is named, so the user knows what to stop; a network has few of them.
  const containers = new Map<string, string[]>();
  for (const e of endpoints) {
    const names = containers.get(e.spec.networkId);
    if (names) names.push(e.spec.containerName);
    else containers.set(e.spec.networkId, [e.spec.containerName]);
  }
  for (const [networkId, names] of containers) note(networks.find((n) => n.id === networkId), { kind: 'containers', names: names.sort() });
  return users;
}

/** Why `network` cannot be removed, for the user. */
export function inUseMessage(network: Network, user: NetworkUser): string {
  const name = network.spec.name;
  if (user.kind === 'service') {
    return `network ${name} is in use by service ${user.name} (${user.id}): remove the service, ` +
      `or detach it with \`service update --network-rm ${name} ${user.name}\`, first`;
  }
  if (user.kind === 'containers') {
    const shown = user.names.length > 10 ? [...user.names.slice(0, 10), `and ${user.names.length - 10} more`] : user.names;
    return `network ${name} has active endpoints (containers ${shown.join(', ')}): remove or disconnect the containers first`;
  }
  return `network ${name} is in use by task ${user.id} (state ${user.state}) of service ${user.serviceId}: ` +
    'wait for the task to stop, or remove its service, first';
}
