// The simulated application: a map of registers with put, get and
// compare-and-set, replicated through the Raft log.
//
// Every command carries a unique op id. The same op can commit twice: a
// follower forwards a proposal to the leader as a message, and the network
// may duplicate that message (clients themselves never retry). So the state
// machine is idempotent per op id: it remembers each op's result and applies
// a repeat as a no-op that answers the first result. The table of results is
// part of the snapshot, which also makes snapshots grow with the history, so
// that chunked InstallSnapshot carries many chunks.

export type Command =
  | { op: number; kind: 'put'; key: string; value: string }
  | { op: number; kind: 'cas'; key: string; expected: string | null; value: string };

/** put: always true; cas: whether it swapped. */
export type CommandResult = boolean;

const enc = new TextEncoder();
const dec = new TextDecoder();
/** Marks a null expected value; keys and values are plain ASCII words, never this. */
const NIL = '\u0001';

// A compact text form, "op|p|key|value" or "op|c|key|expected|value": every
// replica decodes every entry, and JSON was a measurable share of a run.
export function encodeCommand(c: Command): Uint8Array {
  const s =
    c.kind === 'put' ? `${c.op}|p|${c.key}|${c.value}` : `${c.op}|c|${c.key}|${c.expected ?? NIL}|${c.value}`;
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Returns null for bytes that are not a command (the leader's empty no-op). */
export function decodeCommand(data: Uint8Array): Command | null {
  if (data.length === 0) return null;
  const f = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1').split('|');
  const op = Number(f[0]);
  if (f[1] === 'p' && f.length === 4) return { op, kind: 'put', key: f[2]!, value: f[3]! };
  if (f[1] === 'c' && f.length === 5) {
    return { op, kind: 'cas', key: f[2]!, expected: f[3] === NIL ? null : f[3]!, value: f[4]! };
  }
  throw new Error('kv: not a command');
}

export class KvStateMachine {
  private readonly values = new Map<string, string>();
  private readonly results = new Map<number, CommandResult>();

  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  /** Applies `c` once; a repeat of an op id changes nothing and answers as the first time. */
  apply(c: Command): { result: CommandResult; repeat: boolean } {
    const prior = this.results.get(c.op);
    if (prior !== undefined) return { result: prior, repeat: true };
    let result: CommandResult;
    if (c.kind === 'put') {
      this.values.set(c.key, c.value);
      result = true;
    } else {
      result = this.get(c.key) === c.expected;
      if (result) this.values.set(c.key, c.value);
    }
    this.results.set(c.op, result);
    return { result, repeat: false };
  }

  /** Deterministic bytes: every replica at the same applied index produces the same snapshot. */
  snapshot(): Uint8Array {
    const values = [...this.values.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const results = [...this.results.entries()].sort((a, b) => a[0] - b[0]);
    return enc.encode(JSON.stringify({ values, results }));
  }

  static restore(data: Uint8Array): KvStateMachine {
    const sm = new KvStateMachine();
    if (data.length === 0) return sm;
    const v = JSON.parse(dec.decode(data)) as { values: [string, string][]; results: [number, CommandResult][] };
    for (const [k, val] of v.values) sm.values.set(k, val);
    for (const [op, r] of v.results) sm.results.set(op, r);
    return sm;
  }

  /** A digest of the registers, for comparing replicas at the end of a run. */
  digest(): string {
    return dec.decode(this.snapshot());
  }
}
