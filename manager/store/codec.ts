// The byte format of commands and snapshots: JSON for structure, raw bytes beside it.
//
//   offset 0   u8      kind (KIND_COMMAND or KIND_SNAPSHOT)
//   offset 1   u32 BE  n = length of the JSON text in bytes
//   offset 5   n bytes UTF-8 JSON; every Uint8Array in the value is written as {"$b":[off,len]}
//   offset 5+n          the blob section: the bytes those references point into, back to back
//
// Bytes stay raw (no base64), so a 500 KiB config costs 500 KiB in the log.

import { allocBytes } from './byte-pool.js';
import { SchemaFailure } from './schema.js';

export const KIND_COMMAND = 0x43; // 'C'
export const KIND_SNAPSHOT = 0x53; // 'S'
const HEADER_BYTES = 5;

const utf8Encoder = new TextEncoder();
const scratch = new Uint8Array(64 * 1024);
// fatal: invalid UTF-8 is refused rather than replaced, so it cannot hide inside a string.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Collects the byte strings of one envelope and hands out references to them. */
export class Blobs {
  readonly parts: Uint8Array[] = [];
  size = 0;

  ref(b: Uint8Array): { $b: [number, number] } {
    const r: { $b: [number, number] } = { $b: [this.size, b.length] };
    this.parts.push(b);
    this.size += b.length;
    return r;
  }
}

/** Where bytes sit in a value: property names down to `true` at each byte string. */
export type ByteTree = { readonly [key: string]: ByteTree | true };

export function byteTree(paths: string[][]): ByteTree | true {
  if (paths.some((p) => p.length === 0)) return true;
  const groups = new Map<string, string[][]>();
  for (const [head, ...rest] of paths) {
    const g = groups.get(head);
    if (g) g.push(rest);
    else groups.set(head, [rest]);
  }
  const tree: Record<string, ByteTree | true> = {};
  for (const [k, g] of groups) tree[k] = byteTree(g);
  return tree;
}

/**
 * Returns `v` with the byte strings at `tree` replaced by references into `blobs`, copying
 * only the objects on the way to them (in their key order); `v` itself is left untouched.
 */
export function moveBytes(v: unknown, tree: ByteTree | true, blobs: Blobs): unknown {
  if (tree === true) return v instanceof Uint8Array ? blobs.ref(v) : v;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return v;
  const o = v as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k in tree) {
    const child = o[k];
    if (child === undefined) continue;
    const moved = moveBytes(child, tree[k], blobs);
    if (moved !== child) {
      out ??= { ...o };
      out[k] = moved;
    }
  }
  return out ?? v;
}

/**
 * JSON.stringify does the work, several times faster than a writer in JS, and fastest with
 * no replacer: callers that know where bytes sit move them aside first (moveBytes) and pass
 * `blobs`; without it a replacer finds every Uint8Array. Key order is the objects' own: the
 * schemas build every stored object in a fixed key order and sort map keys, which is what
 * makes snapshots canonical.
 */
export function encodeEnvelope(kind: number, value: unknown, blobs?: Blobs): Uint8Array {
  let text: string | undefined;
  if (blobs) {
    text = JSON.stringify(value) as string | undefined;
  } else {
    blobs = new Blobs();
    const sink = blobs;
    text = JSON.stringify(value, (_key: string, v: unknown) => (v instanceof Uint8Array ? sink.ref(v) : v)) as string | undefined;
  }
  // undefined (e.g. a function was passed) cannot be decoded; apply then refuses "null".
  text ??= 'null';
  // Small texts go through scratch space so that the output is a single (pooled) allocation;
  // see byte-pool.ts for why that matters. Large ones (snapshots) are encoded directly, so
  // the scratch space stays small.
  let json: Uint8Array;
  if (text.length * 3 <= scratch.length) {
    json = scratch.subarray(0, utf8Encoder.encodeInto(text, scratch).written);
  } else {
    json = utf8Encoder.encode(text);
  }
  const n = json.length;
  const out = allocBytes(HEADER_BYTES + n + blobs.size);
  out[0] = kind;
  out[1] = n >>> 24;
  out[2] = (n >>> 16) & 0xff;
  out[3] = (n >>> 8) & 0xff;
  out[4] = n & 0xff;
  out.set(json, HEADER_BYTES);
  let at = HEADER_BYTES + n;
  for (const b of blobs.parts) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

export interface Envelope {
  value: unknown;
  blobs: Uint8Array;
}

/** Throws SchemaFailure('Invalid') for anything that is not a well-formed envelope of `kind`. */
export function decodeEnvelope(kind: number, data: Uint8Array): Envelope {
  if (data.length < HEADER_BYTES || data[0] !== kind) throw new SchemaFailure('Invalid', 'not a tsswarm store envelope');
  const n = ((data[1] << 24) >>> 0) + (data[2] << 16) + (data[3] << 8) + data[4];
  if (n > data.length - HEADER_BYTES) throw new SchemaFailure('Invalid', 'envelope JSON length out of bounds');
  let value: unknown;
  try {
    value = JSON.parse(utf8Decoder.decode(data.subarray(HEADER_BYTES, HEADER_BYTES + n)));
  } catch {
    // A fixed message: the engine's own wording differs between Node versions, and results
    // (messages included) are replicated state that must not differ between managers.
    throw new SchemaFailure('Invalid', 'envelope JSON is malformed or not UTF-8');
  }
  return { value, blobs: data.subarray(HEADER_BYTES + n) };
}
