// VXLAN network identifiers for overlay networks. Docker's overlay driver hands them out
// from 4096 up (lower ones are left for other uses) to the 24-bit maximum.

import { TsswarmError } from '../../shared/errors.js';

export const MIN_VNI = 4096;
export const MAX_VNI = 2 ** 24 - 1;

export interface VniRange {
  min: number;
  max: number;
}

export const DEFAULT_VNI_RANGE: Readonly<VniRange> = { min: MIN_VNI, max: MAX_VNI };

/**
 * The lowest VNI in `range` not in `used`. Lowest-first makes the answer depend only on the
 * set in use, so every manager agrees. Cost is O(|used|): at most |used| + 1 probes.
 */
export function allocateVni(used: Iterable<number>, range: VniRange = DEFAULT_VNI_RANGE): number {
  const taken = used instanceof Set ? (used as Set<number>) : new Set(used);
  for (let vni = range.min; vni <= range.max; vni++) {
    if (!taken.has(vni)) return vni;
  }
  throw new TsswarmError('Unavailable', `VXLAN IDs exhausted: all of ${range.min}-${range.max} are in use`);
}

/** Checks a VNI the user asked for (Docker's `com.docker.network.driver.overlay.vxlanid_list`). */
export function checkRequestedVni(vni: number, used: Iterable<number>, range: VniRange = DEFAULT_VNI_RANGE): number {
  if (!Number.isInteger(vni) || vni < range.min || vni > range.max) {
    throw new TsswarmError('Invalid', `invalid VXLAN ID ${vni}: must be from ${range.min} to ${range.max}`);
  }
  for (const u of used) {
    if (u === vni) throw new TsswarmError('Conflict', `VXLAN ID ${vni} is already in use`);
  }
  return vni;
}
