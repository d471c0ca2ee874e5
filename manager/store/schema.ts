// Small validators that turn decoded JSON into typed, frozen values. Every manager runs the
// same checks on the same bytes, so a rejected command is rejected everywhere and no
// malformed value ever reaches the tables (where it could make apply throw later).

import { copyBytes } from './byte-pool.js';

/** Thrown by a schema; apply turns it into an ordinary Invalid / TooLarge result. */
export class SchemaFailure extends Error {
  constructor(
    readonly code: 'Invalid' | 'TooLarge',
    message: string,
    /** In a transaction: the op the failure is in. */
    readonly op?: number,
  ) {
    super(message);
    this.name = 'SchemaFailure';
  }
}

export interface ParseContext {
  /** Bytes travel beside the JSON (see codec.ts); the JSON holds `{"$b":[offset,length]}`. */
  blobs: Uint8Array;
  /**
   * Where the value being parsed sits, for error messages. Kept as a stack of segments that
   * the schemas push and pop, because building a path string for every value parsed was a
   * measurable share of apply, and only a failure needs it.
   */
  path: (string | number)[];
}

export function pathString(path: readonly (string | number)[]): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  return s;
}

export interface Schema<T> {
  parse(v: unknown, ctx: ParseContext): T;
  /** How the schema is built, for bytePaths(); leaves (strings, numbers, …) have none. */
  readonly parts?: SchemaParts;
}

export type SchemaParts =
  | { kind: 'bytes' }
  | { kind: 'object'; shape: Readonly<Record<string, Schema<unknown>>> }
  | { kind: 'optional'; inner: Schema<unknown> }
  /** Arrays, maps and unions: what they hold has no fixed path. */
  | { kind: 'nested'; children: readonly Schema<unknown>[] }
  /** Not known until used (lazy). */
  | { kind: 'opaque' };

function mayHoldBytes(s: Schema<unknown>): boolean {
  const p = s.parts;
  if (!p) return false;
  switch (p.kind) {
    case 'bytes':
    case 'opaque':
      return true;
    case 'object':
      return Object.values(p.shape).some(mayHoldBytes);
    case 'optional':
      return mayHoldBytes(p.inner);
    case 'nested':
      return p.children.some(mayHoldBytes);
  }
}

/**
 * Where a value of this schema holds bytes, as property paths through plain objects; or
 * undefined if some bytes sit where no fixed path leads (inside an array, map or union).
 * Lets the encoder move bytes aside without visiting every value (see commands.ts).
 */
export function bytePaths(s: Schema<unknown>): string[][] | undefined {
  const p = s.parts;
  if (!p) return [];
  switch (p.kind) {
    case 'bytes':
      return [[]];
    case 'opaque':
      return undefined;
    case 'optional':
      return bytePaths(p.inner);
    case 'nested':
      return p.children.some(mayHoldBytes) ? undefined : [];
    case 'object': {
      const out: string[][] = [];
      for (const [k, child] of Object.entries(p.shape)) {
        const sub = bytePaths(child);
        if (sub === undefined) return undefined;
        for (const path of sub) out.push([k, ...path]);
      }
      return out;
    }
  }
}

/** Marks a schema for an optional property, so `obj` can check optionality against the type. */
export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export function invalid(where: string, what: string): never {
  throw new SchemaFailure('Invalid', `${where || 'value'}: ${what}`);
}

function refuse(ctx: ParseContext, what: string): never {
  return invalid(pathString(ctx.path), what);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export function str(opts: { min?: number; max?: number; pattern?: RegExp } = {}): Schema<string> {
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return {
    parse(v, ctx) {
      if (typeof v !== 'string') return refuse(ctx, 'expected a string');
      if (v.length < min) return refuse(ctx, min === 1 ? 'must not be empty' : `shorter than ${min}`);
      if (v.length > max) return refuse(ctx, `longer than ${max} characters`);
      if (opts.pattern && !opts.pattern.test(v)) return refuse(ctx, `does not match ${String(opts.pattern)}`);
      return v;
    },
  };
}

export function int(opts: { min?: number; max?: number } = {}): Schema<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return {
    parse(v, ctx) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) return refuse(ctx, 'expected an integer');
      if (v < min || v > max) return refuse(ctx, `out of range [${min}, ${max}]`);
      return v;
    },
  };
}

export function num(opts: { min?: number; max?: number } = {}): Schema<number> {
  const min = opts.min ?? -Number.MAX_VALUE;
  const max = opts.max ?? Number.MAX_VALUE;
  return {
    parse(v, ctx) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return refuse(ctx, 'expected a finite number');
      if (v < min || v > max) return refuse(ctx, `out of range [${min}, ${max}]`);
      return v;
    },
  };
}

export function bool(): Schema<boolean> {
  return {
    parse(v, ctx) {
      if (typeof v !== 'boolean') return refuse(ctx, 'expected a boolean');
      return v;
    },
  };
}

export function oneOf<const T extends string>(values: readonly T[]): Schema<T> {
  const set = new Set<string>(values);
  return {
    parse(v, ctx) {
      if (typeof v !== 'string' || !set.has(v)) return refuse(ctx, `expected one of ${values.join(', ')}`);
      return v as T;
    },
  };
}

/** Raw bytes; longer than `max` is TooLarge rather than Invalid, as Docker reports it. */
export function bytes(max: number): Schema<Uint8Array> {
  return {
    parts: { kind: 'bytes' },
    parse(v, ctx) {
      if (!isPlainObject(v)) return refuse(ctx, 'expected bytes');
      const ref = v['$b'];
      if (Object.keys(v).length !== 1 || !Array.isArray(ref) || ref.length !== 2) return refuse(ctx, 'expected bytes');
      const [off, len] = ref as unknown[];
      if (typeof off !== 'number' || typeof len !== 'number' || !Number.isSafeInteger(off) || !Number.isSafeInteger(len)
        || off < 0 || len < 0 || off + len > ctx.blobs.length) {
        return refuse(ctx, 'bytes reference out of bounds');
      }
      if (len > max) throw new SchemaFailure('TooLarge', `${pathString(ctx.path)}: ${len} bytes exceeds the limit of ${max}`);
      // A copy, so a stored object never pins the (possibly large) entry or snapshot buffer.
      return copyBytes(ctx.blobs.subarray(off, off + len));
    },
  };
}

export function opt<T>(inner: Schema<T>): OptionalSchema<T> {
  return {
    optional: true,
    parts: { kind: 'optional', inner },
    parse(v, ctx) {
      return v === undefined ? undefined : inner.parse(v, ctx);
    },
  };
}

export function arr<T>(item: Schema<T>, opts: { max?: number } = {}): Schema<T[]> {
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return {
    parts: { kind: 'nested', children: [item] },
    parse(v, ctx) {
      if (!Array.isArray(v)) return refuse(ctx, 'expected an array');
      if (v.length > max) return refuse(ctx, `more than ${max} items`);
      const out: T[] = new Array<T>(v.length);
      for (let i = 0; i < v.length; i++) {
        ctx.path.push(i);
        out[i] = item.parse(v[i], ctx);
        ctx.path.pop();
      }
      return Object.freeze(out) as T[];
    },
  };
}

/**
 * A string-keyed map such as Labels, rebuilt with sorted keys so that equal maps serialize
 * equally however the proposer ordered them. `__proto__` is refused rather than special-cased.
 */
export function record<T>(value: Schema<T>, opts: { maxKeys?: number } = {}): Schema<Record<string, T>> {
  const maxKeys = opts.maxKeys ?? 1000;
  return {
    parts: { kind: 'nested', children: [value] },
    parse(v, ctx) {
      if (!isPlainObject(v)) return refuse(ctx, 'expected an object');
      const keys = Object.keys(v);
      if (keys.length > maxKeys) return refuse(ctx, `more than ${maxKeys} keys`);
      if (keys.length > 1) keys.sort();
      const out: Record<string, T> = {};
      for (const k of keys) {
        if (k === '__proto__') return refuse(ctx, 'key "__proto__" is not allowed');
        ctx.path.push(k);
        out[k] = value.parse(v[k], ctx);
        ctx.path.pop();
      }
      return Object.freeze(out);
    },
  };
}

/** One schema per property; optional properties must use `opt(...)`, required ones must not. */
export type Shape<T> = {
  [K in keyof T]-?: object extends Pick<T, K> ? OptionalSchema<Exclude<T[K], undefined>> : Schema<T[K]>;
};

/** A fixed-shape object. Unknown properties are refused so that typos are not silently dropped. */
export function obj<T>(shape: Shape<T>): Schema<T> {
  const keys = Object.keys(shape) as (keyof T & string)[];
  const schemas = keys.map((k) => shape[k] as Schema<unknown>);
  const known = new Set<string>(keys);
  return {
    parts: { kind: 'object', shape: shape as Record<string, Schema<unknown>> },
    parse(v, ctx) {
      if (!isPlainObject(v)) return refuse(ctx, 'expected an object');
      const out: Record<string, unknown> = {};
      let seen = 0;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        const raw = Object.hasOwn(v, k) ? v[k] : undefined;
        if (raw !== undefined) seen++;
        ctx.path.push(k);
        const val = schemas[i].parse(raw, ctx);
        ctx.path.pop();
        if (val !== undefined) out[k] = val;
      }
      // Counting beats checking every property against `known`; only a mismatch needs the search.
      let total = 0;
      for (const k in v) if (v[k] !== undefined) total++;
      if (total !== seen) {
        for (const k in v) if (!known.has(k)) return refuse(ctx, `unknown property "${k}"`);
      }
      return Object.freeze(out) as T;
    },
  };
}

/** A union told apart by its `kind` property. */
export function tagged<T extends { kind: string }>(variants: { [K in T['kind']]: Schema<Extract<T, { kind: K }>> }): Schema<T> {
  const table = variants as Record<string, Schema<T>>;
  return {
    parts: { kind: 'nested', children: Object.values(table) },
    parse(v, ctx) {
      if (!isPlainObject(v)) return refuse(ctx, 'expected an object');
      const kind = v['kind'];
      if (typeof kind !== 'string' || !Object.hasOwn(table, kind)) {
        ctx.path.push('kind');
        return refuse(ctx, `expected one of ${Object.keys(table).join(', ')}`);
      }
      return table[kind].parse(v, ctx);
    },
  };
}

/** Lets a schema refer to one defined later (or to itself). */
export function lazy<T>(get: () => Schema<T>): Schema<T> {
  return { parts: { kind: 'opaque' }, parse: (v, ctx) => get().parse(v, ctx) };
}
