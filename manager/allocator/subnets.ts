// Subnets for overlay networks: carved from the cluster's default address pools, or given
// by the user and checked. Pure: the caller passes what is in use (read from the store) and
// every manager that passes the same inputs gets the same subnet.

import { TsswarmError } from '../../shared/errors.js';
import {
  alignUp, containsAddress, containsCidr, firstHost, formatCidr, formatIPv4, isReservedAddress, lastAddress,
  overlaps, parseCidr, parseIPv4, type Cidr,
} from '../../shared/net/cidr.js';

/** Docker's `--default-addr-pool` default. */
export const DEFAULT_ADDR_POOLS: readonly string[] = ['10.0.0.0/8'];
/** Docker's `--default-addr-pool-mask-length` default. */
export const DEFAULT_SUBNET_SIZE = 24;
/** Smallest block we hand out or accept: a /30 still has a gateway and one endpoint. */
export const MAX_SUBNET_PREFIX = 30;

export interface AddressPools {
  pools: readonly Cidr[];
  /** Prefix length of the subnets carved from the pools. */
  subnetSize: number;
}

/** A subnet some network already holds; `network` (its name) only serves error messages. */
export interface UsedSubnet {
  subnet: string;
  network: string;
}

/** What the user asked for (`--subnet`, `--gateway`, `--ip-range`); shaped as the store's IPAMConfig. */
export interface SubnetRequest {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
}

/** What a network gets; shaped as the store's IPAMConfig with subnet and gateway filled in. */
export interface SubnetAssignment {
  subnet: string;
  gateway: string;
  ipRange?: string;
}

/** Validates `--default-addr-pool` / `--default-addr-pool-mask-length` as given to `swarm init`. */
export function parseAddressPools(pools: readonly string[] = DEFAULT_ADDR_POOLS, subnetSize = DEFAULT_SUBNET_SIZE): AddressPools {
  if (pools.length === 0) throw new TsswarmError('Invalid', 'at least one default address pool is needed');
  if (!Number.isInteger(subnetSize) || subnetSize < 1 || subnetSize > MAX_SUBNET_PREFIX) {
    throw new TsswarmError('Invalid', `invalid subnet size /${subnetSize}: must be from /1 to /${MAX_SUBNET_PREFIX}`);
  }
  const parsed = pools.map((p) => parseCidr(p));
  for (const pool of parsed) {
    if (pool.prefix > subnetSize) {
      throw new TsswarmError('Invalid', `default address pool ${formatCidr(pool)} is smaller than the subnet size /${subnetSize}`);
    }
  }
  return { pools: parsed, subnetSize };
}

/** The IPv4 subnets a set of networks holds, for SubnetSpace. IPv6 subnets are not this allocator's concern. */
export function usedSubnets(
  networks: Iterable<{ name: string; ipam?: { configs: readonly { subnet?: string }[] } }>,
): UsedSubnet[] {
  const used: UsedSubnet[] = [];
  for (const n of networks) {
    for (const c of n.ipam?.configs ?? []) {
      if (c.subnet !== undefined && !c.subnet.includes(':')) used.push({ subnet: c.subnet, network: n.name });
    }
  }
  return used;
}

/**
 * The address space as seen by one allocation (or one batch): built from the subnets in
 * use, then asked for free or requested subnets, which it reserves so that a batch of
 * networks created in one command does not collide with itself.
 *
 * Used space is kept as sorted, disjoint, merged intervals. Finding the next free block
 * jumps from one used interval to the next, so carving the 1001st /24 out of 1000 used
 * ones touches one merged interval, not 1000 candidates.
 */
export class SubnetSpace {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** Subnets reserved by this space, on top of `used`; both only serve error messages. */
  private readonly reserved: UsedSubnet[] = [];

  /** Only serves error messages (which network is in the way). */
  private used: readonly UsedSubnet[];

  constructor(
    used: readonly UsedSubnet[],
    private readonly pools: AddressPools = parseAddressPools(),
  ) {
    this.used = used;
    // Typed arrays and a sortedness check: this runs once per network created, over
    // every subnet in use, which the store usually hands over in allocation order.
    const rawStarts = new Float64Array(used.length);
    const rawEnds = new Float64Array(used.length);
    let n = 0;
    let sorted = true;
    for (const u of used) {
      if (u.subnet.includes(':')) continue;
      const c = parseCidr(u.subnet);
      if (n > 0 && c.network < rawStarts[n - 1]) sorted = false;
      rawStarts[n] = c.network;
      rawEnds[n] = lastAddress(c);
      n++;
    }
    if (sorted) {
      for (let i = 0; i < n; i++) this.addSorted(rawStarts[i], rawEnds[i]);
    } else {
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => rawStarts[a] - rawStarts[b]);
      for (const i of order) this.addSorted(rawStarts[i], rawEnds[i]);
    }
  }

  /** An independent copy, for trying assignments without reserving. */
  clone(): SubnetSpace {
    const c = new SubnetSpace([], this.pools);
    c.starts.push(...this.starts);
    c.ends.push(...this.ends);
    c.reserved.push(...this.reserved);
    c.used = this.used;
    return c;
  }

  /** assign() for each request in turn, for one network. */
  assignEach(requests: readonly SubnetRequest[], network: string): SubnetAssignment[] {
    return requests.map((r) => this.assign(r, network));
  }

  /** Appends an interval that starts at or after every one held so far, merging as it goes. */
  private addSorted(start: number, end: number): void {
    const last = this.ends.length - 1;
    if (last >= 0 && start <= this.ends[last] + 1) {
      this.ends[last] = Math.max(this.ends[last], end);
    } else {
      this.starts.push(start);
      this.ends.push(end);
    }
  }

  /** The lowest free subnet of the pools' size, pools in the order given; does not reserve it. */
  nextFree(): Cidr {
    const size = 2 ** (32 - this.pools.subnetSize);
    for (const pool of this.pools.pools) {
      const poolEnd = lastAddress(pool);
      let candidate = pool.network;
      let i = this.firstEndingAtOrAfter(candidate);
      while (candidate + size - 1 <= poolEnd) {
        // Aligning up can jump past several small used blocks at once.
        while (i < this.ends.length && this.ends[i] < candidate) i++;
        if (i >= this.starts.length || this.starts[i] > candidate + size - 1) {
          return { network: candidate, prefix: this.pools.subnetSize };
        }
        candidate = alignUp(this.ends[i] + 1, size);
      }
    }
    throw new TsswarmError('Unavailable',
      `address pools exhausted: no free /${this.pools.subnetSize} in ${this.pools.pools.map(formatCidr).join(', ')}`);
  }

  /**
   * Validates a request (a missing subnet means "pick one from the pools"), reserves the
   * subnet for `network` and returns what the network gets. Errors: 'Invalid' for
   * malformed or inconsistent input, 'Conflict' for overlap, 'Unavailable' when the pools are full.
   */
  assign(request: SubnetRequest | undefined, network: string): SubnetAssignment {
    const req = request ?? {};
    let subnet: Cidr;
    if (req.subnet === undefined) {
      if (req.gateway !== undefined) throw new TsswarmError('Invalid', `gateway ${req.gateway} given without a subnet`);
      if (req.ipRange !== undefined) throw new TsswarmError('Invalid', `ip-range ${req.ipRange} given without a subnet`);
      subnet = this.nextFree();
    } else {
      subnet = parseCidr(req.subnet);
      if (subnet.prefix > MAX_SUBNET_PREFIX) {
        throw new TsswarmError('Invalid', `subnet ${req.subnet} is too small: the smallest is a /${MAX_SUBNET_PREFIX}`);
      }
      this.checkFree(subnet);
    }
    const gateway = req.gateway === undefined ? firstHost(subnet) : checkGateway(req.gateway, subnet);
    const assignment: SubnetAssignment = { subnet: formatCidr(subnet), gateway: formatIPv4(gateway) };
    if (req.ipRange !== undefined) {
      const range = parseCidr(req.ipRange);
      if (!containsCidr(subnet, range)) {
        throw new TsswarmError('Invalid', `ip-range ${req.ipRange} is not inside subnet ${formatCidr(subnet)}`);
      }
      assignment.ipRange = formatCidr(range);
    }
    this.reserve(subnet, network);
    return assignment;
  }

  private checkFree(subnet: Cidr): void {
    const i = this.firstEndingAtOrAfter(subnet.network);
    if (i < this.starts.length && this.starts[i] <= lastAddress(subnet)) {
      // Only on failure: name the network(s) in the way.
      const clash = [...this.used, ...this.reserved]
        .filter((u) => !u.subnet.includes(':'))
        .map((u) => ({ cidr: parseCidr(u.subnet), network: u.network }))
        .filter((h) => overlaps(h.cidr, subnet))
        .sort((a, b) => a.cidr.network - b.cidr.network || a.cidr.prefix - b.cidr.prefix || (a.network < b.network ? -1 : 1))
        .map((h) => `${formatCidr(h.cidr)} of network ${h.network}`);
      throw new TsswarmError('Conflict', `subnet ${formatCidr(subnet)} overlaps with ${clash.join(', ')}`);
    }
  }

  private reserve(subnet: Cidr, network: string): void {
    this.reserved.push({ subnet: formatCidr(subnet), network });
    const start = subnet.network;
    const end = lastAddress(subnet);
    // checkFree / nextFree guarantee no overlap, so only adjacent neighbours merge.
    const i = this.firstEndingAtOrAfter(start);
    const joinsPrev = i > 0 && this.ends[i - 1] + 1 === start;
    const joinsNext = i < this.starts.length && this.starts[i] === end + 1;
    if (joinsPrev && joinsNext) {
      this.ends[i - 1] = this.ends[i];
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    } else if (joinsPrev) {
      this.ends[i - 1] = end;
    } else if (joinsNext) {
      this.starts[i] = start;
    } else {
      this.starts.splice(i, 0, start);
      this.ends.splice(i, 0, end);
    }
  }

  /** Index of the first used interval whose end is ≥ address (binary search). */
  private firstEndingAtOrAfter(address: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid] < address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function checkGateway(text: string, subnet: Cidr): number {
  const gateway = parseIPv4(text, 'gateway');
  if (!containsAddress(subnet, gateway)) {
    throw new TsswarmError('Invalid', `gateway ${text} is not in subnet ${formatCidr(subnet)}`);
  }
  if (isReservedAddress(subnet, gateway)) {
    const which = gateway === subnet.network ? 'network' : 'broadcast';
    throw new TsswarmError('Invalid', `gateway ${text} is the ${which} address of subnet ${formatCidr(subnet)}`);
  }
  return gateway;
}

/** One-shot form of SubnetSpace.assign, for a single network. */
export function assignSubnet(
  request: SubnetRequest | undefined,
  network: string,
  used: readonly UsedSubnet[],
  pools: AddressPools = parseAddressPools(),
): SubnetAssignment {
  return new SubnetSpace(used, pools).assign(request, network);
}

