// The allocation decision for containers attaching to one network: given the network and
// every address already held on it, which address and MAC each gets. Pure: the caller
// reads the inputs and commits the result under the network's allocation lock (see
// service.ts), and what is in use is always derived from what exists, so deleting an
// endpoint frees its address for the next decision.

import { TsswarmError } from '../../shared/errors.js';
import { containsAddress, parseCidr, parseIPv4 } from '../../shared/net/cidr.js';
import { allocateAddress, requestAddress, type EndpointAddress, type NetworkAddressing } from '../allocator/addresses.js';
import { mayBeAttached } from '../networks/usage.js';
import type { Endpoint, EndpointContent, Network, Node, Service, Task } from '../store/index.js';
import type { CheckedAttach } from './request.js';

/** Everything that may hold an address on a network besides endpoints. */
export interface OtherHolders {
  tasks?: readonly Task[];
  services?: readonly Service[];
  nodes?: readonly Node[];
}

/**
 * The addresses held on `networkId`: the endpoints', and those the swarm allocator gives
 * tasks (while they may be attached), services' virtual IPs and nodes' own attachments.
 */
export function addressesInUse(networkId: string, endpoints: readonly Endpoint[], others: OtherHolders = {}): string[] {
  const used: string[] = [];
  for (const e of endpoints) if (e.spec.networkId === networkId) used.push(e.address);
  for (const t of others.tasks ?? []) {
    if (!mayBeAttached(t)) continue;
    for (const a of t.networksAttachments ?? []) if (a.networkId === networkId) used.push(...a.addresses);
  }
  for (const s of others.services ?? []) {
    for (const v of s.endpoint?.virtualIPs ?? []) if (v.networkId === networkId && v.addr !== '') used.push(v.addr);
  }
  for (const n of others.nodes ?? []) {
    for (const a of n.attachments ?? []) if (a.networkId === networkId) used.push(...a.addresses);
  }
  // IPv6 addresses are not this allocator's concern.
  return used.filter((u) => !u.includes(':'));
}

/** The network's IPv4 subnets as the subnet allocator assigned them, in order. */
export function addressingOf(network: Network): NetworkAddressing[] {
  const out: NetworkAddressing[] = [];
  for (const c of network.ipam?.configs ?? []) {
    if (c.subnet === undefined || c.gateway === undefined || c.subnet.includes(':')) continue;
    out.push(c.ipRange === undefined ? { subnet: c.subnet, gateway: c.gateway } : { subnet: c.subnet, gateway: c.gateway, ipRange: c.ipRange });
  }
  return out;
}

/** The subnet of `network` an endpoint address ("10.0.0.5/24" or bare) lies in. */
export function addressingFor(network: Network, address: string): NetworkAddressing | undefined {
  const ip = parseIPv4(address.split('/')[0] ?? '');
  return addressingOf(network).find((a) => containsAddress(parseCidr(a.subnet), ip));
}

/**
 * Refuses networks containers may not join, in Docker's words. Only attachable networks
 * take containers (swarmkit: "network X not manually attachable"); the ingress network
 * never does, it is the routing mesh's alone.
 */
export function checkAttachable(network: Network): void {
  const name = network.spec.name;
  if (network.spec.ingress) {
    throw new TsswarmError('Refused', `network ${name} is the ingress network: containers cannot be attached to it; use an attachable overlay network`);
  }
  if (!network.spec.attachable) {
    throw new TsswarmError('Refused', `network ${name} not manually attachable: create it with --attachable to attach containers`);
  }
  if (addressingOf(network).length === 0 || network.driverState === undefined) {
    throw new TsswarmError('Unavailable', `network ${name} has no subnet or VNI allocated yet; try again`);
  }
}

/**
 * The decision for several containers attaching to one network in a row (one batch): the
 * state in use is read once, and each allocation reserves what it took, so later members
 * of the batch cannot take the same address or name again.
 */
export class EndpointAllocator {
  private readonly used: string[];
  private readonly names = new Map<string, Pick<Endpoint, 'id'> & { nodeId: string }>();
  private readonly containers = new Set<string>();
  private readonly addressing: NetworkAddressing[];

  constructor(
    private readonly network: Network,
    endpoints: readonly Endpoint[],
    others: OtherHolders = {},
  ) {
    checkAttachable(network);
    this.addressing = addressingOf(network);
    this.used = addressesInUse(network.id, endpoints, others);
    for (const e of endpoints) {
      if (e.spec.networkId !== network.id) continue;
      this.names.set(e.spec.containerName, { id: e.id, nodeId: e.spec.nodeId });
      this.containers.add(e.spec.containerId);
    }
  }

  /**
   * The content to store for a new endpoint. Throws TsswarmError: Refused for a container
   * name already on the network or a container already attached (Docker answers both with
   * 403), Invalid for a requested address outside every subnet or a reserved one, Conflict
   * for a requested address that is taken or is the gateway, Unavailable when full.
   */
  allocate(req: CheckedAttach): EndpointContent {
    const name = this.network.spec.name;
    const holder = this.names.get(req.containerName);
    if (holder) {
      throw new TsswarmError('Refused',
        `endpoint with name ${req.containerName} already exists in network ${name} (endpoint ${holder.id} on node ${holder.nodeId}); choose another container name`);
    }
    if (this.containers.has(req.containerId)) {
      throw new TsswarmError('Refused', `container ${req.containerId} is already attached to network ${name}`);
    }
    const got = req.ipv4Address === undefined ? this.lowestFree() : this.requested(req.ipv4Address);
    this.used.push(got.ip);
    this.names.set(req.containerName, { id: '(same batch)', nodeId: req.nodeId });
    this.containers.add(req.containerId);
    const spec: EndpointContent['spec'] = {
      networkId: this.network.id,
      nodeId: req.nodeId,
      containerName: req.containerName,
      containerId: req.containerId,
      aliases: [...req.aliases],
    };
    if (req.ipv4Address !== undefined) spec.requestedAddress = req.ipv4Address;
    return { spec, address: got.cidr, mac: got.mac };
  }

  /** As libnetwork with several pools: the first subnet with a free address, in order. */
  private lowestFree(): EndpointAddress {
    for (const a of this.addressing) {
      try {
        return allocateAddress(a, this.used, this.network.spec.name);
      } catch (e) {
        if (!(e instanceof TsswarmError && e.code === 'Unavailable') || a === this.addressing[this.addressing.length - 1]) throw e;
      }
    }
    throw new TsswarmError('Unavailable', `no free address on network ${this.network.spec.name}`);
  }

  /** Any host address of a subnet (Docker allows one outside the ip-range, which bounds only dynamic allocation). */
  private requested(wanted: string): EndpointAddress {
    const a = addressingFor(this.network, wanted);
    if (!a) {
      const subnets = this.addressing.map((x) => x.subnet).join(', ');
      throw new TsswarmError('Invalid', `IP address ${wanted} is not in the subnet${this.addressing.length > 1 ? 's' : ''} ${subnets} of network ${this.network.spec.name}`);
    }
    return requestAddress(a, wanted, this.used, this.network.spec.name);
  }
}
