// Commands: what a proposer puts in a Raft entry. The proposer chooses ids, the request id
// and the time; apply takes all three from the command and never from a clock or RNG.
//
// Wire form (inside the envelope of codec.ts), keys kept short because every entry is
// stored on every manager and sent to every follower:
//   single op   {"r":requestId,"t":timeMs,"o":"create"|"update"|"delete","c":collection,"id":id,"v":expectVersion?,"b":content?}
//   transaction {"r":requestId,"t":timeMs,"o":"txn","ops":[{"o":…,"c":…,"id":…,"v":…,"b":…}, …]}
// "b" (body) is the object's full content (everything but id/version/times/name), only on
// create and update; "v" is required on update and optional on delete.

import { Blobs, decodeEnvelope, encodeEnvelope, KIND_COMMAND, moveBytes } from './codec.js';
import { isCollection, type Collection, type Contents } from './objects.js';
import { CONTENT_BYTE_TREES, CONTENT_SCHEMAS } from './object-schemas.js';
import { invalid, isPlainObject, SchemaFailure, type ParseContext } from './schema.js';

/** As swarmkit's MaxTransactionBytes: keeps entries (and AppendEntries batches) bounded. */
export const MAX_COMMAND_BYTES = 1.5 * 1024 * 1024;
export const MAX_TXN_OPS = 1000;
export const MAX_REQUEST_ID_LENGTH = 128;
/** The largest time a JS Date can hold; the apply-side ISO string is derived from it. */
const MAX_TIME_MS = 8.64e15;
const ID_PATTERN = /^[0-9a-z]{25}$/;

export type CreateOp<C extends Collection = Collection> = {
  [K in C]: { op: 'create'; collection: K; id: string; content: Contents[K] };
}[C];
export type UpdateOp<C extends Collection = Collection> = {
  [K in C]: { op: 'update'; collection: K; id: string; expectVersion: number; content: Contents[K] };
}[C];
export type DeleteOp<C extends Collection = Collection> = {
  [K in C]: { op: 'delete'; collection: K; id: string; expectVersion?: number };
}[C];
export type Op<C extends Collection = Collection> = CreateOp<C> | UpdateOp<C> | DeleteOp<C>;

export interface CommandHeader {
  /** Chosen by the proposer; apply records the result under it (see request-log.ts). */
  requestId: string;
  /** Milliseconds since the epoch, read from the proposer's clock. */
  time: number;
}

export type Command = CommandHeader & ({ op: Op; txn?: undefined } | { txn: Op[]; op?: undefined });

function bodyOf(op: Op, blobs: Blobs | undefined): unknown {
  if (op.op === 'delete') return undefined;
  const tree = CONTENT_BYTE_TREES[op.collection];
  return blobs && tree ? moveBytes(op.content, tree, blobs) : op.content;
}

// Properties left undefined are omitted by JSON.stringify.
function opToWire(op: Op, blobs: Blobs | undefined): Record<string, unknown> {
  return { o: op.op, c: op.collection, id: op.id, v: op.op === 'create' ? undefined : op.expectVersion, b: bodyOf(op, blobs) };
}

function knowsBytes(op: Op): boolean {
  return op.op === 'delete' || CONTENT_BYTE_TREES[op.collection] !== undefined;
}

export function encodeCommand(cmd: Command): Uint8Array {
  // Where every body's bytes are known, move them aside up front: JSON.stringify then runs
  // without a replacer, which is most of the cost of encoding.
  if (cmd.txn) {
    const blobs = cmd.txn.every(knowsBytes) ? new Blobs() : undefined;
    const value = { r: cmd.requestId, t: cmd.time, o: 'txn', ops: cmd.txn.map((op) => opToWire(op, blobs)) };
    return encodeEnvelope(KIND_COMMAND, value, blobs);
  }
  const op = cmd.op;
  const blobs = knowsBytes(op) ? new Blobs() : undefined;
  const value = { r: cmd.requestId, t: cmd.time, o: op.op, c: op.collection, id: op.id, v: op.op === 'create' ? undefined : op.expectVersion, b: bodyOf(op, blobs) };
  return encodeEnvelope(KIND_COMMAND, value, blobs);
}

/** The part of a command needed to file its result, decoded before anything that can fail later. */
export interface DecodedHeader extends CommandHeader {
  wire: Record<string, unknown>;
  ctx: ParseContext;
}

export function decodeHeader(data: Uint8Array): DecodedHeader {
  const { value, blobs } = decodeEnvelope(KIND_COMMAND, data);
  if (!isPlainObject(value)) return invalid('command', 'expected an object');
  const r = value['r'];
  const t = value['t'];
  if (typeof r !== 'string' || r.length === 0 || r.length > MAX_REQUEST_ID_LENGTH) {
    return invalid('r', `request id must be a string of 1..${MAX_REQUEST_ID_LENGTH} characters`);
  }
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0 || t > MAX_TIME_MS) {
    return invalid('t', 'time must be integer milliseconds since the epoch');
  }
  return { requestId: r, time: t, wire: value, ctx: { blobs, path: [] } };
}

const SINGLE_KEYS = new Set(['r', 't', 'o', 'c', 'id', 'v', 'b']);
const TXN_KEYS = new Set(['r', 't', 'o', 'ops']);
const OP_KEYS = new Set(['o', 'c', 'id', 'v', 'b']);

function checkKeys(w: Record<string, unknown>, allowed: Set<string>, path: string): void {
  for (const k in w) if (!allowed.has(k)) invalid(path, `unknown property "${k}"`);
}

function parseOp(w: Record<string, unknown>, path: string, ctx: ParseContext): Op {
  const kind = w['o'];
  const collection = w['c'];
  const id = w['id'];
  const v = w['v'];
  if (kind !== 'create' && kind !== 'update' && kind !== 'delete') return invalid(`${path}.o`, 'expected create, update or delete');
  if (!isCollection(collection)) return invalid(`${path}.c`, `unknown collection ${JSON.stringify(collection) ?? 'undefined'}`);
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) return invalid(`${path}.id`, 'expected 25 characters of lowercase base 36');
  if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)) {
    return invalid(`${path}.v`, 'expected version must be a non-negative integer');
  }
  if (kind === 'delete') {
    if (w['b'] !== undefined) return invalid(`${path}.b`, 'a delete carries no body');
    return v === undefined ? { op: kind, collection, id } : { op: kind, collection, id, expectVersion: v };
  }
  // The cast pairs the collection with its own schema's output, which TS cannot follow.
  ctx.path = [path, 'b'];
  const content = CONTENT_SCHEMAS[collection].parse(w['b'], ctx) as Contents[typeof collection];
  if (kind === 'create') {
    if (v !== undefined) return invalid(`${path}.v`, 'a create has no expected version');
    return { op: kind, collection, id, content } as CreateOp;
  }
  if (v === undefined) return invalid(`${path}.v`, 'an update needs the expected version');
  return { op: kind, collection, id, expectVersion: v, content } as UpdateOp;
}

/** Throws SchemaFailure; apply turns that into an Invalid or TooLarge result. */
export function decodeBody(h: DecodedHeader): { ops: Op[]; txn: boolean } {
  const w = h.wire;
  if (w['o'] === 'txn') {
    checkKeys(w, TXN_KEYS, 'command');
    const ops = w['ops'];
    if (!Array.isArray(ops) || ops.length === 0) return invalid('ops', 'a transaction needs at least one op');
    if (ops.length > MAX_TXN_OPS) throw new SchemaFailure('TooLarge', `a transaction has at most ${MAX_TXN_OPS} ops`);
    const parsed: Op[] = [];
    for (let i = 0; i < ops.length; i++) {
      const ow: unknown = ops[i];
      try {
        if (!isPlainObject(ow)) return invalid(`ops[${i}]`, 'expected an object');
        checkKeys(ow, OP_KEYS, `ops[${i}]`);
        parsed.push(parseOp(ow, `ops[${i}]`, h.ctx));
      } catch (e) {
        throw e instanceof SchemaFailure ? new SchemaFailure(e.code, e.message, i) : e;
      }
    }
    return { ops: parsed, txn: true };
  }
  checkKeys(w, SINGLE_KEYS, 'command');
  return { ops: [parseOp(w, 'command', h.ctx)], txn: false };
}

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}
