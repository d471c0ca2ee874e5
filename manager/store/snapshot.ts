// Snapshot bytes: the codec.ts envelope (kind 'S'), so equal state gives equal bytes on
// every manager:
//   {"format":1,
//    "applied":N,
//    "collections":{"clusters":[object…],…},   every collection, objects sorted by id
//    "requests":[{"i":index,"r":requestId,"res":result},…]}   the request log, oldest first
// The JSON is canonical without sorting at write time: every stored object was built by a
// schema (fixed key order, map keys sorted), and everything else here is built in fixed order.
// An object inside a result that is still the current version is written as
// {"$ref":[id,version]} instead of a second copy.

import { Blobs, decodeEnvelope, encodeEnvelope, KIND_SNAPSHOT, moveBytes } from './codec.js';
import { isValidId } from './commands.js';
import { nameKey } from './names.js';
import { COLLECTIONS, isCollection, type AnyObject, type Collection, type Contents } from './objects.js';
import { CONTENT_BYTE_TREES, CONTENT_SCHEMAS } from './object-schemas.js';
import type { RequestRecord } from './request-log.js';
import type { Action, ChangeEvent, CommandResult, ErrorCode, StoreError } from './results.js';
import { invalid, isPlainObject, type ParseContext } from './schema.js';
import { buildObject, emptyTables, type Tables } from './tables.js';

const FORMAT = 1;
const ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>(['Conflict', 'NotFound', 'NameExists', 'Invalid', 'TooLarge']);
/**
 * Collections added after format 1 was fixed. A snapshot written before one of them has no
 * list for it, meaning empty; and one is written only when it holds objects, so a state
 * without any is the same bytes it always was (and older managers can still read it).
 */
const ADDED_AFTER_FORMAT_1: ReadonlySet<Collection> = new Set<Collection>(['endpoints']);
const ACTIONS: ReadonlySet<string> = new Set<Action>(['create', 'update', 'delete']);

function byId(a: AnyObject, b: AnyObject): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function encodeSnapshot(applied: number, tables: Tables, requests: Iterable<RequestRecord>): Uint8Array {
  // As in encodeCommand: move bytes aside by schema, so JSON.stringify needs no replacer.
  const known = COLLECTIONS.every((c) => CONTENT_BYTE_TREES[c] !== undefined);
  const blobs = known ? new Blobs() : undefined;
  const wireObject = (c: Collection, o: AnyObject): unknown => {
    const tree = CONTENT_BYTE_TREES[c];
    return blobs && tree ? moveBytes(o, tree, blobs) : o;
  };

  const collections: Record<string, unknown[]> = {};
  for (const c of COLLECTIONS) {
    if (ADDED_AFTER_FORMAT_1.has(c) && tables[c].byId.size === 0) continue;
    collections[c] = [...tables[c].byId.values()].sort(byId).map((o) => wireObject(c, o));
  }

  const objectRef = (c: Collection, o: AnyObject): unknown => {
    const cur = tables[c].byId.get(o.id);
    return cur !== undefined && cur.version === o.version ? { $ref: [o.id, o.version] } : wireObject(c, o);
  };
  // The index is the record's own, so changes are written without it.
  const changeWire = (ch: ChangeEvent): unknown => ({ c: ch.collection, a: ch.action, o: objectRef(ch.collection, ch.object) });
  const resultWire = (r: CommandResult): unknown => {
    if (!r.ok) return { ok: false, error: r.error };
    if ('changes' in r) return { ok: true, changes: r.changes.map(changeWire) };
    return { ok: true, ...(changeWire(r) as object) };
  };

  const reqs: unknown[] = [];
  for (const rec of requests) reqs.push({ i: rec.index, r: rec.requestId, res: resultWire(rec.result) });
  return encodeEnvelope(KIND_SNAPSHOT, { format: FORMAT, applied, collections, requests: reqs }, blobs);
}

export interface DecodedSnapshot {
  applied: number;
  tables: Tables;
  requests: RequestRecord[];
}

function parseObject(c: Collection, w: unknown, path: string, ctx: ParseContext): AnyObject {
  if (!isPlainObject(w)) return invalid(path, 'expected an object');
  const { id, version, createdAt, updatedAt, name, ...rest } = w;
  if (typeof id !== 'string' || !isValidId(id)) return invalid(`${path}.id`, 'bad id');
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) return invalid(`${path}.version`, 'bad version');
  if (typeof createdAt !== 'string' || typeof updatedAt !== 'string') return invalid(path, 'bad timestamps');
  ctx.path = [path];
  const content = CONTENT_SCHEMAS[c].parse(rest, ctx) as Contents[Collection];
  const obj = buildObject(c, id, version, createdAt, updatedAt, content) as AnyObject;
  if (obj.name !== name) return invalid(`${path}.name`, 'does not match spec.name');
  return obj;
}

/** Throws SchemaFailure on anything malformed; the caller keeps its old state then. */
export function decodeSnapshot(data: Uint8Array): DecodedSnapshot {
  const { value, blobs } = decodeEnvelope(KIND_SNAPSHOT, data);
  const ctx: ParseContext = { blobs, path: [] };
  if (!isPlainObject(value)) return invalid('snapshot', 'expected an object');
  if (value['format'] !== FORMAT) return invalid('format', `unsupported snapshot format ${String(value['format'])}`);
  const applied = value['applied'];
  if (typeof applied !== 'number' || !Number.isSafeInteger(applied) || applied < 0) return invalid('applied', 'bad index');

  const tables = emptyTables();
  const cols = value['collections'];
  if (!isPlainObject(cols)) return invalid('collections', 'expected an object');
  for (const c of COLLECTIONS) {
    const list = cols[c];
    if (list === undefined && ADDED_AFTER_FORMAT_1.has(c)) continue;
    if (!Array.isArray(list)) return invalid(`collections.${c}`, 'expected an array');
    const t = tables[c];
    list.forEach((w: unknown, i) => {
      const o = parseObject(c, w, `collections.${c}[${i}]`, ctx);
      if (t.byId.has(o.id)) invalid(`collections.${c}[${i}]`, 'duplicate id');
      if (o.version > applied) invalid(`collections.${c}[${i}]`, 'version beyond applied index');
      t.byId.set(o.id, o);
      if (t.byName && o.name !== undefined) {
        const key = nameKey(o.name);
        if (t.byName.has(key)) invalid(`collections.${c}[${i}]`, 'duplicate name');
        t.byName.set(key, o.id);
      }
    });
  }

  const parseChange = (w: unknown, index: number, path: string): ChangeEvent => {
    if (!isPlainObject(w)) return invalid(path, 'expected a change');
    const c = w['c'];
    const a = w['a'];
    const o = w['o'];
    if (!isCollection(c) || typeof a !== 'string' || !ACTIONS.has(a)) return invalid(path, 'bad change');
    let obj: AnyObject | undefined;
    if (isPlainObject(o) && Array.isArray(o['$ref'])) {
      const [id, ver] = o['$ref'] as unknown[];
      obj = typeof id === 'string' ? tables[c].byId.get(id) : undefined;
      if (!obj || obj.version !== ver) return invalid(path, 'dangling object reference');
    } else {
      obj = parseObject(c, o, `${path}.o`, ctx);
    }
    return Object.freeze({ index, collection: c, action: a as Action, object: obj }) as ChangeEvent;
  };
  const parseResult = (w: unknown, index: number, path: string): CommandResult => {
    if (!isPlainObject(w)) return invalid(path, 'expected a result');
    if (w['ok'] === false) {
      const e = w['error'];
      if (!isPlainObject(e) || typeof e['code'] !== 'string' || !ERROR_CODES.has(e['code']) || typeof e['message'] !== 'string') {
        return invalid(path, 'bad error');
      }
      const op = e['op'];
      if (op !== undefined && (typeof op !== 'number' || !Number.isSafeInteger(op) || op < 0)) return invalid(path, 'bad error op');
      const error: StoreError = op === undefined
        ? { code: e['code'] as ErrorCode, message: e['message'] }
        : { code: e['code'] as ErrorCode, message: e['message'], op };
      return Object.freeze({ ok: false, error: Object.freeze(error) });
    }
    if (w['ok'] !== true) return invalid(path, 'bad result');
    const changes = w['changes'];
    if (changes !== undefined) {
      if (!Array.isArray(changes)) return invalid(path, 'bad changes');
      const events = changes.map((ch: unknown, i) => parseChange(ch, index, `${path}.changes[${i}]`));
      return Object.freeze({ ok: true, index, changes: Object.freeze(events) as ChangeEvent[] });
    }
    return Object.freeze({ ok: true as const, ...parseChange(w, index, path) });
  };

  const reqs = value['requests'];
  if (!Array.isArray(reqs)) return invalid('requests', 'expected an array');
  const requests: RequestRecord[] = [];
  const seen = new Set<string>();
  let last = 0;
  reqs.forEach((w: unknown, i) => {
    const path = `requests[${i}]`;
    if (!isPlainObject(w)) return invalid(path, 'expected an object');
    const index = w['i'];
    const requestId = w['r'];
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < last || index > applied) invalid(path, 'bad index');
    if (typeof requestId !== 'string' || seen.has(requestId)) return invalid(path, 'bad or duplicate request id');
    seen.add(requestId);
    last = index as number;
    requests.push({ requestId, index: index as number, result: parseResult(w['res'], index as number, `${path}.res`) });
  });
  return { applied, tables, requests };
}
