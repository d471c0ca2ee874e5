// IPv4 addresses and CIDR blocks as plain numbers, so allocators can do interval
// arithmetic without string churn. An address is an unsigned 32-bit integer held in a JS
// number (0 .. 2^32-1); arithmetic stays in doubles, never in signed 32-bit bit operations,
// except where `>>> 0` brings a mask back to unsigned.

import { TsswarmError } from '../errors.js';

/** A network block: `network` has no host bits set. */
export interface Cidr {
  readonly network: number;
  readonly prefix: number;
}

/** An address together with the prefix of its network, as "10.0.1.5/24" in an endpoint. */
export interface HostCidr {
  readonly address: number;
  readonly prefix: number;
}

const MAX_ADDRESS = 0xffffffff;

// A table, because `2 ** n` on a hot path showed up as the top cost in profiles.
const BLOCK_SIZES: readonly number[] = Array.from({ length: 33 }, (_, prefix) => 2 ** (32 - prefix));

/**
 * Fast path for well-formed text, -1 otherwise (then octetsError says why). Allocators
 * parse every subnet and address in use on each call, so this avoids split and regexes.
 * The grammar is strict on purpose: leading zeros are read as octal by some tools.
 */
function scanOctets(text: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const ch = text.charCodeAt(i);
    if (ch >= 48 && ch <= 57) {
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (ch - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else if (ch === 46 && digits > 0 && dots < 3) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

function parseOctets(text: string): number | string {
  const fast = scanOctets(text, 0, text.length);
  return fast >= 0 ? fast : octetsError(text);
}

function octetsError(text: string): string {
  const parts = text.split('.');
  if (parts.length !== 4) return 'expected four dot-separated numbers';
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part)) return `"${part}" is not a decimal octet`;
    if (part.length > 1 && part.startsWith('0')) return `octet "${part}" has a leading zero`;
    const octet = Number(part);
    if (octet > 255) return `octet ${octet} is out of range`;
  }
  // scanOctets refused it, so one of the checks above must have fired.
  return 'malformed';
}

/**
 * Parses dotted-quad IPv4; throws TsswarmError('Invalid') with the reason. `what` names
 * the field in the message ("invalid gateway 10.0.0.300: ...").
 */
export function parseIPv4(text: string, what = 'IPv4 address'): number {
  const result = parseOctets(text);
  if (typeof result === 'string') throw new TsswarmError('Invalid', `invalid ${what} ${text}: ${result}`);
  return result;
}

export function formatIPv4(address: number): string {
  checkAddress(address);
  return `${Math.floor(address / 0x1000000) % 256}.${Math.floor(address / 0x10000) % 256}.` +
    `${Math.floor(address / 0x100) % 256}.${address % 256}`;
}

function checkAddress(address: number): void {
  if (!Number.isInteger(address) || address < 0 || address > MAX_ADDRESS) {
    throw new TsswarmError('Invalid', `not an IPv4 address: ${address}`);
  }
}

function checkPrefix(prefix: number): void {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new TsswarmError('Invalid', `invalid IPv4 prefix length ${prefix}: must be 0 to 32`);
  }
}

/** The netmask of a prefix length, e.g. 24 → 0xffffff00. */
export function prefixMask(prefix: number): number {
  checkPrefix(prefix);
  // A shift by 32 is a shift by 0 in JS, hence the special case.
  return prefix === 0 ? 0 : (MAX_ADDRESS << (32 - prefix)) >>> 0;
}

// splitCidr's results, so the hot path allocates no intermediate object.
let scannedAddress = 0;
let scannedPrefix = 0;

/** Sets scannedAddress and scannedPrefix, or throws the reason the text is not a CIDR. */
function splitCidr(text: string): void {
  const slash = text.indexOf('/');
  if (slash > 0) {
    const address = scanOctets(text, 0, slash);
    const len = text.length - slash - 1;
    const d0 = text.charCodeAt(slash + 1) - 48;
    const d1 = len === 2 ? text.charCodeAt(slash + 2) - 48 : 0;
    const prefix = len === 1 ? d0 : d0 * 10 + d1;
    const digitsOk = (len === 1 && d0 >= 0 && d0 <= 9) || (len === 2 && d0 >= 1 && d0 <= 9 && d1 >= 0 && d1 <= 9);
    if (address >= 0 && digitsOk && prefix <= 32) {
      scannedAddress = address;
      scannedPrefix = prefix;
      return;
    }
  }
  cidrError(text);
}

function cidrError(text: string): never {
  const fail = (why: string): never => {
    throw new TsswarmError('Invalid', `invalid CIDR ${text}: ${why}`);
  };
  const slash = text.indexOf('/');
  if (slash < 0) fail('missing "/prefix"');
  const address = parseOctets(text.slice(0, slash));
  if (typeof address === 'string') return fail(address);
  const prefixText = text.slice(slash + 1);
  if (!/^[0-9]{1,2}$/.test(prefixText) || (prefixText.length > 1 && prefixText.startsWith('0'))) {
    fail(`prefix "${prefixText}" is not a number from 0 to 32`);
  }
  const prefix = Number(prefixText);
  if (prefix > 32) fail(`prefix ${prefix} is larger than 32`);
  return fail('malformed');
}

/**
 * Parses a network block such as "10.0.0.0/24". Host bits must be clear, as Docker
 * refuses "10.0.0.1/24" for a subnet; the error suggests the network meant.
 */
export function parseCidr(text: string): Cidr {
  splitCidr(text);
  const address = scannedAddress;
  const prefix = scannedPrefix;
  const network = (address & prefixMask(prefix)) >>> 0;
  if (network !== address) {
    throw new TsswarmError('Invalid',
      `${text} is not a network address; did you mean ${formatIPv4(network)}/${prefix}?`);
  }
  return { network, prefix };
}

/** Parses an interface address such as "10.0.1.5/24" (host bits allowed). */
export function parseHostCidr(text: string): HostCidr {
  splitCidr(text);
  return { address: scannedAddress, prefix: scannedPrefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIPv4(cidr.network)}/${cidr.prefix}`;
}

export function formatHostCidr(host: HostCidr): string {
  return `${formatIPv4(host.address)}/${host.prefix}`;
}

/** The network block an interface address lies in. */
export function networkOf(host: HostCidr): Cidr {
  return { network: (host.address & prefixMask(host.prefix)) >>> 0, prefix: host.prefix };
}

/** Number of addresses in the block (2^(32-prefix)); exact, as it is at most 2^32. */
export function cidrSize(cidr: Cidr): number {
  return BLOCK_SIZES[cidr.prefix];
}


/** The highest address of the block (the broadcast address for prefixes up to 30). */
export function lastAddress(cidr: Cidr): number {
  return cidr.network + cidrSize(cidr) - 1;
}

/**
 * First address a host may use. Blocks of /31 (RFC 3021 point-to-point) and /32 have no
 * network or broadcast address to skip.
 */
export function firstHost(cidr: Cidr): number {
  return cidr.prefix >= 31 ? cidr.network : cidr.network + 1;
}

/** Last address a host may use; see firstHost for /31 and /32. */
export function lastHost(cidr: Cidr): number {
  return cidr.prefix >= 31 ? lastAddress(cidr) : lastAddress(cidr) - 1;
}

/** True for the network and broadcast addresses of blocks that have them (prefix ≤ 30). */
export function isReservedAddress(cidr: Cidr, address: number): boolean {
  return cidr.prefix <= 30 && (address === cidr.network || address === lastAddress(cidr));
}

export function containsAddress(cidr: Cidr, address: number): boolean {
  return address >= cidr.network && address <= lastAddress(cidr);
}

/** True when `inner` lies entirely inside `outer` (a block contains itself). */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && containsAddress(outer, inner.network);
}

/** True when the blocks share an address. Adjacent blocks do not overlap. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

/** Smallest multiple of `step` that is ≥ `value` (both non-negative). */
export function alignUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/**
 * The blocks of length `prefix` inside `pool`, lowest first, starting at the first one
 * at or above `from` (default: the pool's start). Lazy, so a /8 carved into /30s costs
 * nothing until iterated.
 */
export function* subnetsOf(pool: Cidr, prefix: number, from: number = pool.network): Generator<Cidr> {
  checkPrefix(prefix);
  if (prefix < pool.prefix) {
    throw new TsswarmError('Invalid', `a /${prefix} does not fit in ${formatCidr(pool)}`);
  }
  const step = 2 ** (32 - prefix);
  const end = lastAddress(pool);
  for (let network = alignUp(Math.max(from, pool.network), step); network <= end; network += step) {
    yield { network, prefix };
  }
}
