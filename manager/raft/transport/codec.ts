// Protobuf encoding of raft.proto's MessageBatch, written out by hand for speed:
// no reflection, no intermediate objects, one buffer per batch. Encoding makes two
// passes: the first computes every nested length (kept in `lens`, in the order the
// second pass needs them), the second writes. Decoding returns entry data and
// snapshot data as views into the received buffer (no copies).
import type { ConfState, Entry, EntryType, Message, MessageType, Snapshot } from '../core/types.js';

export class DecodeError extends Error {}

const EMPTY = new Uint8Array(0);
const TWO32 = 0x1_0000_0000;

// Node ids recur in every message: keep their UTF-8 bytes. Bounded so that a
// stream of odd ids cannot grow it without limit.
const idCache = new Map<string, Buffer>();
const ID_CACHE_MAX = 1024;
function idBytes(s: string): Buffer {
  let b = idCache.get(s);
  if (b === undefined) {
    b = Buffer.from(s, 'utf8');
    if (idCache.size >= ID_CACHE_MAX) idCache.clear();
    idCache.set(s, b);
  }
  return b;
}

function vlen(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x20_0000) return 3;
  if (n < 0x1000_0000) return 4;
  if (n < 0x8_0000_0000) return 5;
  if (n < 0x400_0000_0000) return 6;
  if (n < 0x2_0000_0000_0000) return 7;
  return 8;
}

function checkUint(n: number, what: string): void {
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(n))) throw new RangeError(`${what} = ${n} is not a uint64 the codec can carry`);
}

// ---- pass 1: sizes ----

let lens: number[] = [];

/** Bytes of a string/bytes field with `len` payload bytes, tag included (1-byte tag). */
const lenField = (len: number): number => 1 + vlen(len) + len;
/** Bytes of a varint field with a 1-byte tag. */
const varField = (n: number): number => 1 + vlen(n);

function confSize(c: ConfState): number {
  let n = 0;
  for (const v of c.voters) n += lenField(idBytes(v).length);
  for (const l of c.learners) n += lenField(idBytes(l).length);
  return n;
}

function snapshotSize(s: Snapshot): number {
  const slot = lens.length;
  lens.push(0, 0, 0); // snapshot, meta, conf
  const conf = confSize(s.meta.conf);
  let meta = lenField(conf);
  if (s.meta.index) meta += varField(s.meta.index);
  if (s.meta.term) meta += varField(s.meta.term);
  let snap = lenField(meta);
  if (s.data.length) snap += lenField(s.data.length);
  lens[slot] = snap;
  lens[slot + 1] = meta;
  lens[slot + 2] = conf;
  return snap;
}

function messageSize(m: Message): number {
  const slot = lens.length;
  lens.push(0);
  let n = 0;
  if (m.type) n += varField(m.type);
  if (m.from) n += lenField(idBytes(m.from).length);
  if (m.to) n += lenField(idBytes(m.to).length);
  if (m.term) n += varField(m.term);
  if (m.index) n += varField(m.index);
  if (m.logTerm) n += varField(m.logTerm);
  const ents = m.entries;
  for (let i = 0; i < ents.length; i++) {
    const e = ents[i]!;
    let s = 0;
    if (e.term) s += varField(e.term);
    if (e.index) s += varField(e.index);
    if (e.type) s += varField(e.type);
    if (e.data.length) s += lenField(e.data.length);
    lens.push(s);
    n += lenField(s);
  }
  if (m.commit) n += varField(m.commit);
  if (m.reject) n += 2;
  if (m.rejectHint) n += varField(m.rejectHint);
  if (m.transfer !== undefined) n += 2;
  if (m.context !== undefined) n += lenField(m.context.length);
  if (m.snapshot !== undefined) n += lenField(snapshotSize(m.snapshot));
  if (m.snapOffset !== undefined) n += varField(m.snapOffset);
  if (m.snapTotal !== undefined) n += varField(m.snapTotal);
  if (m.snapDone !== undefined) n += 3; // field 16 needs a 2-byte tag
  lens[slot] = n;
  return n;
}

// ---- pass 2: writing ----

let out: Buffer = Buffer.alloc(0);
let pos = 0;
let li = 0;

function varint(n: number): void {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80;
    n = n >= TWO32 ? Math.floor(n / 128) : n >>> 7;
  }
  out[pos++] = n;
}

function bytesField(tag: number, b: Uint8Array): void {
  out[pos++] = tag;
  varint(b.length);
  if (b.length < 32) for (let i = 0; i < b.length; i++) out[pos + i] = b[i]!;
  else out.set(b, pos);
  pos += b.length;
}

function varintField(tag: number, n: number): void {
  out[pos++] = tag;
  varint(n);
}

function writeConf(c: ConfState): void {
  for (const v of c.voters) bytesField(0x0a, idBytes(v));
  for (const l of c.learners) bytesField(0x12, idBytes(l));
}

function writeSnapshot(s: Snapshot): void {
  const meta = lens[li + 1]!;
  const conf = lens[li + 2]!;
  li += 3;
  out[pos++] = 0x0a;
  varint(meta);
  if (s.meta.index) varintField(0x08, s.meta.index);
  if (s.meta.term) varintField(0x10, s.meta.term);
  out[pos++] = 0x1a;
  varint(conf);
  writeConf(s.meta.conf);
  if (s.data.length) bytesField(0x12, s.data);
}

function writeMessage(m: Message): void {
  if (m.type) varintField(0x08, m.type);
  if (m.from) bytesField(0x12, idBytes(m.from));
  if (m.to) bytesField(0x1a, idBytes(m.to));
  if (m.term) varintField(0x20, m.term);
  if (m.index) varintField(0x28, m.index);
  if (m.logTerm) varintField(0x30, m.logTerm);
  const ents = m.entries;
  for (let i = 0; i < ents.length; i++) {
    const e = ents[i]!;
    out[pos++] = 0x3a;
    varint(lens[li++]!);
    if (e.term) varintField(0x08, e.term);
    if (e.index) varintField(0x10, e.index);
    if (e.type) varintField(0x18, e.type);
    if (e.data.length) bytesField(0x22, e.data);
  }
  if (m.commit) varintField(0x40, m.commit);
  if (m.reject) varintField(0x48, 1);
  if (m.rejectHint) varintField(0x50, m.rejectHint);
  if (m.transfer !== undefined) varintField(0x58, m.transfer ? 1 : 0);
  if (m.context !== undefined) bytesField(0x62, m.context);
  if (m.snapshot !== undefined) {
    out[pos++] = 0x6a;
    varint(lens[li]!);
    writeSnapshot(m.snapshot);
  }
  if (m.snapOffset !== undefined) varintField(0x70, m.snapOffset);
  if (m.snapTotal !== undefined) varintField(0x78, m.snapTotal);
  if (m.snapDone !== undefined) {
    out[pos++] = 0x80;
    out[pos++] = 0x01;
    out[pos++] = m.snapDone ? 1 : 0;
  }
}

function validate(m: Message): void {
  checkUint(m.term, 'term');
  checkUint(m.index, 'index');
  checkUint(m.logTerm, 'logTerm');
  checkUint(m.commit, 'commit');
  checkUint(m.rejectHint, 'rejectHint');
  for (const e of m.entries) {
    checkUint(e.term, 'entry term');
    checkUint(e.index, 'entry index');
  }
}

/** MessageBatch { messages: msgs[start, end) } as protobuf bytes. */
export function encodeBatch(msgs: readonly Message[], start = 0, end = msgs.length): Buffer {
  lens = [];
  let total = 0;
  for (let i = start; i < end; i++) {
    const m = msgs[i]!;
    validate(m);
    total += lenField(messageSize(m));
  }
  out = Buffer.allocUnsafe(total);
  pos = 0;
  li = 0;
  for (let i = start; i < end; i++) {
    out[pos++] = 0x0a;
    varint(lens[li++]!);
    writeMessage(msgs[i]!);
  }
  if (pos !== total) throw new Error(`codec bug: wrote ${pos} of ${total} bytes`);
  const b = out;
  out = Buffer.alloc(0);
  return b;
}

// ---- decoding ----

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  uint(end: number): number {
    const buf = this.buf;
    let b = this.pos < end ? buf[this.pos++]! : this.eof();
    if (b < 0x80) return b;
    let n = b & 0x7f;
    let mul = 0x80;
    for (let i = 1; i < 10; i++) {
      b = this.pos < end ? buf[this.pos++]! : this.eof();
      n += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (n > Number.MAX_SAFE_INTEGER) throw new DecodeError(`varint at byte ${this.pos} exceeds 2^53`);
        return n;
      }
      mul *= 0x80;
    }
    throw new DecodeError(`varint at byte ${this.pos} is longer than 10 bytes`);
  }

  /** Start and end of a length-delimited field's payload; advances past it. */
  len(end: number): number {
    const n = this.uint(end);
    const s = this.pos;
    if (s + n > end) throw new DecodeError(`field of ${n} bytes at byte ${s} runs past its enclosing message`);
    this.pos = s + n;
    return s;
  }

  /** Step into a nested message: returns where it ends; the caller reads up to there. */
  enter(end: number): number {
    const n = this.uint(end);
    if (this.pos + n > end) throw new DecodeError(`field of ${n} bytes at byte ${this.pos} runs past its enclosing message`);
    return this.pos + n;
  }

  str(end: number): string {
    const s = this.len(end);
    return this.buf.toString('utf8', s, this.pos);
  }

  bytes(end: number): Buffer {
    const s = this.len(end);
    return this.buf.subarray(s, this.pos);
  }

  skip(tag: number, end: number): void {
    switch (tag & 7) {
      case 0:
        this.uint(end);
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.len(end);
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new DecodeError(`unsupported wire type ${tag & 7} (field ${Math.floor(tag / 8)}) at byte ${this.pos}`);
    }
    if (this.pos > end) throw new DecodeError('fixed-width field runs past its enclosing message');
  }

  eof(): never {
    throw new DecodeError(`message truncated at byte ${this.pos}`);
  }
}

function readEntry(r: Reader, end: number): Entry {
  let term = 0;
  let index = 0;
  let type = 0;
  let data: Uint8Array = EMPTY;
  while (r.pos < end) {
    const tag = r.uint(end);
    if (tag === 0x08) term = r.uint(end);
    else if (tag === 0x10) index = r.uint(end);
    else if (tag === 0x18) type = r.uint(end);
    else if (tag === 0x22) data = r.bytes(end);
    else r.skip(tag, end);
  }
  return { term, index, type: type as EntryType, data };
}

function readConf(r: Reader, end: number): ConfState {
  const c: ConfState = { voters: [], learners: [] };
  while (r.pos < end) {
    const tag = r.uint(end);
    if (tag === 0x0a) c.voters.push(r.str(end));
    else if (tag === 0x12) c.learners.push(r.str(end));
    else r.skip(tag, end);
  }
  return c;
}

function readMeta(r: Reader, end: number): Snapshot['meta'] {
  const meta: Snapshot['meta'] = { index: 0, term: 0, conf: { voters: [], learners: [] } };
  while (r.pos < end) {
    const tag = r.uint(end);
    if (tag === 0x08) meta.index = r.uint(end);
    else if (tag === 0x10) meta.term = r.uint(end);
    else if (tag === 0x1a) meta.conf = readConf(r, r.enter(end));
    else r.skip(tag, end);
  }
  return meta;
}

function readSnapshot(r: Reader, end: number): Snapshot {
  const s: Snapshot = { meta: { index: 0, term: 0, conf: { voters: [], learners: [] } }, data: EMPTY };
  while (r.pos < end) {
    const tag = r.uint(end);
    if (tag === 0x0a) s.meta = readMeta(r, r.enter(end));
    else if (tag === 0x12) s.data = r.bytes(end);
    else r.skip(tag, end);
  }
  return s;
}

function readMessage(r: Reader, end: number): Message {
  const m: Message = { type: 0 as MessageType, from: '', to: '', term: 0, index: 0, logTerm: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
  while (r.pos < end) {
    const tag = r.uint(end);
    switch (tag) {
      case 0x08:
        m.type = r.uint(end) as MessageType;
        break;
      case 0x12:
        m.from = r.str(end);
        break;
      case 0x1a:
        m.to = r.str(end);
        break;
      case 0x20:
        m.term = r.uint(end);
        break;
      case 0x28:
        m.index = r.uint(end);
        break;
      case 0x30:
        m.logTerm = r.uint(end);
        break;
      case 0x3a:
        m.entries.push(readEntry(r, r.enter(end)));
        break;
      case 0x40:
        m.commit = r.uint(end);
        break;
      case 0x48:
        m.reject = r.uint(end) !== 0;
        break;
      case 0x50:
        m.rejectHint = r.uint(end);
        break;
      case 0x58:
        m.transfer = r.uint(end) !== 0;
        break;
      case 0x62:
        m.context = r.bytes(end);
        break;
      case 0x6a:
        m.snapshot = readSnapshot(r, r.enter(end));
        break;
      case 0x70:
        m.snapOffset = r.uint(end);
        break;
      case 0x78:
        m.snapTotal = r.uint(end);
        break;
      case 0x80:
        m.snapDone = r.uint(end) !== 0;
        break;
      default:
        r.skip(tag, end);
    }
  }
  return m;
}

/** Messages of a protobuf MessageBatch. Throws DecodeError on malformed input. */
export function decodeBatch(buf: Buffer): Message[] {
  const r = new Reader(buf);
  const end = buf.length;
  const msgs: Message[] = [];
  while (r.pos < end) {
    const tag = r.uint(end);
    if (tag === 0x0a) msgs.push(readMessage(r, r.enter(end)));
    else r.skip(tag, end);
  }
  return msgs;
}
