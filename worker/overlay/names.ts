// How the overlay names what it makes, and the MAC of an endpoint. Pure: no I/O.
import { TsswarmError } from '../../shared/errors.js';
import { formatIPv4, parseIPv4 } from '../../shared/net/cidr.js';
import { MAX_NETNS_NAME, MAX_VNI, MIN_VNI } from './defaults.js';

const PREFIX_RE = /^[A-Za-z0-9_.-]*$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function checkVni(vni: number): void {
  if (!Number.isInteger(vni) || vni < MIN_VNI || vni > MAX_VNI) {
    throw new TsswarmError('Invalid', `VNI ${vni} is not a whole number from ${MIN_VNI} to ${MAX_VNI} (VXLAN network ids are 24 bits)`);
  }
}

/** `<prefix>ov-<vni>`: the prefix keeps one daemon's (or one test run's) sandboxes apart from another's. */
export function sandboxName(prefix: string, vni: number): string {
  checkVni(vni);
  if (!PREFIX_RE.test(prefix)) {
    throw new TsswarmError('Invalid', `sandbox prefix "${prefix}" may only hold letters, digits, "_", "." and "-" (it becomes a file name in /run/netns)`);
  }
  const name = `${prefix}ov-${vni}`;
  if (name.length > MAX_NETNS_NAME) throw new TsswarmError('Invalid', `sandbox name ${name} is longer than ${MAX_NETNS_NAME} characters; use a shorter prefix`);
  return name;
}

/** The VNI of a sandbox namespace named with `prefix`, or undefined if the name is not one of ours. */
export function sandboxVni(prefix: string, name: string): number | undefined {
  if (!name.startsWith(`${prefix}ov-`)) return undefined;
  const rest = name.slice(prefix.length + 3);
  if (!/^[1-9][0-9]{0,7}$/.test(rest)) return undefined;
  const vni = Number(rest);
  return vni >= MIN_VNI && vni <= MAX_VNI ? vni : undefined;
}

/**
 * The sandbox end of an endpoint's veth: "ve" + the IPv4 address in hex (10 characters,
 * under the kernel's 15). An address is unique in its network, and so is the name in its
 * sandbox, so detaching needs nothing but the address.
 */
export function vethName(ip: string): string {
  return `ve${parseIPv4(ip).toString(16).padStart(8, '0')}`;
}

/** Docker's scheme: 02:42 (locally administered) followed by the four bytes of the IPv4 address. */
export function macForIp(ip: string): string {
  const n = parseIPv4(ip);
  const bytes = [0x02, 0x42, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A MAC in the lower-case colon form the kernel prints, or an Invalid error. */
export function normalizeMac(mac: string): string {
  const m = mac.toLowerCase();
  if (!MAC_RE.test(m)) throw new TsswarmError('Invalid', `"${mac}" is not a MAC address (six hex bytes separated by ":")`);
  return m;
}

/** A dotted-quad IPv4 address in canonical form, or an Invalid error naming what it was for. */
export function normalizeIPv4(ip: string, what: string): string {
  return formatIPv4(parseIPv4(ip, what));
}
