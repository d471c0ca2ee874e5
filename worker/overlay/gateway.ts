// The way out of non-internal overlays, as Docker's docker_gwbridge: a bridge in the host
// namespace with a host-local subnet. A container on a non-internal overlay gets one more
// interface there, its default route goes through it, and the host masquerades what
// leaves. The bridge's ports are isolated from each other, so two containers that share no
// overlay cannot meet through it (Docker turns inter-container traffic off on it likewise).
import { writeFile } from 'node:fs/promises';
import { TsswarmError } from '../../shared/errors.js';
import { firstHost, formatIPv4, parseCidr, parseIPv4 } from '../../shared/net/cidr.js';
import { run } from '../../shared/run.js';
import { GATEWAY_BRIDGE, GATEWAY_NFT_TABLE, GATEWAY_SUBNET } from './defaults.js';
import { batch, ip, linkNames, tryIp } from './iproute.js';

export interface Gateway {
  /** The bridge's address: every container's default gateway. */
  address: string;
  prefixLen: number;
  subnet: string;
}

export function gatewayOf(subnet = GATEWAY_SUBNET): Gateway {
  const s = parseCidr(subnet);
  return { address: formatIPv4(firstHost(s)), prefixLen: s.prefix, subnet: `${formatIPv4(s.network)}/${s.prefix}` };
}

/** The host end of a container's gateway veth: "gw" + its address in hex. */
export function gatewayVethName(address: string): string {
  return `gw${parseIPv4(address).toString(16).padStart(8, '0')}`;
}

/**
 * Makes the bridge, its address, forwarding and the masquerade rule exist in the calling
 * process's network namespace. Idempotent: run it before each attachment.
 */
export async function ensureGateway(subnet = GATEWAY_SUBNET): Promise<Gateway> {
  const gw = gatewayOf(subnet);
  if (!(await linkNames(undefined)).includes(GATEWAY_BRIDGE)) {
    const add = await tryIp(undefined, ['link', 'add', GATEWAY_BRIDGE, 'type', 'bridge']);
    if (add.code !== 0 && !/exists/.test(add.stderr)) throw new TsswarmError('Unavailable', `creating the gateway bridge failed: ${add.stderr.trim()}`);
  }
  const addrs = await ip(undefined, ['-o', '-4', 'addr', 'show', 'dev', GATEWAY_BRIDGE]);
  if (!addrs.includes(` ${gw.address}/${gw.prefixLen} `)) await ip(undefined, ['addr', 'replace', `${gw.address}/${gw.prefixLen}`, 'dev', GATEWAY_BRIDGE]);
  await ip(undefined, ['link', 'set', GATEWAY_BRIDGE, 'up']);
  // /proc/sys/net is per network namespace: this is the daemon's own namespace's switch.
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
  // One atomic nft transaction: create-if-missing, delete, define again, so a second run
  // (or a daemon restart) leaves exactly one copy of each rule.
  const rules = [
    `table ip ${GATEWAY_NFT_TABLE}`,
    `delete table ip ${GATEWAY_NFT_TABLE}`,
    `table ip ${GATEWAY_NFT_TABLE} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${gw.subnet} oifname != "${GATEWAY_BRIDGE}" masquerade`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    // Out, and the answers back in; nothing else enters a container through the gateway
    // (published ports are the services' business).
    `    iifname "${GATEWAY_BRIDGE}" oifname != "${GATEWAY_BRIDGE}" accept`,
    `    oifname "${GATEWAY_BRIDGE}" ct state established,related accept`,
    `    oifname "${GATEWAY_BRIDGE}" drop`,
    '  }',
    '}',
  ].join('\n');
  const r = await run(['nft', '-f', '-'], { input: `${rules}\n`, timeoutMs: 10_000 });
  if (r.code !== 0) throw new TsswarmError('Unavailable', `installing the gateway's nftables rules failed (is nftables installed?): ${r.stderr.trim()}`);
  return gw;
}

/** Plugs a container into the gateway bridge as `link`, with `address` and its default route there. Idempotent. */
export async function attachGateway(netns: string, link: string, address: string, gw: Gateway): Promise<void> {
  const veth = gatewayVethName(address);
  // One `ip -batch` per namespace, as for overlay endpoints.
  const hostSide = [
    `link add ${veth} type veth peer name ${link} netns ${netns}`,
    `link set ${veth} master ${GATEWAY_BRIDGE}`,
    `link set dev ${veth} type bridge_slave isolated on`,
    `link set ${veth} up`,
  ];
  const containerSide = [`addr add ${address}/${gw.prefixLen} dev ${link}`, `link set ${link} up`, `route replace default via ${gw.address} dev ${link}`];
  try {
    await batch('ip', undefined, hostSide);
  } catch (e) {
    if (!(await linkNames(undefined)).includes(veth)) throw e;
    const have = await tryIp(netns, ['-o', '-4', 'addr', 'show', 'dev', link]);
    if (have.code === 0 && have.stdout.includes(` inet ${address}/`)) {
      await ip(netns, ['route', 'replace', 'default', 'via', gw.address, 'dev', link]);
      return;
    }
    await ip(undefined, ['link', 'del', veth]);
    await batch('ip', undefined, hostSide);
  }
  try {
    await batch('ip', netns, containerSide);
  } catch (e) {
    await tryIp(undefined, ['link', 'del', veth]);
    throw e;
  }
}

/** Unplugs a container's gateway interface (its peer in the container goes with it). */
export async function detachGateway(address: string): Promise<void> {
  await tryIp(undefined, ['link', 'del', gatewayVethName(address)]);
}

/** Host ends of gateway veths that exist now. */
export async function gatewayVeths(): Promise<string[]> {
  return (await linkNames(undefined)).filter((l) => /^gw[0-9a-f]{8}$/.test(l));
}
