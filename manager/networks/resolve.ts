// How a user's reference names a network, as Docker resolves it: the full id, then the
// exact name, then a unique id prefix.

import { TsswarmError } from '../../shared/errors.js';
import type { Network } from '../store/index.js';

/** Throws NotFound ("network X not found") or Invalid for an ambiguous prefix, in Docker's words. */
export function resolveNetwork(ref: string, networks: readonly Network[]): Network {
  if (ref !== '') {
    const exact = networks.find((n) => n.id === ref) ?? networks.find((n) => n.spec.name === ref);
    if (exact) return exact;
    const byPrefix = networks.filter((n) => n.id.startsWith(ref));
    if (byPrefix.length === 1) return byPrefix[0];
    if (byPrefix.length > 1) {
      throw new TsswarmError('Invalid', `network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    }
  }
  throw new TsswarmError('NotFound', `network ${ref} not found`);
}
