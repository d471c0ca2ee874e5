// The per-network sandbox on a host, as Docker's overlay driver builds it: a namespace
// holding a bridge (with the gateway address) and the network's kernel vxlan device.
import { TsswarmError } from '../../shared/errors.js';
import { firstHost, formatIPv4, parseCidr, parseIPv4, containsAddress } from '../../shared/net/cidr.js';
import { BRIDGE, DEFAULT_DATA_PATH_PORT, VXLAN, VXLAN_OVERHEAD } from './defaults.js';
import { ip, jsonArray, linkNames, listNetns, num, str, tryIp } from './iproute.js';
import { normalizeIPv4, sandboxName, sandboxVni } from './names.js';

export interface OverlayNetwork {
  vni: number;
  /** e.g. "10.0.0.0/24". */
  subnet: string;
  /** Default: the subnet's first host address, as Docker picks it. */
  gateway?: string;
  /** Inner MTU of the network. Default: the MTU of the link holding the VTEP address − 50. */
  mtu?: number;
  /** UDP port of the data plane. Default 4789. */
  dataPathPort?: number;
  /** No default route in containers. */
  internal?: boolean;
}

export interface SandboxOptions {
  /** Prefix of the sandbox's namespace name; each daemon or test run has its own. */
  prefix: string;
  /** This host's underlay address: the vxlan device's source address. */
  vtep: string;
  /** The namespace whose underlay the vxlan socket uses; default the caller's own. */
  hostNetns?: string;
}

/** What endpoints need to know about a built sandbox. */
export interface Sandbox {
  /** The sandbox's namespace name. */
  name: string;
  vni: number;
  prefixLen: number;
  gateway: string;
  mtu: number;
  internal: boolean;
}

async function netnsExists(name: string): Promise<boolean> {
  return (await listNetns()).includes(name);
}

/** The MTU of the link in `ns` that holds `address`. */
async function mtuOfAddress(ns: string | undefined, address: string): Promise<number> {
  for (const link of jsonArray(await ip(ns, ['-j', '-4', 'addr', 'show']))) {
    const infos = Array.isArray(link['addr_info']) ? link['addr_info'] : [];
    const holds = infos.some((a: unknown) => typeof a === 'object' && a !== null && (a as Record<string, unknown>)['local'] === address);
    const mtu = num(link, 'mtu');
    if (holds && mtu !== undefined) return mtu;
  }
  const where = ns === undefined ? 'this host' : `namespace ${ns}`;
  throw new TsswarmError('Invalid', `VTEP address ${address} is on no interface of ${where}; pass the host's underlay address or set the network's MTU`);
}

/** The vxlan device of a sandbox as the kernel reports it, or undefined. */
async function vxlanInfo(name: string): Promise<{ vni: number; port: number | undefined; local: string | undefined; master: string | undefined } | undefined> {
  const r = await tryIp(name, ['-j', '-d', 'link', 'show', 'dev', VXLAN]);
  if (r.code !== 0) return undefined;
  const link = jsonArray(r.stdout)[0];
  const data = link?.['linkinfo'];
  const info = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['info_data'] : undefined;
  if (!link || typeof info !== 'object' || info === null) return undefined;
  const d = info as Record<string, unknown>;
  const vni = num(d, 'id');
  if (vni === undefined) return undefined;
  return { vni, port: num(d, 'port'), local: str(d, 'local'), master: str(link, 'master') };
}

/**
 * A sandbox counts as built when its vxlan device hangs on the bridge with the wanted VNI,
 * port and VTEP; one built for another address (the host's changed) is rebuilt.
 */
async function isComplete(name: string, vni: number, port: number, vtep: string): Promise<boolean> {
  const vx = await vxlanInfo(name);
  return vx !== undefined && vx.vni === vni && vx.port === port && vx.local === vtep && vx.master === BRIDGE;
}

/**
 * Builds the sandbox of `net` on a host; a complete one is left as it is, a half-built
 * one (a crash mid-way) is removed and built again. On failure nothing is left behind.
 */
export async function createSandbox(net: OverlayNetwork, opts: SandboxOptions): Promise<Sandbox> {
  const name = sandboxName(opts.prefix, net.vni);
  const subnet = parseCidr(net.subnet);
  const gateway = normalizeIPv4(net.gateway ?? formatIPv4(firstHost(subnet)), 'gateway');
  if (!containsAddress(subnet, parseIPv4(gateway))) throw new TsswarmError('Invalid', `gateway ${gateway} is outside subnet ${net.subnet}`);
  const vtep = normalizeIPv4(opts.vtep, 'VTEP address');
  const port = net.dataPathPort ?? DEFAULT_DATA_PATH_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TsswarmError('Invalid', `data path port ${port} is not a port number (1-65535)`);
  const mtu = net.mtu ?? (await mtuOfAddress(opts.hostNetns, vtep)) - VXLAN_OVERHEAD;
  // 68 is the least IPv4 allows (RFC 791); the kernel refuses less anyway.
  if (!Number.isInteger(mtu) || mtu < 68) throw new TsswarmError('Invalid', `MTU ${mtu} of network ${net.vni} is below 68, the IPv4 minimum`);
  const sandbox: Sandbox = { name, vni: net.vni, prefixLen: subnet.prefix, gateway, mtu, internal: net.internal ?? false };

  if (await netnsExists(name)) {
    if (await isComplete(name, net.vni, port, vtep)) return sandbox;
    await removeSandboxNamed(name);
  }
  await ip(undefined, ['netns', 'add', name]);
  try {
    await ip(name, ['link', 'set', 'lo', 'up']);
    await ip(name, ['link', 'add', BRIDGE, 'mtu', String(mtu), 'type', 'bridge']);
    await ip(name, ['addr', 'add', `${gateway}/${subnet.prefix}`, 'dev', BRIDGE]);
    // Asked of the host namespace but born in the sandbox: the device's UDP socket stays in
    // the host (its underlay routes and address), with no moment where it sits in the host
    // under a temporary name a crash could leave behind.
    const add = await tryIp(opts.hostNetns, ['link', 'add', VXLAN, 'netns', name, 'mtu', String(mtu), 'type', 'vxlan',
      'id', String(net.vni), 'dstport', String(port), 'local', vtep,
      // Learning off and no miss notifications: every remote entry is programmed statically.
      // proxy: the device answers ARP from its neighbour table, so no broadcast crosses the underlay.
      'nolearning', 'proxy']);
    if (add.code !== 0) {
      const exists = /already exists/i.test(add.stderr);
      throw new TsswarmError(exists ? 'Conflict' : 'Unavailable', exists
        ? `a vxlan device with VNI ${net.vni} on port ${port} already exists on this host (a leftover of another sandbox?); remove it, e.g. with removeOrphans, and try again`
        : `creating the vxlan device of network ${net.vni} failed: ${add.stderr.trim() || `exit ${add.code}`}`);
    }
    await ip(name, ['link', 'set', VXLAN, 'master', BRIDGE]);
    // Remote MACs come only from the tables: the bridge must not learn them from traffic
    // either, or a removed container leaves a learned entry behind on the vxlan port.
    await ip(name, ['link', 'set', VXLAN, 'type', 'bridge_slave', 'learning', 'off']);
    await ip(name, ['link', 'set', VXLAN, 'up']);
    await ip(name, ['link', 'set', BRIDGE, 'up']);
  } catch (e) {
    await removeSandboxNamed(name).catch(() => undefined);
    throw e;
  }
  return sandbox;
}

/** Removes the sandbox of `vni`; removing one that is gone does nothing. */
export async function removeSandbox(prefix: string, vni: number): Promise<void> {
  await removeSandboxNamed(sandboxName(prefix, vni));
}

async function removeSandboxNamed(name: string): Promise<void> {
  if (!(await netnsExists(name))) return;
  // The vxlan device goes first and synchronously: a deleted namespace is torn down by the
  // kernel in the background, and until then its device holds the VNI on the host's port,
  // so an immediate re-create would fail with "already exists".
  if ((await linkNames(name).catch((): string[] => [])).includes(VXLAN)) {
    await ip(name, ['link', 'del', VXLAN]);
  }
  const r = await tryIp(undefined, ['netns', 'del', name]);
  if (r.code !== 0 && (await netnsExists(name))) {
    throw new TsswarmError('Unavailable', `removing sandbox namespace ${name} failed: ${r.stderr.trim()}`);
  }
}

export interface SandboxRef {
  name: string;
  vni: number;
}

/** The sandboxes with `prefix` that exist now. */
export async function listSandboxes(prefix: string): Promise<SandboxRef[]> {
  const found: SandboxRef[] = [];
  for (const name of await listNetns()) {
    const vni = sandboxVni(prefix, name);
    if (vni !== undefined) found.push({ name, vni });
  }
  return found.sort((a, b) => a.vni - b.vni);
}

/** Removes every sandbox with `prefix` whose VNI is not in `keepVnis` (a crashed daemon's leftovers); returns what it removed. */
export async function removeOrphans(prefix: string, keepVnis: Iterable<number>): Promise<SandboxRef[]> {
  const keep = new Set(keepVnis);
  const removed: SandboxRef[] = [];
  for (const sb of await listSandboxes(prefix)) {
    if (keep.has(sb.vni)) continue;
    await removeSandboxNamed(sb.name);
    removed.push(sb);
  }
  return removed;
}
