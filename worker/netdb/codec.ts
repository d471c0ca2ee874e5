// Wire form of networkdb events (gossip, one per packet) and of full state (push-pull
// over TCP). JSON after a one-byte format version: compact enough for the packet budget,
// readable in a capture, and strictly validated on the way in so nothing downstream ever
// sees a malformed value.
import { isIP } from 'node:net';
import { TsswarmError } from '../../shared/errors.js';
import { MAX_ALIASES, MAX_EVENT_BYTES, MAX_ID_LENGTH, MAX_NAME_LENGTH, MAX_STATE_BYTES } from './defaults.js';
import type { DnsValue, NetDbState, OverlayPeerValue, TableEvent } from './types.js';

const FORMAT_VERSION = 1;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function corrupt(what: string): TsswarmError {
  return new TsswarmError('Corrupt', `networkdb: ${what}; the sender runs an incompatible or broken version, drop the message`);
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function exactKeys(o: Obj, keys: readonly string[], what: string): void {
  const got = Object.keys(o);
  if (got.length !== keys.length || !keys.every((k) => Object.prototype.hasOwnProperty.call(o, k))) {
    throw corrupt(`${what} must have exactly the fields ${keys.join(', ')}`);
  }
}

// Ids are printable ASCII without spaces: node ids, network ids and endpoint ids all are.
const ID_RE = /^[\x21-\x7e]+$/;
// Container names and aliases as Docker accepts them (plus dots for FQDN-style aliases).
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

function id(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_LENGTH || !ID_RE.test(v)) {
    throw corrupt(`${what} must be 1-${MAX_ID_LENGTH} printable characters`);
  }
  return v;
}

function counter(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw corrupt(`${what} must be a non-negative integer`);
  return v;
}

function ip(v: unknown, what: string): string {
  if (typeof v !== 'string' || isIP(v) === 0) throw corrupt(`${what} must be an IP address`);
  return v;
}

function name(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_NAME_LENGTH || !NAME_RE.test(v)) {
    throw corrupt(`${what} must be a container name (letters, digits, _ . -; at most ${MAX_NAME_LENGTH})`);
  }
  return v;
}

function overlayPeer(v: unknown): OverlayPeerValue {
  if (!isObj(v)) throw corrupt('overlay_peer value must be an object');
  exactKeys(v, ['ip', 'mac', 'vtep'], 'overlay_peer value');
  if (typeof v.mac !== 'string' || !MAC_RE.test(v.mac)) throw corrupt('overlay_peer mac must look like 02:42:0a:00:00:02');
  return { ip: ip(v.ip, 'overlay_peer ip'), mac: v.mac, vtep: ip(v.vtep, 'overlay_peer vtep') };
}

function dns(v: unknown): DnsValue {
  if (!isObj(v)) throw corrupt('dns value must be an object');
  exactKeys(v, ['name', 'aliases', 'ip'], 'dns value');
  if (!Array.isArray(v.aliases) || v.aliases.length > MAX_ALIASES) throw corrupt(`dns aliases must be a list of at most ${MAX_ALIASES}`);
  const aliases = v.aliases.map((a) => name(a, 'dns alias'));
  return { name: name(v.name, 'dns name'), aliases, ip: ip(v.ip, 'dns ip') };
}

const EVENT_KEYS = ['table', 'network', 'key', 'owner', 'incarnation', 'ltime', 'deleted', 'value'] as const;

/** Check an untrusted value is a well-formed event; returns a fresh copy. Throws Corrupt. */
export function checkEvent(v: unknown): TableEvent {
  if (!isObj(v)) throw corrupt('event must be an object');
  exactKeys(v, EVENT_KEYS, 'event');
  const base = {
    network: id(v.network, 'network'),
    key: id(v.key, 'key'),
    owner: id(v.owner, 'owner'),
    incarnation: counter(v.incarnation, 'incarnation'),
    ltime: counter(v.ltime, 'ltime'),
  };
  if (typeof v.deleted !== 'boolean') throw corrupt('deleted must be a boolean');
  if (v.deleted !== (v.value === null)) throw corrupt('a tombstone has value null and a live entry has a value');
  switch (v.table) {
    case 'overlay_peer':
      return { table: 'overlay_peer', ...base, deleted: v.deleted, value: v.value === null ? null : overlayPeer(v.value) };
    case 'dns':
      return { table: 'dns', ...base, deleted: v.deleted, value: v.value === null ? null : dns(v.value) };
    default:
      throw corrupt('table must be overlay_peer or dns');
  }
}

function valueJson(e: TableEvent): unknown {
  if (e.value === null) return null;
  if (e.table === 'overlay_peer') return { ip: e.value.ip, mac: e.value.mac, vtep: e.value.vtep };
  return { name: e.value.name, aliases: [...e.value.aliases], ip: e.value.ip };
}

function plain(e: TableEvent): Obj {
  return {
    table: e.table, network: e.network, key: e.key, owner: e.owner,
    incarnation: e.incarnation, ltime: e.ltime, deleted: e.deleted, value: valueJson(e),
  };
}

function frame(json: string): Buffer {
  const body = Buffer.from(json, 'utf8');
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = FORMAT_VERSION;
  body.copy(out, 1);
  return out;
}

function unframe(buf: Uint8Array, max: number, what: string): unknown {
  if (!(buf instanceof Uint8Array)) throw corrupt(`${what} must be bytes`);
  if (buf.length < 2) throw corrupt(`${what} is truncated`);
  if (buf.length > max) throw corrupt(`${what} is ${buf.length} bytes, over the ${max}-byte limit`);
  if (buf[0] !== FORMAT_VERSION) throw corrupt(`${what} has format version ${buf[0]}, expected ${FORMAT_VERSION}`);
  let text: string;
  try {
    text = utf8.decode(buf.subarray(1));
  } catch {
    throw corrupt(`${what} is not valid UTF-8`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw corrupt(`${what} is not valid JSON`);
  }
}

/** Encode one event for a gossip packet. Throws TooLarge if it would not fit. */
export function encodeEvent(e: TableEvent): Buffer {
  const out = frame(JSON.stringify(plain(checkEvent(e))));
  if (out.length > MAX_EVENT_BYTES) {
    throw new TsswarmError('TooLarge', `networkdb event for ${e.table}/${e.key} is ${out.length} bytes, over ${MAX_EVENT_BYTES}; use fewer or shorter aliases`);
  }
  return out;
}

/** Decode one event; any malformed input throws TsswarmError('Corrupt'). */
export function decodeEvent(buf: Uint8Array): TableEvent {
  return checkEvent(unframe(buf, MAX_EVENT_BYTES, 'event'));
}

/** Encode full state for push-pull (TCP, so no packet limit). */
export function encodeState(s: NetDbState): Buffer {
  return frame(JSON.stringify({ clock: s.clock, entries: s.entries.map((e) => plain(checkEvent(e))) }));
}

/** Decode full state; any malformed input throws TsswarmError('Corrupt'). */
export function decodeState(buf: Uint8Array): NetDbState {
  const v = unframe(buf, MAX_STATE_BYTES, 'state');
  if (!isObj(v)) throw corrupt('state must be an object');
  exactKeys(v, ['clock', 'entries'], 'state');
  if (!Array.isArray(v.entries)) throw corrupt('state entries must be a list');
  return { clock: counter(v.clock, 'clock'), entries: v.entries.map((e) => checkEvent(e)) };
}
