// An endpoint: a container namespace plugged into a sandbox's bridge by a veth pair.
import { TsswarmError } from '../../shared/errors.js';
import { CONTAINER_LINK, BRIDGE } from './defaults.js';
import { batch, ip, linkNames, tryIp } from './iproute.js';
import { macForIp, normalizeIPv4, normalizeMac, vethName } from './names.js';
import type { Sandbox } from './sandbox.js';

export interface Endpoint {
  /** The container's address on the network. */
  ip: string;
  /** Default: 02:42 followed by the address, as Docker does. */
  mac?: string;
  /** The container's network namespace (a name in /run/netns). */
  netns: string;
  /** The interface's name in the container: eth0 for the first network, eth1 for the next… Default eth0. */
  link?: string;
  /** Route the container's default traffic through this network's gateway (one network per container does). Default: unless internal. */
  defaultRoute?: boolean;
}

/**
 * Attaches a container: sandbox end on the bridge, container end as ethN with the address,
 * MAC and MTU of the network, and a default route via the gateway if asked (never for an
 * internal network unless the caller insists). Attaching what is attached does nothing; a half-made attachment is redone.
 */
export async function attachEndpoint(sb: Sandbox, ep: Endpoint): Promise<void> {
  const address = normalizeIPv4(ep.ip, 'endpoint address');
  const mac = normalizeMac(ep.mac ?? macForIp(address));
  const veth = vethName(address);
  const link = ep.link ?? CONTAINER_LINK;
  if (!/^eth[0-9]{1,3}$/.test(link)) throw new TsswarmError('Invalid', `container interface name ${link} is not ethN`);
  // One `ip -batch` per namespace: a process per step was most of a `run`'s time on a busy host.
  // Born with its peer already in the container, so no stray eth0 ever shows in the sandbox.
  const sandboxSide = [
    `link add ${veth} mtu ${sb.mtu} type veth peer name ${link} address ${mac} mtu ${sb.mtu} netns ${ep.netns}`,
    `link set ${veth} master ${BRIDGE}`,
    `link set ${veth} up`,
  ];
  const containerSide = [
    'link set lo up',
    `addr add ${address}/${sb.prefixLen} dev ${link}`,
    `link set ${link} up`,
    ...(ep.defaultRoute ?? !sb.internal ? [`route replace default via ${sb.gateway} dev ${link}`] : []),
  ];
  try {
    await batch('ip', sb.name, sandboxSide);
  } catch (e) {
    // There already (a restart plugging an adopted container in again): keep it if it is right, else redo it.
    if (!(await linkNames(sb.name)).includes(veth)) throw e;
    if (await isAttached(ep.netns, link, address, mac)) return;
    await ip(sb.name, ['link', 'del', veth]);
    await batch('ip', sb.name, sandboxSide);
  }
  try {
    await batch('ip', ep.netns, containerSide);
  } catch (e) {
    await tryIp(sb.name, ['link', 'del', veth]);
    throw e;
  }
}

async function isAttached(netns: string, link: string, address: string, mac: string): Promise<boolean> {
  const r = await tryIp(netns, ['-o', '-4', 'addr', 'show', 'dev', link]);
  if (r.code !== 0 || !r.stdout.includes(` inet ${address}/`)) return false;
  const l = await tryIp(netns, ['-o', 'link', 'show', 'dev', link]);
  return l.code === 0 && l.stdout.includes(`link/ether ${mac} `);
}

/** Detaches the endpoint with `ip` from the sandbox; the container's ethN goes with its peer. Gone already: nothing to do. */
export async function detachEndpoint(sb: Pick<Sandbox, 'name'>, address: string): Promise<void> {
  const veth = vethName(normalizeIPv4(address, 'endpoint address'));
  if ((await linkNames(sb.name)).includes(veth)) await ip(sb.name, ['link', 'del', veth]);
}
