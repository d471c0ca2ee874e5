// Endpoint addresses inside one network. The store's endpoints are the truth: releasing an
// address is deleting the endpoint that holds it, and the next allocation sees it free.

import { TsswarmError } from '../../shared/errors.js';
import {
  containsAddress, firstHost, formatCidr, formatHostCidr, formatIPv4, isReservedAddress, lastAddress, lastHost, parseCidr,
  parseHostCidr, parseIPv4, type Cidr,
} from '../../shared/net/cidr.js';

/** A network's addressing as the subnet allocator assigned it (the store's IPAMConfig). */
export interface NetworkAddressing {
  subnet: string;
  gateway: string;
  ipRange?: string;
}

export interface EndpointAddress {
  /** "10.0.1.5" */
  ip: string;
  /** "10.0.1.5/24", the form endpoints and attachments keep. */
  cidr: string;
  /** "02:42:0a:00:01:05" */
  mac: string;
}

interface Plan {
  subnet: Cidr;
  gateway: number;
  range: Cidr;
}

function plan(addressing: NetworkAddressing): Plan {
  const subnet = parseCidr(addressing.subnet);
  const range = addressing.ipRange === undefined ? subnet : parseCidr(addressing.ipRange);
  return { subnet, gateway: parseIPv4(addressing.gateway, 'gateway'), range };
}

/** In-use entries may be bare ("10.0.1.5") or carry the prefix ("10.0.1.5/24"). */
function usedSet(used: Iterable<string>): Set<number> {
  const set = new Set<number>();
  for (const u of used) set.add(u.includes('/') ? parseHostCidr(u).address : parseIPv4(u));
  return set;
}

function endpoint(address: number, subnet: Cidr): EndpointAddress {
  return { ip: formatIPv4(address), cidr: formatHostCidr({ address, prefix: subnet.prefix }), mac: macFromIPv4(address) };
}

/**
 * The lowest free address of the network's ip-range (the whole subnet if none), never the
 * network, broadcast or gateway address. 'Unavailable' when none is left.
 */
export function allocateAddress(addressing: NetworkAddressing, used: Iterable<string>, network = ''): EndpointAddress {
  const p = plan(addressing);
  const taken = usedSet(used);
  // The range's own first and last addresses are ordinary hosts (as in libnetwork); only
  // the subnet's network and broadcast addresses are not.
  const lo = Math.max(p.range.network, firstHost(p.subnet));
  const hi = Math.min(lastAddress(p.range), lastHost(p.subnet));
  for (let a = lo; a <= hi; a++) {
    if (a !== p.gateway && !taken.has(a)) return endpoint(a, p.subnet);
  }
  const where = addressing.ipRange === undefined ? `subnet ${formatCidr(p.subnet)}` : `ip-range ${formatCidr(p.range)}`;
  throw new TsswarmError('Unavailable', `no free address in ${where}${network === '' ? '' : ` of network ${network}`}`);
}

/**
 * Checks a static address the user asked for (`--ip`). Docker allows any host address of
 * the subnet, also outside the ip-range, which only bounds dynamic allocation.
 */
export function requestAddress(addressing: NetworkAddressing, wanted: string, used: Iterable<string>, network = ''): EndpointAddress {
  const p = plan(addressing);
  const address = parseIPv4(wanted, 'IP address');
  const on = network === '' ? '' : ` on network ${network}`;
  if (!containsAddress(p.subnet, address)) {
    throw new TsswarmError('Invalid', `IP address ${wanted} is not in subnet ${formatCidr(p.subnet)}${on}`);
  }
  if (isReservedAddress(p.subnet, address)) {
    throw new TsswarmError('Invalid', `IP address ${wanted} is the ${address === p.subnet.network ? 'network' : 'broadcast'} address of subnet ${formatCidr(p.subnet)}`);
  }
  if (address === p.gateway) throw new TsswarmError('Conflict', `IP address ${wanted} is the gateway${on}`);
  if (usedSet(used).has(address)) throw new TsswarmError('Conflict', `IP address ${wanted} is already in use${on}`);
  return endpoint(address, p.subnet);
}

/** Docker derives a container's MAC from its IPv4 address: 02:42 then the four address bytes. */
export function macFromIPv4(address: number): string {
  const bytes = formatIPv4(address).split('.').map((o) => Number(o).toString(16).padStart(2, '0'));
  return ['02', '42', ...bytes].join(':');
}
