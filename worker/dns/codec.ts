// RFC 1035 messages: enough to parse any query or answer strictly and to build our own
// answers (A, AAAA, PTR). Records of other types keep their rdata as opaque bytes, which
// is all a responder that only forwards them needs. Every read is bounds-checked; any
// malformed or truncated message throws TsswarmError('Corrupt').
import { isIPv4, isIPv6 } from 'node:net';
import { TsswarmError } from '../../shared/errors.js';

export const RRType = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, OPT: 41 } as const;
export const RRClass = { IN: 1 } as const;
export const RCode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface DnsHeader {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
}

export interface DnsQuestion {
  /** Dotted, without the trailing dot; '' is the root. Case kept as sent. */
  name: string;
  type: number;
  class: number;
}

/**
 * A resource record. `data` is the dotted IP for A/AAAA, the target name for PTR, CNAME
 * and NS, and the raw rdata bytes for every other type.
 */
export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: string | Uint8Array;
}

export interface DnsMessage {
  header: DnsHeader;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

const HEADER_BYTES = 12;
const MAX_NAME_BYTES = 255; // RFC 1035 2.3.4, wire form
const MAX_LABEL_BYTES = 63;
const MAX_MESSAGE_BYTES = 65535;

function corrupt(what: string): TsswarmError {
  return new TsswarmError('Corrupt', `DNS message: ${what}`);
}

// ---- names ----

// Labels are shown as text; bytes that would be ambiguous ('.', '\', non-printable) are
// written as \DDD, as zone files do, so any wire name survives a round trip.
function labelToText(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    if (b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c) s += String.fromCharCode(b);
    else s += `\\${String(b).padStart(3, '0')}`;
  }
  return s;
}

function textToLabels(name: string): Buffer[] {
  if (name === '' || name === '.') return [];
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  const labels: Buffer[] = [];
  let cur: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      const d = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d) && Number(d) < 256) {
        cur.push(Number(d));
        i += 3;
      } else if (i + 1 < text.length) {
        cur.push(text.charCodeAt(++i));
      } else {
        throw new TsswarmError('Invalid', `DNS name ${JSON.stringify(name)} ends in a lone backslash`);
      }
    } else if (c === 0x2e) {
      labels.push(Buffer.from(cur));
      cur = [];
    } else if (c > 0x7e || c < 0x20) {
      throw new TsswarmError('Invalid', `DNS name ${JSON.stringify(name)} has a character outside printable ASCII`);
    } else {
      cur.push(c);
    }
  }
  labels.push(Buffer.from(cur));
  let total = 1;
  for (const l of labels) {
    if (l.length === 0 || l.length > MAX_LABEL_BYTES) {
      throw new TsswarmError('Invalid', `DNS name ${JSON.stringify(name)} has an empty label or one over ${MAX_LABEL_BYTES} bytes`);
    }
    total += l.length + 1;
  }
  if (total > MAX_NAME_BYTES) throw new TsswarmError('Invalid', `DNS name ${JSON.stringify(name)} is over ${MAX_NAME_BYTES} bytes`);
  return labels;
}

// ---- reading ----

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw corrupt(`truncated in ${what}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = ((this.buf[this.pos] as number) << 8) | (this.buf[this.pos + 1] as number);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = (this.u16(what) * 0x10000) + this.u16(what);
    return v;
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    // A plain copy: callers get neither a Buffer nor a view pinning the packet.
    const out = new Uint8Array(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /** A possibly compressed name. Pointers must point strictly backwards, so no loops. */
  name(what: string): string {
    const labels: string[] = [];
    let wire = 1;
    let pos = this.pos;
    let jumped = false;
    let limit = pos; // a pointer must land before the label that holds it
    for (;;) {
      if (pos >= this.buf.length) throw corrupt(`truncated in ${what}`);
      const len = this.buf[pos] as number;
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw corrupt(`truncated pointer in ${what}`);
        const target = ((len & 0x3f) << 8) | (this.buf[pos + 1] as number);
        if (target >= limit) throw corrupt(`compression pointer in ${what} does not point backwards`);
        if (!jumped) this.pos = pos + 2;
        jumped = true;
        pos = target;
        limit = target;
        continue;
      }
      if ((len & 0xc0) !== 0) throw corrupt(`unsupported label type in ${what}`);
      if (len === 0) {
        if (!jumped) this.pos = pos + 1;
        return labels.join('.');
      }
      wire += len + 1;
      if (wire > MAX_NAME_BYTES) throw corrupt(`${what} is over ${MAX_NAME_BYTES} bytes`);
      if (pos + 1 + len > this.buf.length) throw corrupt(`truncated label in ${what}`);
      labels.push(labelToText(this.buf.subarray(pos + 1, pos + 1 + len)));
      pos += 1 + len;
    }
  }
}

function readHeader(r: Reader): { header: DnsHeader; counts: number[] } {
  const id = r.u16('header');
  const flags = r.u16('header');
  const header: DnsHeader = {
    id,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
  };
  const counts = [r.u16('header'), r.u16('header'), r.u16('header'), r.u16('header')];
  return { header, counts };
}

function ipv4Text(b: Uint8Array): string {
  return Array.from(b).join('.');
}

function ipv6Text(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((b[i] as number) << 8) | (b[i + 1] as number)).toString(16));
  // Shorten the longest run of zero groups, as RFC 5952 asks.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function readRecord(r: Reader, what: string): DnsRecord {
  const name = r.name(`${what} name`);
  const type = r.u16(what);
  const cls = r.u16(what);
  const ttl = r.u32(what);
  const rdlen = r.u16(what);
  r.need(rdlen, `${what} data`);
  const end = r.pos + rdlen;
  let data: string | Uint8Array;
  switch (type) {
    case RRType.A:
      if (rdlen !== 4) throw corrupt(`${what}: A record data is ${rdlen} bytes, not 4`);
      data = ipv4Text(r.bytes(4, what));
      break;
    case RRType.AAAA:
      if (rdlen !== 16) throw corrupt(`${what}: AAAA record data is ${rdlen} bytes, not 16`);
      data = ipv6Text(r.bytes(16, what));
      break;
    case RRType.PTR:
    case RRType.CNAME:
    case RRType.NS: {
      // The target may point anywhere earlier in the message, but must end inside rdata.
      const sub = new Reader(r.buf.subarray(0, end));
      sub.pos = r.pos;
      data = sub.name(`${what} target`);
      if (sub.pos !== end) throw corrupt(`${what}: name data does not fill its record`);
      r.pos = end;
      break;
    }
    default:
      data = r.bytes(rdlen, what);
  }
  return { name, type, class: cls, ttl, data };
}

/** Parse a whole DNS message. Throws TsswarmError('Corrupt') on anything malformed. */
export function decodeMessage(buf: Uint8Array): DnsMessage {
  if (!(buf instanceof Uint8Array)) throw corrupt('not bytes');
  if (buf.length < HEADER_BYTES) throw corrupt(`${buf.length} bytes is shorter than a header`);
  if (buf.length > MAX_MESSAGE_BYTES) throw corrupt(`${buf.length} bytes is over ${MAX_MESSAGE_BYTES}`);
  const r = new Reader(buf);
  const { header, counts } = readHeader(r);
  const [qd, an, ns, ar] = counts as [number, number, number, number];
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qd; i++) {
    const name = r.name('question name');
    questions.push({ name, type: r.u16('question'), class: r.u16('question') });
  }
  const section = (n: number, what: string): DnsRecord[] => {
    const out: DnsRecord[] = [];
    for (let i = 0; i < n; i++) out.push(readRecord(r, what));
    return out;
  };
  const answers = section(an, 'answer');
  const authorities = section(ns, 'authority');
  const additionals = section(ar, 'additional');
  if (r.pos !== buf.length) throw corrupt(`${buf.length - r.pos} bytes left after the last record`);
  return { header, questions, answers, authorities, additionals };
}

/** Just the id of what looks like a DNS message, or undefined if it is too short. */
export function peekId(buf: Uint8Array): number | undefined {
  return buf.length >= 2 ? ((buf[0] as number) << 8) | (buf[1] as number) : undefined;
}

// ---- writing ----

class Writer {
  private chunks: Buffer[] = [];
  length = 0;
  private readonly offsets = new Map<string, number>();

  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  u16(v: number): void {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(v & 0xffff);
    this.push(b);
  }

  u32(v: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(v >>> 0);
    this.push(b);
  }

  /** A name, pointing at an earlier copy of any suffix (case-insensitively, as DNS compares). */
  name(text: string): void {
    const labels = textToLabels(text);
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).map((l) => l.toString('latin1').toLowerCase()).join('\u0000');
      const at = this.offsets.get(key);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.length < 0x4000) this.offsets.set(key, this.length);
      const l = labels[i] as Buffer;
      this.push(Buffer.from([l.length]));
      this.push(l);
    }
    this.push(Buffer.from([0]));
  }

  done(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function rdata(rec: DnsRecord, w: Writer): void {
  const bad = (why: string): TsswarmError => new TsswarmError('Invalid', `DNS record ${rec.name}: ${why}`);
  if (rec.type === RRType.A || rec.type === RRType.AAAA) {
    if (typeof rec.data !== 'string') throw bad('A/AAAA data must be an address string');
    let b: Buffer;
    if (rec.type === RRType.A) {
      if (!isIPv4(rec.data)) throw bad(`${rec.data} is not an IPv4 address`);
      b = Buffer.from(rec.data.split('.').map(Number));
    } else {
      if (!isIPv6(rec.data) || rec.data.includes('.')) throw bad(`${rec.data} is not an IPv6 address in hex form`);
      b = ipv6Bytes(rec.data);
    }
    w.u16(b.length);
    w.push(b);
    return;
  }
  if (rec.type === RRType.PTR || rec.type === RRType.CNAME || rec.type === RRType.NS) {
    if (typeof rec.data !== 'string') throw bad('name data must be a string');
    // rdlength goes first; write a placeholder and measure the (compressed) name.
    const lenAt = w.length;
    const placeholder = Buffer.alloc(2);
    w.push(placeholder);
    w.name(rec.data);
    placeholder.writeUInt16BE(w.length - lenAt - 2);
    return;
  }
  if (typeof rec.data === 'string') throw bad(`type ${rec.type} data must be raw bytes`);
  if (rec.data.length > 0xffff) throw bad('data is over 65535 bytes');
  w.u16(rec.data.length);
  w.push(Buffer.from(rec.data));
}

function ipv6Bytes(text: string): Buffer {
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

/** Build a DNS message. Throws TsswarmError('Invalid') for values that cannot be encoded. */
export function encodeMessage(m: DnsMessage): Buffer {
  const w = new Writer();
  const h = m.header;
  w.u16(h.id);
  w.u16(
    (h.qr ? 0x8000 : 0) | ((h.opcode & 0xf) << 11) | (h.aa ? 0x0400 : 0) | (h.tc ? 0x0200 : 0)
    | (h.rd ? 0x0100 : 0) | (h.ra ? 0x0080 : 0) | (h.rcode & 0xf),
  );
  for (const n of [m.questions.length, m.answers.length, m.authorities.length, m.additionals.length]) {
    if (n > 0xffff) throw new TsswarmError('Invalid', 'DNS message has over 65535 entries in a section');
    w.u16(n);
  }
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rec of [...m.answers, ...m.authorities, ...m.additionals]) {
    w.name(rec.name);
    w.u16(rec.type);
    w.u16(rec.class);
    w.u32(rec.ttl);
    rdata(rec, w);
  }
  const out = w.done();
  if (out.length > MAX_MESSAGE_BYTES) throw new TsswarmError('TooLarge', `DNS message is ${out.length} bytes, over ${MAX_MESSAGE_BYTES}`);
  return out;
}
