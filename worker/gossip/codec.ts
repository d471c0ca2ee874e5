// Binary wire format of gossip messages. Every packet starts with a kind byte; a
// compound packet carries several messages, each prefixed by its length. Decoding
// trusts nothing: every length and count is checked against what is left, strings
// must be valid UTF-8, and anything wrong throws GossipDecodeError, never a TypeError.

import { TsswarmError } from '../../shared/errors.js';

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

export interface PingMsg { kind: 'ping'; seq: number; target: string; sourceName: string; sourceAddr: string }
export interface IndirectPingMsg {
  kind: 'indirectPing'; seq: number; target: string; targetAddr: string; sourceName: string; sourceAddr: string; wantNack: boolean;
}
export interface AckMsg { kind: 'ack'; seq: number }
export interface NackMsg { kind: 'nack'; seq: number }
export interface SuspectMsg { kind: 'suspect'; incarnation: number; node: string; from: string }
export interface AliveMsg { kind: 'alive'; incarnation: number; node: string; addr: string }
/** from === node means the member left on its own. */
export interface DeadMsg { kind: 'dead'; incarnation: number; node: string; from: string }
export interface PushPullEntry { name: string; addr: string; incarnation: number; state: MemberState }
export interface PushPullMsg { kind: 'pushPull'; join: boolean; reply: boolean; senderName: string; senderAddr: string; states: PushPullEntry[] }
export interface UserMsg { kind: 'user'; origin: string; epoch: number; seq: number; payload: Uint8Array }
export interface CompoundMsg { kind: 'compound'; parts: Message[] }

export type Message =
  | PingMsg | IndirectPingMsg | AckMsg | NackMsg | SuspectMsg | AliveMsg | DeadMsg | PushPullMsg | UserMsg | CompoundMsg;

const KIND = {
  ping: 1, indirectPing: 2, ack: 3, nack: 4, suspect: 5, alive: 6, dead: 7, pushPull: 8, user: 9, compound: 10,
} as const;
const STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

/** Largest datagram UDP can carry; nothing received over UDP can be bigger. */
export const MAX_UDP_PACKET = 65_507;
/** Push-pull streams: 16 MiB is ~100k members, far beyond any cluster we run. */
export const MAX_TCP_PACKET = 16 << 20;
/** Bytes a compound packet adds: kind + count, then a u16 length per part. */
export const COMPOUND_HEADER = 2;
export const COMPOUND_PART_OVERHEAD = 2;
const MAX_COMPOUND_PARTS = 255;
const MAX_USER_PAYLOAD = 0xffff;
const MAX_STRING = 255;

export class GossipDecodeError extends TsswarmError {
  constructor(message: string, code: 'Corrupt' | 'TooLarge' = 'Corrupt') {
    super(code, `gossip packet rejected: ${message}`);
    this.name = 'GossipDecodeError';
  }
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

// The same few names and addresses are encoded over and over (every packet names its
// members), and TextEncoder costs more than the rest of a small message; a bounded
// cache of their bytes removes most of that. Cleared when full, so it cannot grow.
const STRING_CACHE_MAX = 8192;
const encoded = new Map<string, Uint8Array>();
function utf8Bytes(s: string): Uint8Array {
  let b = encoded.get(s);
  if (b === undefined) {
    b = utf8.encode(s);
    if (encoded.size >= STRING_CACHE_MAX) encoded.clear();
    encoded.set(s, b);
  }
  return b;
}

/** Short ASCII strings decode without TextDecoder; anything else goes through it (strict). */
function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  let ascii = end - start <= 64;
  for (let i = start; ascii && i < end; i++) if (buf[i]! >= 0x80) ascii = false;
  if (ascii) return String.fromCharCode(...buf.subarray(start, end));
  return utf8Strict.decode(buf.subarray(start, end));
}

class Writer {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void { this.room(1); this.view.setUint8(this.len, v); this.len += 1; }
  u16(v: number): void { this.room(2); this.view.setUint16(this.len, v); this.len += 2; }
  u32(v: number): void { this.room(4); this.view.setUint32(this.len, v); this.len += 4; }
  bytes(b: Uint8Array): void { this.room(b.length); this.buf.set(b, this.len); this.len += b.length; }
  str(s: string): void {
    const b = utf8Bytes(s);
    if (b.length === 0 || b.length > MAX_STRING) throw new TsswarmError('Invalid', `gossip string must be 1..${MAX_STRING} bytes, got ${b.length}`);
    this.u8(b.length);
    this.bytes(b);
  }
  done(): Uint8Array { return this.buf.slice(0, this.len); }
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  get left(): number { return this.buf.length - this.pos; }
  private need(n: number, what: string): void {
    if (this.left < n) throw new GossipDecodeError(`truncated ${what}`);
  }
  u8(what: string): number { this.need(1, what); return this.buf[this.pos++]!; }
  u16(what: string): number {
    this.need(2, what);
    const b = this.buf;
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    const v = ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    this.pos += 4;
    return v;
  }
  /** A view of the next n bytes, not a copy: for parsing only, never to keep. */
  sub(n: number, what: string): Uint8Array {
    const [start, end] = this.view(n, what);
    return this.buf.subarray(start, end);
  }
  /** A view into the packet, not a copy: for parsing only. */
  private view(n: number, what: string): [number, number] {
    this.need(n, what);
    const start = this.pos;
    this.pos += n;
    return [start, this.pos];
  }
  bytes(n: number, what: string): Uint8Array { this.need(n, what); const b = this.buf.slice(this.pos, this.pos + n); this.pos += n; return b; }
  str(what: string): string {
    const n = this.u8(what);
    if (n === 0) throw new GossipDecodeError(`empty ${what}`);
    const [start, end] = this.view(n, what);
    try {
      return decodeUtf8(this.buf, start, end);
    } catch {
      throw new GossipDecodeError(`${what} is not valid UTF-8`);
    }
  }
  flag(what: string): boolean {
    const v = this.u8(what);
    if (v > 1) throw new GossipDecodeError(`${what} must be 0 or 1`);
    return v === 1;
  }
  end(what: string): void {
    if (this.left !== 0) throw new GossipDecodeError(`${this.left} trailing bytes after ${what}`);
  }
}

function writeMessage(w: Writer, m: Message): void {
  w.u8(KIND[m.kind]);
  switch (m.kind) {
    case 'ping':
      w.u32(m.seq); w.str(m.target); w.str(m.sourceName); w.str(m.sourceAddr);
      return;
    case 'indirectPing':
      w.u32(m.seq); w.str(m.target); w.str(m.targetAddr); w.str(m.sourceName); w.str(m.sourceAddr); w.u8(m.wantNack ? 1 : 0);
      return;
    case 'ack':
    case 'nack':
      w.u32(m.seq);
      return;
    case 'suspect':
    case 'dead':
      w.u32(m.incarnation); w.str(m.node); w.str(m.from);
      return;
    case 'alive':
      w.u32(m.incarnation); w.str(m.node); w.str(m.addr);
      return;
    case 'pushPull':
      w.u8((m.join ? 1 : 0) | (m.reply ? 2 : 0)); w.str(m.senderName); w.str(m.senderAddr); w.u32(m.states.length);
      for (const s of m.states) { w.str(s.name); w.str(s.addr); w.u32(s.incarnation); w.u8(STATES.indexOf(s.state)); }
      return;
    case 'user':
      if (m.payload.length > MAX_USER_PAYLOAD) throw new TsswarmError('TooLarge', `user broadcast of ${m.payload.length} bytes exceeds ${MAX_USER_PAYLOAD}`);
      w.str(m.origin); w.u32(m.epoch); w.u32(m.seq); w.u16(m.payload.length); w.bytes(m.payload);
      return;
    case 'compound': {
      if (m.parts.length === 0 || m.parts.length > MAX_COMPOUND_PARTS) throw new TsswarmError('Invalid', `a compound holds 1..${MAX_COMPOUND_PARTS} messages`);
      w.u8(m.parts.length);
      for (const p of m.parts) {
        if (p.kind === 'compound') throw new TsswarmError('Invalid', 'compounds do not nest');
        const b = encodeMessage(p);
        if (b.length > 0xffff) throw new TsswarmError('TooLarge', 'a compound part must be below 64 KiB');
        w.u16(b.length); w.bytes(b);
      }
      return;
    }
  }
}

function checkU32(m: Message): void {
  const nums: number[] = [];
  if ('seq' in m) nums.push(m.seq);
  if ('incarnation' in m) nums.push(m.incarnation);
  if (m.kind === 'user') nums.push(m.epoch);
  if (m.kind === 'pushPull') for (const s of m.states) nums.push(s.incarnation);
  for (const n of nums) if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TsswarmError('Invalid', `gossip number ${n} is not a u32`);
}

export function encodeMessage(m: Message): Uint8Array {
  checkU32(m);
  const w = new Writer();
  writeMessage(w, m);
  return w.done();
}

function readMessage(r: Reader, nested: boolean): Message {
  const kind = r.u8('kind');
  switch (kind) {
    case KIND.ping:
      return { kind: 'ping', seq: r.u32('seq'), target: r.str('target'), sourceName: r.str('source name'), sourceAddr: r.str('source addr') };
    case KIND.indirectPing:
      return {
        kind: 'indirectPing', seq: r.u32('seq'), target: r.str('target'), targetAddr: r.str('target addr'),
        sourceName: r.str('source name'), sourceAddr: r.str('source addr'), wantNack: r.flag('nack flag'),
      };
    case KIND.ack:
      return { kind: 'ack', seq: r.u32('seq') };
    case KIND.nack:
      return { kind: 'nack', seq: r.u32('seq') };
    case KIND.suspect:
      return { kind: 'suspect', incarnation: r.u32('incarnation'), node: r.str('node'), from: r.str('from') };
    case KIND.dead:
      return { kind: 'dead', incarnation: r.u32('incarnation'), node: r.str('node'), from: r.str('from') };
    case KIND.alive:
      return { kind: 'alive', incarnation: r.u32('incarnation'), node: r.str('node'), addr: r.str('addr') };
    case KIND.pushPull: {
      const flags = r.u8('flags');
      if (flags > 3) throw new GossipDecodeError('unknown push-pull flags');
      const senderName = r.str('sender name');
      const senderAddr = r.str('sender addr');
      const count = r.u32('state count');
      // Smallest entry: 1-byte name and addr with their lengths, incarnation, state.
      if (count * 9 > r.left) throw new GossipDecodeError(`push-pull claims ${count} members but carries ${r.left} bytes`);
      const states: PushPullEntry[] = [];
      for (let i = 0; i < count; i++) {
        const name = r.str('member name');
        const addr = r.str('member addr');
        const incarnation = r.u32('member incarnation');
        const st = STATES[r.u8('member state')];
        if (st === undefined) throw new GossipDecodeError('unknown member state');
        states.push({ name, addr, incarnation, state: st });
      }
      return { kind: 'pushPull', join: (flags & 1) !== 0, reply: (flags & 2) !== 0, senderName, senderAddr, states };
    }
    case KIND.user: {
      const origin = r.str('origin');
      const epoch = r.u32('epoch');
      const seq = r.u32('seq');
      const n = r.u16('payload length');
      return { kind: 'user', origin, epoch, seq, payload: r.bytes(n, 'payload') };
    }
    case KIND.compound: {
      if (nested) throw new GossipDecodeError('nested compound');
      const count = r.u8('part count');
      if (count === 0) throw new GossipDecodeError('empty compound');
      const parts: Message[] = [];
      for (let i = 0; i < count; i++) {
        const len = r.u16('part length');
        const inner = new Reader(r.sub(len, 'part'));
        parts.push(readMessage(inner, true));
        inner.end('compound part');
      }
      return { kind: 'compound', parts };
    }
    default:
      throw new GossipDecodeError(`unknown message kind ${kind}`);
  }
}

/** Decodes one packet; throws GossipDecodeError on anything malformed or over maxBytes. */
export function decodeMessage(packet: Uint8Array, maxBytes: number = MAX_UDP_PACKET): Message {
  if (!(packet instanceof Uint8Array)) throw new GossipDecodeError('not a byte array');
  if (packet.length > maxBytes) throw new GossipDecodeError(`${packet.length} bytes exceeds the limit of ${maxBytes}`, 'TooLarge');
  const r = new Reader(packet);
  const m = readMessage(r, false);
  r.end('message');
  return m;
}

/**
 * Packs already-encoded messages, in order, into one packet of at most `limit` bytes.
 * Returns the packet and how many parts it holds; the rest wait for the next packet.
 * A single part goes bare (no compound header). Throws if the first part alone does
 * not fit: such a message belongs on TCP.
 */
export function packCompound(parts: readonly Uint8Array[], limit: number): { packet: Uint8Array; count: number } {
  if (parts.length === 0) throw new TsswarmError('Invalid', 'nothing to pack');
  const first = parts[0]!;
  if (first.length > limit) throw new TsswarmError('TooLarge', `a ${first.length}-byte message does not fit a ${limit}-byte packet; send it over TCP`);
  let size = COMPOUND_HEADER;
  let count = 0;
  for (const p of parts) {
    if (count === MAX_COMPOUND_PARTS || size + COMPOUND_PART_OVERHEAD + p.length > limit) break;
    size += COMPOUND_PART_OVERHEAD + p.length;
    count++;
  }
  if (count <= 1) return { packet: first, count: 1 };
  const out = new Uint8Array(size);
  out[0] = KIND.compound;
  out[1] = count;
  let pos = 2;
  for (let i = 0; i < count; i++) {
    const p = parts[i]!;
    out[pos] = p.length >> 8;
    out[pos + 1] = p.length & 0xff;
    out.set(p, pos + 2);
    pos += 2 + p.length;
  }
  return { packet: out, count };
}
