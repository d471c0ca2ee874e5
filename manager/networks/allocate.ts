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
  const { networks, pools } = input;
  const vniRange = input.vniRange ?? DEFAULT_VNI_RANGE;
  if (networks.some((n) => sameName(n.spec.name, spec.name))) {
    throw new TsswarmError('NameExists', `network with name ${spec.name} already exists`);
  }
  if (spec.ingress) {
    const other = networks.find((n) => n.spec.ingress);
    if (other) throw new TsswarmError('Conflict', `ingress network ${other.spec.name} (${other.id}) is already present; a swarm has one`);
  }

  // One space for all the network's subnets, so they cannot overlap each other either.
  const space = new SubnetSpace(usedSubnets(networks.map((n) => ({ name: n.spec.name, ipam: n.ipam }))), pools);
  const requested = spec.ipamOptions?.configs ?? [];
  const configs: IPAMConfig[] = requested.length === 0
    ? [space.assign(undefined, spec.name)]
    : requested.map((c) => space.assign(c, spec.name));

  const usedVnis: number[] = [];
  for (const n of networks) if (n.driverState) usedVnis.push(n.driverState.vni);
  const asked = requestedVni(spec.driverConfiguration.options);
  const vni = asked === undefined ? allocateVni(usedVnis, vniRange) : checkRequestedVni(asked, usedVnis, vniRange);

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
