// How a lab names what it makes. Every namespace and link starts with "ts<lab>-", so
// one prefix finds all of a lab's leftovers and no two labs can share a name.
import { createHash } from 'node:crypto';
import { TsswarmError } from '../shared/errors.js';
import { UNDERLAY_PREFIX, UNDERLAY_PREFIX_LEN } from './defaults.js';

/**
 * Lab names are short because they end up inside interface names, which the kernel
 * caps at 15 characters: "ts" + name (≤ 8) + "-" + host (≤ 4, e.g. "w99") = 15.
 */
const NAME_RE = /^[a-z0-9]{1,8}$/;

export function validateLabName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new TsswarmError('Invalid', `invalid lab name "${name}": use 1 to 8 characters from a-z and 0-9 (it becomes part of interface names, which are limited to 15 characters)`);
  }
}

/** The prefix of every namespace and link of the lab. The dash keeps lab "a" from matching lab "ab". */
export function labPrefix(lab: string): string {
  return `ts${lab}-`;
}

/** The namespace holding the lab's bridge, apart from the root namespace. */
export function hubNetns(lab: string): string {
  return `${labPrefix(lab)}hub`;
}

export function hostNetns(lab: string, host: string): string {
  return `${labPrefix(lab)}${host}`;
}

/** The bridge inside the hub namespace. */
export function bridgeName(lab: string): string {
  return `${labPrefix(lab)}br`;
}

/** The hub-side end of a host's veth pair (the host side is eth0 in the host's namespace). */
export function hubLinkName(lab: string, host: string): string {
  const name = `${labPrefix(lab)}${host}`;
  if (name.length > 15) throw new TsswarmError('Invalid', `interface name ${name} is longer than 15 characters; use a shorter lab name`);
  return name;
}

/** The third octet of the lab's underlay /24, from the name so a lab keeps its addresses across runs. */
export function underlayOctet(lab: string): number {
  return createHash('sha256').update(lab).digest()[0]!;
}

export function underlaySubnet(lab: string): string {
  return `${UNDERLAY_PREFIX}.${underlayOctet(lab)}.0/${UNDERLAY_PREFIX_LEN}`;
}

export function underlayAddress(lab: string, lastOctet: number): string {
  return `${UNDERLAY_PREFIX}.${underlayOctet(lab)}.${lastOctet}`;
}
