// Binary records of the Raft log in LevelDB. Every value is framed as
//   [crc32 of the rest (u32 BE)][payload length (u32 BE)][payload]
// so that a flipped bit, a torn or cut-short value is found at open, never read as data.
// Keys are ASCII and sort in log order ("e/" + 16 lower-case hex digits of the index).
// Integers are big-endian; u64 values must stay below 2^53 (JS numbers).
import * as zlib from 'node:zlib';
import type { ConfState, Entry, EntryType, HardState, SnapshotMeta } from '../core/types.js';

export const FORMAT_VERSION = 1;
export const HEADER = 8;

export const KEY_META = 'm';
export const KEY_HARD_STATE = 'h';
export const KEY_CONF = 'c';
/** Index and term of the entry just before the first one kept (0/0, the snapshot, or a compaction point). */
export const KEY_LOG_START = 'l';
export const KEY_SNAP_META = 's/m';
export const SNAP_CHUNK_PREFIX = 's/d/';
export const ENTRY_PREFIX = 'e/';
export const ENTRY_KEY_LEN = 18;
/** Entry payload before its data: term u64, index u64, type u8. */
const ENTRY_FIXED = 17;

// zlib.crc32 (native) exists from Node 20.15; the table version keeps older 20.x working.
const CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32Table(data: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
const crc32: (data: Uint8Array) => number = typeof zlib.crc32 === 'function' ? (d) => zlib.crc32(d) : crc32Table;

/** CRC-32 (IEEE) as stored in every record; exported for tests. */
export { crc32 as recordChecksum, crc32Table };

/** A record is damaged or undecodable; the caller adds the dir and key. */
export class RecordError extends Error {}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const TWO32 = 0x1_0000_0000;

function writeU64(buf: Buffer, off: number, n: number): void {
  buf.writeUInt32BE(Math.floor(n / TWO32), off);
  buf.writeUInt32BE(n >>> 0, off + 4);
}

function readU64(buf: Buffer, off: number): number {
  const hi = buf.readUInt32BE(off);
  if (hi > 0x1f_ffff) throw new RecordError(`integer at byte ${off} exceeds 2^53`);
  return hi * TWO32 + buf.readUInt32BE(off + 4);
}

function writeHex16(buf: Buffer, off: number, n: number): void {
  let hi = Math.floor(n / TWO32);
  let lo = n >>> 0;
  for (let i = 7; i >= 0; i--, hi >>>= 4) buf[off + i] = HEX[hi & 15]!;
  for (let i = 15; i >= 8; i--, lo >>>= 4) buf[off + i] = HEX[lo & 15]!;
}

export function entryKey(index: number): Buffer {
  const k = Buffer.allocUnsafe(ENTRY_KEY_LEN);
  k[0] = 0x65; // 'e'
  k[1] = 0x2f; // '/'
  writeHex16(k, 2, index);
  return k;
}

/** The index an entry key names, or -1 if the key is not a well-formed entry key. */
export function parseEntryKey(key: Buffer): number {
  if (key.length !== ENTRY_KEY_LEN || key[0] !== 0x65 || key[1] !== 0x2f) return -1;
  let hi = 0;
  let lo = 0;
  for (let i = 2; i < ENTRY_KEY_LEN; i++) {
    const c = key[i]!;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (d < 0) return -1;
    if (i < 10) hi = hi * 16 + d;
    else lo = lo * 16 + d;
  }
  if (hi > 0x1f_ffff) return -1;
  return hi * TWO32 + lo;
}

export function snapChunkKey(n: number): Buffer {
  return Buffer.from(SNAP_CHUNK_PREFIX + n.toString(16).padStart(8, '0'), 'latin1');
}

/** Fill in length and checksum of the record spanning buf[start, end). */
function seal(buf: Buffer, start: number, end: number): void {
  buf.writeUInt32BE(end - start - HEADER, start + 4);
  buf.writeUInt32BE(crc32(buf.subarray(start + 4, end)), start);
}

/** Check framing and checksum; returns the payload (a view, no copy). */
export function unframe(value: Buffer): Buffer {
  if (value.length < HEADER) throw new RecordError(`truncated record: ${value.length} bytes, shorter than its 8-byte header`);
  const len = value.readUInt32BE(4);
  if (value.length - HEADER !== len) {
    throw new RecordError(
      value.length - HEADER < len
        ? `truncated record: header says ${len} payload bytes, only ${value.length - HEADER} present`
        : `record has ${value.length - HEADER - len} bytes past its stated length ${len}`,
    );
  }
  const want = value.readUInt32BE(0);
  const got = crc32(value.subarray(4));
  if (want !== got) throw new RecordError(`checksum mismatch (stored 0x${want.toString(16).padStart(8, '0')}, computed 0x${got.toString(16).padStart(8, '0')})`);
  return value.subarray(HEADER);
}

// ---- Entries: the hot path. One slab per batch holds every key and value. ----

export interface EncodedEntries {
  keys: Buffer[];
  values: Buffer[];
}

export function encodeEntries(entries: readonly Entry[], from: number): EncodedEntries {
  let size = 0;
  for (let i = from; i < entries.length; i++) size += ENTRY_KEY_LEN + HEADER + ENTRY_FIXED + entries[i]!.data.length;
  const slab = Buffer.allocUnsafe(size);
  const n = entries.length - from;
  const keys = new Array<Buffer>(n);
  const values = new Array<Buffer>(n);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[from + i]!;
    slab[off] = 0x65;
    slab[off + 1] = 0x2f;
    writeHex16(slab, off + 2, e.index);
    keys[i] = slab.subarray(off, off + ENTRY_KEY_LEN);
    off += ENTRY_KEY_LEN;
    const start = off;
    writeU64(slab, start + HEADER, e.term);
    writeU64(slab, start + HEADER + 8, e.index);
    slab[start + HEADER + 16] = e.type;
    slab.set(e.data, start + HEADER + ENTRY_FIXED);
    off = start + HEADER + ENTRY_FIXED + e.data.length;
    seal(slab, start, off);
    values[i] = slab.subarray(start, off);
  }
  return { keys, values };
}

/** Decode an entry payload (already unframed). `data` is a view into `payload`. */
export function decodeEntry(payload: Buffer): Entry {
  if (payload.length < ENTRY_FIXED) throw new RecordError(`entry payload of ${payload.length} bytes is shorter than ${ENTRY_FIXED}`);
  const type = payload[16]!;
  if (type !== 0 && type !== 1) throw new RecordError(`unknown entry type ${type}`);
  return {
    term: readU64(payload, 0),
    index: readU64(payload, 8),
    type: type as EntryType,
    data: payload.subarray(ENTRY_FIXED),
  };
}

// ---- Small records: built with a growable writer, read with a bounds-checked reader. ----

class Writer {
  private buf: Buffer;
  private pos = HEADER;
  constructor(size = 64) {
    this.buf = Buffer.allocUnsafe(size);
  }
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u32(n: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(n, this.pos);
    this.pos += 4;
    return this;
  }
  u64(n: number): this {
    this.ensure(8);
    writeU64(this.buf, this.pos, n);
    this.pos += 8;
    return this;
  }
  str(s: string): this {
    const len = Buffer.byteLength(s);
    if (len > 0xffff) throw new RangeError(`string of ${len} bytes is too long for a record`);
    this.ensure(2 + len);
    this.buf.writeUInt16BE(len, this.pos);
    this.buf.write(s, this.pos + 2, 'utf8');
    this.pos += 2 + len;
    return this;
  }
  strs(list: readonly string[]): this {
    this.u32(list.length);
    for (const s of list) this.str(s);
    return this;
  }
  finish(): Buffer {
    seal(this.buf, 0, this.pos);
    return this.buf.subarray(0, this.pos);
  }
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RecordError(`payload ends after ${this.buf.length} bytes, ${this.pos + n} needed`);
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = readU64(this.buf, this.pos);
    this.pos += 8;
    return v;
  }
  str(): string {
    this.need(2);
    const len = this.buf.readUInt16BE(this.pos);
    this.need(2 + len);
    const s = this.buf.toString('utf8', this.pos + 2, this.pos + 2 + len);
    this.pos += 2 + len;
    return s;
  }
  strs(): string[] {
    const n = this.u32();
    if (n > this.buf.length) throw new RecordError(`list of ${n} strings cannot fit in ${this.buf.length} bytes`);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.str());
    return out;
  }
  end(): void {
    if (this.pos !== this.buf.length) throw new RecordError(`${this.buf.length - this.pos} unexpected bytes after the payload`);
  }
}

export interface MetaRecord {
  version: number;
  clusterId: string;
  nodeId: string;
}

export function encodeMeta(m: MetaRecord): Buffer {
  return new Writer().u32(m.version).str(m.clusterId).str(m.nodeId).finish();
}

export function decodeMeta(p: Buffer): MetaRecord {
  const r = new Reader(p);
  const m = { version: r.u32(), clusterId: r.str(), nodeId: r.str() };
  r.end();
  return m;
}

export function encodeHardState(hs: HardState): Buffer {
  return new Writer().u64(hs.term).u64(hs.commit).str(hs.vote).finish();
}

export function decodeHardState(p: Buffer): HardState {
  const r = new Reader(p);
  const hs = { term: r.u64(), commit: r.u64(), vote: r.str() };
  r.end();
  return hs;
}

function writeConf(w: Writer, c: ConfState): Writer {
  return w.strs(c.voters).strs(c.learners);
}

function readConf(r: Reader): ConfState {
  return { voters: r.strs(), learners: r.strs() };
}

export function encodeConf(c: ConfState): Buffer {
  return writeConf(new Writer(), c).finish();
}

export function decodeConf(p: Buffer): ConfState {
  const r = new Reader(p);
  const c = readConf(r);
  r.end();
  return c;
}

export interface LogStart {
  index: number;
  term: number;
}

export function encodeLogStart(l: LogStart): Buffer {
  return new Writer().u64(l.index).u64(l.term).finish();
}

export function decodeLogStart(p: Buffer): LogStart {
  const r = new Reader(p);
  const l = { index: r.u64(), term: r.u64() };
  r.end();
  return l;
}

export interface SnapMetaRecord {
  meta: SnapshotMeta;
  dataLength: number;
  chunks: number;
}

export function encodeSnapMeta(s: SnapMetaRecord): Buffer {
  return writeConf(new Writer().u64(s.meta.index).u64(s.meta.term).u64(s.dataLength).u32(s.chunks), s.meta.conf).finish();
}

export function decodeSnapMeta(p: Buffer): SnapMetaRecord {
  const r = new Reader(p);
  const index = r.u64();
  const term = r.u64();
  const dataLength = r.u64();
  const chunks = r.u32();
  const conf = readConf(r);
  r.end();
  return { meta: { index, term, conf }, dataLength, chunks };
}

/** A chunk of snapshot data as a framed record (the payload is the raw bytes). */
export function encodeChunk(data: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + data.length);
  buf.set(data, HEADER);
  seal(buf, 0, buf.length);
  return buf;
}
