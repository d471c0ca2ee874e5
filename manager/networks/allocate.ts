// The allocation decision for a new network: given the networks in the store and the
// cluster's address pools, which subnets, gateways and VNI it gets. Pure: the caller reads
// the inputs (and commits the result under the allocation lock, see service.ts), so every
// manager that decides from the same state decides the same, and what is in use is always
// derived from the networks that exist: removing a network frees its subnets and VNI.

import { TsswarmError } from '../../shared/errors.js';
import {
  DEFAULT_ADDR_POOLS, DEFAULT_SUBNET_SIZE, SubnetSpace, parseAddressPools, usedSubnets, type AddressPools,
} from '../allocator/subnets.js';
import { DEFAULT_VNI_RANGE, allocateVni, checkRequestedVni, type VniRange } from '../allocator/vni.js';
import type { Cluster, IPAMConfig, Network, NetworkContent, NetworkSpec } from '../store/index.js';
import { DEFAULT_IPAM_DRIVER, OVERLAY_DRIVER, VXLANID_OPTION } from './defaults.js';
import { requestedVni } from './request.js';

/** The cluster's `--default-addr-pool` and mask length; Docker's defaults without a cluster object. */
export function poolsOf(cluster: Pick<Cluster, 'defaultAddrPool' | 'subnetSize'> | undefined): AddressPools {
  const pools = cluster && cluster.defaultAddrPool.length > 0 ? cluster.defaultAddrPool : DEFAULT_ADDR_POOLS;
  // 0 is what a swarm init without --default-addr-pool-mask-length may carry: the default.
  const size = cluster && cluster.subnetSize > 0 ? cluster.subnetSize : DEFAULT_SUBNET_SIZE;
  return parseAddressPools(pools, size);
}

/** Names are unique ignoring ASCII case, as the store compares them. */
export function sameName(a: string, b: string): boolean {
  const fold = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  return a.length === b.length && fold(a) === fold(b);
}

export interface AllocationInput {
  /** Every network in the store, as read under the allocation lock. */
  networks: readonly Network[];
  pools: AddressPools;
  vniRange?: VniRange;
}

/**
 * The content to store for a new network with this (checked) spec. Throws TsswarmError:
 * NameExists for a taken name, Conflict for an overlapping subnet (naming the network it
 * overlaps), a taken VNI or a second ingress network, Invalid for a gateway or ip-range
 * outside its subnet, Unavailable when the pools or the VNI range are exhausted.
 */
export function allocateNetwork(spec: NetworkSpec, input: AllocationInput): NetworkContent {
  return new NetworkAllocator(input).allocate(spec);
}

/**
 * The same decision for several networks in a row (one batch of creates): the state in
 * use is read from the networks once, and each allocation reserves what it took, so the
 * n-th network of a batch costs what the first does instead of another pass over all.
 */
export class NetworkAllocator {
  private readonly names = new Set<string>();
  private ingress: Network | { spec: NetworkSpec; id: string } | undefined;
  private readonly space: SubnetSpace;
  private readonly vnis = new Set<number>();
  private nextVni: number;
  private readonly vniRange: VniRange;

  constructor(input: AllocationInput) {
    const { networks, pools } = input;
    this.vniRange = input.vniRange ?? DEFAULT_VNI_RANGE;
    for (const n of networks) {
      this.names.add(fold(n.spec.name));
      if (n.spec.ingress && !this.ingress) this.ingress = n;
      if (n.driverState) this.vnis.add(n.driverState.vni);
    }
    this.space = new SubnetSpace(usedSubnets(networks.map((n) => ({ name: n.spec.name, ipam: n.ipam }))), pools);
    this.nextVni = this.vniRange.min;
  }

  allocate(spec: NetworkSpec): NetworkContent {
    if (this.names.has(fold(spec.name))) throw new TsswarmError('NameExists', `network with name ${spec.name} already exists`);
    if (spec.ingress && this.ingress) {
      throw new TsswarmError('Conflict', `ingress network ${this.ingress.spec.name} (${this.ingress.id}) is already present; a swarm has one`);
    }
    const asked = requestedVni(spec.driverConfiguration.options);
    const vni = asked === undefined ? this.lowestVni() : checkRequestedVni(asked, this.vnis, this.vniRange);
    // Subnets last: assign reserves them, so nothing after it may fail.
    const requested = spec.ipamOptions?.configs ?? [];
    const configs: IPAMConfig[] = requested.length === 0
      ? [this.space.assign(undefined, spec.name)]
      : this.assignAll(requested, spec.name);
    this.names.add(fold(spec.name));
    this.vnis.add(vni);
    if (spec.ingress) this.ingress = { spec, id: '' };
    const ipamDriver = spec.ipamOptions?.driver.options
      ? { name: DEFAULT_IPAM_DRIVER, options: { ...spec.ipamOptions.driver.options } }
      : { name: DEFAULT_IPAM_DRIVER };
    return {
      spec,
      driverState: {
        name: OVERLAY_DRIVER,
        vni,
        options: { ...spec.driverConfiguration.options, [VXLANID_OPTION]: String(vni) },
      },
      ipam: { driver: ipamDriver, configs },
    };
  }

  /** Several subnets for one network: all or none, so a failed batch member leaves no reservation behind. */
  private assignAll(requested: readonly IPAMConfig[], name: string): IPAMConfig[] {
    // One space for all the network's subnets, so they cannot overlap each other either;
    // a trial on a copy first, so that a failure part-way reserves nothing in the real one.
    this.space.clone().assignEach(requested, name);
    return this.space.assignEach(requested, name);
  }

  private lowestVni(): number {
    while (this.nextVni <= this.vniRange.max && this.vnis.has(this.nextVni)) this.nextVni++;
    if (this.nextVni > this.vniRange.max) return allocateVni(this.vnis, this.vniRange);
    return this.nextVni;
  }
}

function fold(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}
