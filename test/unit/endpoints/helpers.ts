// A small swarm for the endpoint tests: the network tests' world (one state machine, one
// Store and NetworkService per simulated manager) plus one EndpointService per manager.

import { EndpointService, type EndpointServiceOptions } from '../../../manager/endpoints/service.js';
import type { AttachRequest } from '../../../manager/endpoints/request.js';
import type { CreateNetworkRequest } from '../../../manager/networks/request.js';
import type { Network } from '../../../manager/store/index.js';
import { world, type World, type WorldOptions } from '../networks/helpers.js';

export interface EndpointWorld extends World {
  endpointServices: EndpointService[];
  eps: EndpointService;
}

export async function endpointWorld(opts: WorldOptions & { endpoints?: EndpointServiceOptions } = {}): Promise<EndpointWorld> {
  const w = await world(opts);
  const endpointServices = w.stores.map((s) => new EndpointService(s, { backoffMs: 1, backoffCapMs: 4, ...opts.endpoints }));
  return { ...w, endpointServices, eps: endpointServices[0] };
}

/** An attachable network with a fixed /24, so addresses are predictable. */
export async function attachableNet(w: World, name: string, extra: Partial<CreateNetworkRequest> = {}): Promise<Network> {
  return w.net.create({ name, attachable: true, ipam: { configs: [{ subnet: '10.9.0.0/24' }] }, ...extra });
}

let n = 0;
/** A container with a unique Docker-style id on `node`. */
export function container(name: string, node = 'node1', extra: Partial<AttachRequest> = {}): AttachRequest {
  n++;
  return { containerName: name, containerId: n.toString(16).padStart(64, '0'), nodeId: node, ...extra };
}
