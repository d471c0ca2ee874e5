// Filters for listing endpoints across networks, Docker-style: values of one key are
// alternatives, keys must all match. Values arrive as lists (manager/api/filters.ts).

import { TsswarmError } from '../../shared/errors.js';
import type { Endpoint, Network } from '../store/index.js';

export type EndpointFilters = Readonly<Record<string, readonly string[]>>;

const ACCEPTED = new Set(['node', 'network', 'container']);

/**
 * node: node id; network: network id, name or id prefix; container: container id, id
 * prefix or name. Throws Invalid for an unknown key.
 */
export function endpointFilter(f: EndpointFilters): (e: Endpoint, n: Network) => boolean {
  for (const k of Object.keys(f)) if (!ACCEPTED.has(k)) throw new TsswarmError('Invalid', `invalid filter '${k}'`);
  const has = (k: string): readonly string[] | undefined => (f[k] && f[k].length > 0 ? f[k] : undefined);
  const node = has('node');
  const network = has('network');
  const container = has('container');
  return (e, n) => {
    if (node && !node.includes(e.spec.nodeId)) return false;
    if (network && !network.some((v) => v === n.spec.name || n.id.startsWith(v))) return false;
    if (container && !container.some((v) => v === e.spec.containerName || e.spec.containerId.startsWith(v))) return false;
    return true;
  };
}
