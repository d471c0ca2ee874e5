// A linearizability checker for a key-value store of registers, in the style
// of Porcupine: Wing & Gong's search with Lowe's memoization (WGL). The
// history is split by key first (a KV store is linearizable iff each key is,
// since keys never interact), which keeps each search small.
//
// The search walks a list of call and return events in time order. At a call
// it tries to linearize that operation now (if the model accepts its result);
// at a return whose call was never linearized it backtracks. A cache of
// (set of linearized operations, model state) pairs already explored makes
// the search polynomial in practice: reaching the same pair twice cannot lead
// anywhere new.
//
// An operation whose outcome the client never learned (it timed out) has
// `output: undefined` and `ret: Infinity`: it may take effect at any moment
// after its call, or never (linearizing it after everything else is the same
// as never), and a cas of unknown outcome may have succeeded or failed.

export type KvInput =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'get'; key: string }
  | { kind: 'cas'; key: string; expected: string | null; value: string };

export type KvOutput = { kind: 'put' } | { kind: 'get'; value: string | null } | { kind: 'cas'; ok: boolean };

export interface KvOp {
  /** Unique per history; used only to report. */
  id: number;
  client: number;
  input: KvInput;
  /** undefined: the client never learned the outcome (indeterminate). */
  output: KvOutput | undefined;
  /** Call and return instants; ret is Infinity when the outcome is unknown. Instants must be distinct for ordered events. */
  call: number;
  ret: number;
}

export interface CheckResult {
  ok: boolean;
  /** The first key found not linearizable. */
  badKey?: string;
  /** The search gave up (budget exhausted) on this key without a verdict. */
  unknownKey?: string;
  /** Human-readable explanation of a failure. */
  detail?: string;
  /** Search steps taken, over all keys. */
  steps: number;
}

type State = string | null;

/** The register model: returns the next state, or undefined if `output` is impossible in `state`. */
function step(state: State, input: KvInput, output: KvOutput | undefined): { next: State } | undefined {
  switch (input.kind) {
    case 'put':
      return { next: input.value };
    case 'get':
      if (output === undefined) return { next: state };
      return output.kind === 'get' && output.value === state ? { next: state } : undefined;
    case 'cas': {
      const matches = state === input.expected;
      if (output === undefined) return { next: matches ? input.value : state };
      if (output.kind !== 'cas' || output.ok !== matches) return undefined;
      return { next: matches ? input.value : state };
    }
  }
}

interface Event {
  op: number; // index into the key's op list
  isCall: boolean;
  time: number;
  prev: Event | null;
  next: Event | null;
  /** For a call: its return event. */
  match: Event | null;
}

/** Returns true when `ops` (all on one key) are linearizable, false when not, undefined when the budget ran out. */
function checkKey(
  ops: KvOp[],
  budget: { steps: number; max: number },
): { ok: boolean | undefined; deepest: number[] } {
  const n = ops.length;
  const events: Event[] = [];
  for (let i = 0; i < n; i++) {
    const o = ops[i]!;
    const call: Event = { op: i, isCall: true, time: o.call, prev: null, next: null, match: null };
    const ret: Event = { op: i, isCall: false, time: o.ret, prev: null, next: null, match: null };
    call.match = ret;
    events.push(call, ret);
  }
  // Ties: calls first, so operations that touch the same instant count as concurrent.
  events.sort((x, y) => x.time - y.time || (x.isCall === y.isCall ? x.op - y.op : x.isCall ? -1 : 1));
  const head: Event = { op: -1, isCall: false, time: -Infinity, prev: null, next: null, match: null };
  let tail = head;
  for (const e of events) {
    tail.next = e;
    e.prev = tail;
    tail = e;
  }

  // Zobrist hashing of the linearized set: two 32-bit words per op, from a fixed generator.
  const z1 = new Uint32Array(n);
  const z2 = new Uint32Array(n);
  let seed = 0x2545f491;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    z1[i] = seed ^ (seed >>> 15);
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    z2[i] = seed ^ (seed >>> 13);
  }
  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(words);
  let h1 = 0;
  let h2 = 0;
  const cache = new Map<string, { bits: Uint32Array; state: State }[]>();
  const seen = (s: State): boolean => {
    const k = `${h1}:${h2}:${s === null ? '\u0000' : s}`;
    const bucket = cache.get(k);
    if (bucket) {
      for (const b of bucket) if (b.state === s && sameBits(b.bits, bits)) return true;
      bucket.push({ bits: bits.slice(), state: s });
    } else {
      cache.set(k, [{ bits: bits.slice(), state: s }]);
    }
    return false;
  };

  const lift = (c: Event): void => {
    c.prev!.next = c.next;
    if (c.next) c.next.prev = c.prev;
    const r = c.match!;
    r.prev!.next = r.next;
    if (r.next) r.next.prev = r.prev;
  };
  const unlift = (c: Event): void => {
    const r = c.match!;
    r.prev!.next = r;
    if (r.next) r.next.prev = r;
    c.prev!.next = c;
    if (c.next) c.next.prev = c;
  };

  const stack: { call: Event; state: State }[] = [];
  let state: State = null;
  let entry: Event | null = head.next;
  let deepest: number[] = [];
  while (head.next !== null) {
    if (++budget.steps > budget.max) return { ok: undefined, deepest };
    if (entry === null) throw new Error('linearizability: walked off the event list');
    if (entry.isCall) {
      const o = ops[entry.op]!;
      const r = step(state, o.input, o.output);
      let advanced = false;
      if (r) {
        const i = entry.op;
        bits[i >>> 5]! ^= 1 << (i & 31);
        h1 ^= z1[i]!;
        h2 ^= z2[i]!;
        if (!seen(r.next)) {
          stack.push({ call: entry, state });
          state = r.next;
          lift(entry);
          entry = head.next;
          advanced = true;
          if (stack.length > deepest.length) deepest = stack.map((s) => s.call.op);
        } else {
          bits[i >>> 5]! ^= 1 << (i & 31);
          h1 ^= z1[i]!;
          h2 ^= z2[i]!;
        }
      }
      if (!advanced) entry = entry.next;
    } else {
      // A return whose call is still in the list: that op must come before
      // anything later, and every choice so far failed to place it. Backtrack.
      const top = stack.pop();
      if (!top) return { ok: false, deepest };
      const i = top.call.op;
      bits[i >>> 5]! ^= 1 << (i & 31);
      h1 ^= z1[i]!;
      h2 ^= z2[i]!;
      state = top.state;
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return { ok: true, deepest };
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function describeOp(o: KvOp): string {
  const i = o.input;
  const what =
    i.kind === 'put'
      ? `put(${i.key}=${i.value})`
      : i.kind === 'get'
        ? `get(${i.key})`
        : `cas(${i.key}: ${i.expected ?? 'nil'} -> ${i.value})`;
  let out: string;
  if (o.output === undefined) out = '?';
  else if (o.output.kind === 'get') out = o.output.value ?? 'nil';
  else if (o.output.kind === 'cas') out = o.output.ok ? 'ok' : 'fail';
  else out = 'ok';
  const ret = o.ret === Infinity ? 'inf' : String(o.ret);
  return `#${o.id} c${o.client} [${o.call}, ${ret}] ${what} => ${out}`;
}

/**
 * Checks a whole KV history. `maxSteps` bounds the total search so a
 * pathological history reports "unknown" instead of hanging a test run.
 */
export function checkKvHistory(ops: readonly KvOp[], opts: { maxSteps?: number } = {}): CheckResult {
  const byKey = new Map<string, KvOp[]>();
  for (const o of ops) {
    if (o.output === undefined && o.input.kind === 'get') continue; // an unanswered read constrains nothing
    if (!(o.ret > o.call)) throw new Error(`linearizability: op #${o.id} returns before it is called`);
    const list = byKey.get(o.input.key);
    if (list) list.push(o);
    else byKey.set(o.input.key, [o]);
  }
  const budget = { steps: 0, max: opts.maxSteps ?? 50_000_000 };
  const keys = [...byKey.keys()].sort();
  let unknownKey: string | undefined;
  for (const key of keys) {
    const list = byKey.get(key)!;
    const r = checkKey(list, budget);
    if (r.ok === undefined) {
      unknownKey = key;
      break;
    }
    if (!r.ok) {
      const done = new Set(r.deepest);
      const linearized = r.deepest.map((i) => `  ${describeOp(list[i]!)}`);
      const rest = list
        .map((o, i) => ({ o, i }))
        .filter(({ i }) => !done.has(i))
        .sort((x, y) => x.o.call - y.o.call)
        .slice(0, 12)
        .map(({ o }) => `  ${describeOp(o)}`);
      const detail =
        `key ${key} is not linearizable (${list.length} ops).\n` +
        `longest linearizable prefix found (${linearized.length} ops, last 12):\n${linearized.slice(-12).join('\n')}\n` +
        `first operations that could not be placed after it:\n${rest.join('\n')}`;
      return { ok: false, badKey: key, detail, steps: budget.steps };
    }
  }
  if (unknownKey !== undefined) {
    return { ok: true, unknownKey, detail: `search budget exhausted on key ${unknownKey}`, steps: budget.steps };
  }
  return { ok: true, steps: budget.steps };
}
