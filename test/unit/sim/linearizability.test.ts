import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKvHistory, type KvOp, type KvOutput, type KvInput } from '../../sim/linearizability.js';
import { Prng } from '../../sim/prng.js';

let nextId = 0;
function op(client: number, call: number, ret: number, input: KvInput, output: KvOutput | undefined): KvOp {
  return { id: nextId++, client, call, ret, input, output };
}
const put = (key: string, value: string): KvInput => ({ kind: 'put', key, value });
const get = (key: string): KvInput => ({ kind: 'get', key });
const cas = (key: string, expected: string | null, value: string): KvInput => ({ kind: 'cas', key, expected, value });
const okPut: KvOutput = { kind: 'put' };
const got = (value: string | null): KvOutput => ({ kind: 'get', value });
const casOk: KvOutput = { kind: 'cas', ok: true };
const casFail: KvOutput = { kind: 'cas', ok: false };

test('accepts a sequential history', () => {
  const h = [
    op(0, 1, 2, put('x', 'a'), okPut),
    op(0, 3, 4, get('x'), got('a')),
    op(0, 5, 6, cas('x', 'a', 'b'), casOk),
    op(0, 7, 8, cas('x', 'a', 'c'), casFail),
    op(0, 9, 10, get('x'), got('b')),
    op(0, 11, 12, get('y'), got(null)),
  ];
  assert.equal(checkKvHistory(h).ok, true);
});

test('accepts concurrent operations that only fit in one order', () => {
  // Both writes overlap; the only order that explains both reads is
  // put b, get -> b, put a, get -> a (put a lands after put b although it was called first).
  const h = [
    op(0, 1, 10, put('x', 'a'), okPut),
    op(1, 2, 8, put('x', 'b'), okPut),
    op(2, 3, 5, get('x'), got('b')),
    op(2, 11, 12, get('x'), got('a')),
  ];
  assert.equal(checkKvHistory(h).ok, true);
});

test('accepts a read that returns either overlapping write', () => {
  const h = [
    op(0, 1, 2, put('x', 'a'), okPut),
    op(1, 3, 10, put('x', 'b'), okPut),
    op(2, 4, 5, get('x'), got('a')),
    op(2, 6, 7, get('x'), got('b')),
    op(2, 11, 12, get('x'), got('b')),
  ];
  assert.equal(checkKvHistory(h).ok, true);
});

test('accepts indeterminate operations that took effect, and ones that did not', () => {
  const h = [
    op(0, 1, 2, put('x', 'a'), okPut),
    // Timed out, but a later read sees it: it took effect.
    op(1, 3, Infinity, put('x', 'b'), undefined),
    op(2, 10, 11, get('x'), got('b')),
    // Timed out and never seen: it need not have taken effect.
    op(1, 12, Infinity, put('x', 'c'), undefined),
    op(2, 13, 14, get('x'), got('b')),
    // A cas of unknown outcome whose effect is observed.
    op(3, 15, Infinity, cas('x', 'b', 'd'), undefined),
    op(2, 20, 21, get('x'), got('d')),
    // The indeterminate put c can still land late, much after its call.
    op(2, 22, 23, get('x'), got('c')),
    // An unanswered read constrains nothing.
    op(4, 24, Infinity, get('x'), undefined),
  ];
  assert.equal(checkKvHistory(h).ok, true);
});

test('accepts a failed cas explained only by an indeterminate write', () => {
  const h = [
    op(0, 1, 2, put('x', 'a'), okPut),
    op(1, 3, Infinity, put('x', 'z'), undefined),
    op(2, 5, 6, cas('x', 'a', 'b'), casFail),
  ];
  assert.equal(checkKvHistory(h).ok, true);
});

test('rejects a stale read after a completed write', () => {
  const h = [
    op(0, 1, 2, put('x', 'a'), okPut),
    op(0, 3, 4, put('x', 'b'), okPut),
    op(1, 5, 6, get('x'), got('a')),
  ];
  const r = checkKvHistory(h);
  assert.equal(r.ok, false);
  assert.equal(r.badKey, 'x');
  assert.match(r.detail ?? '', /not linearizable/);
});

test('rejects two cas succeeding from the same old value', () => {
  const h = [
    op(0, 1, 2, put('x', 'a'), okPut),
    op(1, 3, 8, cas('x', 'a', 'b'), casOk),
    op(2, 4, 9, cas('x', 'a', 'c'), casOk),
  ];
  assert.equal(checkKvHistory(h).ok, false);
});

test('rejects two cas from the same old value even when one is indeterminate but observed', () => {
  const h = [
    op(0, 1, 2, put('x', 'a'), okPut),
    op(1, 3, Infinity, cas('x', 'a', 'b'), undefined),
    op(2, 4, 9, cas('x', 'a', 'c'), casOk),
    op(3, 10, 11, get('x'), got('c')),
    op(3, 12, 13, get('x'), got('b')),
    op(3, 14, 15, get('x'), got('c')),
  ];
  assert.equal(checkKvHistory(h).ok, false);
});

test('rejects a read of a value never written', () => {
  const h = [op(0, 1, 2, put('x', 'a'), okPut), op(1, 3, 4, get('x'), got('ghost'))];
  assert.equal(checkKvHistory(h).ok, false);
});

test('rejects a read of the initial value after a write completed', () => {
  const h = [op(0, 1, 2, put('y', 'a'), okPut), op(1, 3, 4, get('y'), got(null))];
  assert.equal(checkKvHistory(h).ok, false);
});

test('rejects a value that flips back (non-monotonic reads)', () => {
  const h = [
    op(0, 1, 10, put('x', 'a'), okPut),
    op(1, 2, 11, put('x', 'b'), okPut),
    op(2, 3, 4, get('x'), got('a')),
    op(2, 5, 6, get('x'), got('b')),
    op(2, 7, 8, get('x'), got('a')),
  ];
  assert.equal(checkKvHistory(h).ok, false);
});

test('keys are independent: a bad key is named', () => {
  const h = [
    op(0, 1, 2, put('a', '1'), okPut),
    op(0, 3, 4, get('a'), got('1')),
    op(0, 5, 6, put('b', '1'), okPut),
    op(0, 7, 8, get('b'), got(null)),
  ];
  const r = checkKvHistory(h);
  assert.equal(r.ok, false);
  assert.equal(r.badKey, 'b');
});

/** A random history produced by a real (sequential) register under concurrency: always linearizable. */
function randomLinearizable(rng: Prng, nOps: number, clients: number, indeterminateP: number): KvOp[] {
  let value: string | null = null;
  let t = 0;
  const open: { client: number; input: KvInput; call: number; lin: number; output: KvOutput }[] = [];
  const ops: KvOp[] = [];
  const busy = new Set<number>();
  let made = 0;
  let vals = 0;
  while (made < nOps || open.length > 0) {
    // Either start an op on an idle client (and linearize it now), or return one.
    const idle = [...Array(clients).keys()].filter((c) => !busy.has(c));
    if (made < nOps && idle.length > 0 && (open.length === 0 || rng.chance(0.5))) {
      const client = rng.pick(idle);
      const call = ++t;
      const k = rng.int(3);
      let input: KvInput;
      let output: KvOutput;
      if (k === 0) {
        const v = `v${vals++}`;
        input = put('x', v);
        output = okPut;
        value = v;
      } else if (k === 1) {
        input = get('x');
        output = got(value);
      } else {
        const expected = rng.chance(0.5) ? value : `v${rng.int(vals + 1)}`;
        const v = `v${vals++}`;
        input = cas('x', expected, v);
        const ok = value === expected;
        if (ok) value = v;
        output = { kind: 'cas', ok };
      }
      // The op takes effect at its call instant (t), which lies inside [call, ret].
      open.push({ client, input, call, lin: t, output });
      busy.add(client);
      made++;
    } else {
      const i = rng.int(open.length);
      const o = open.splice(i, 1)[0]!;
      busy.delete(o.client);
      const indeterminate = o.input.kind !== 'get' && rng.chance(indeterminateP);
      ops.push({
        id: ops.length,
        client: o.client,
        input: o.input,
        output: indeterminate ? undefined : o.output,
        call: o.call,
        ret: indeterminate ? Infinity : ++t,
      });
    }
  }
  return ops;
}

test('accepts random linearizable histories of a few hundred ops quickly', () => {
  const rng = new Prng(7);
  const started = performance.now();
  for (let round = 0; round < 20; round++) {
    const h = randomLinearizable(rng, 300, 6, 0.05);
    const r = checkKvHistory(h);
    assert.equal(r.ok, true, r.detail);
    assert.equal(r.unknownKey, undefined);
  }
  const ms = performance.now() - started;
  assert.ok(ms < 10_000, `too slow: ${ms} ms`);
});

test('rejects random histories with one read corrupted to a stale value', () => {
  const rng = new Prng(11);
  let rejected = 0;
  for (let round = 0; round < 20; round++) {
    const h = randomLinearizable(rng, 200, 4, 0);
    // Find a completed get that follows, in real time, a completed put of a
    // different value which itself follows an earlier put: make the get return
    // the older value. That read is then stale for sure.
    const puts = h.filter((o) => o.input.kind === 'put' && o.output !== undefined).sort((a, b) => a.ret - b.ret);
    let done = false;
    for (let i = 1; i < puts.length && !done; i++) {
      const older = puts[i - 1]!;
      const newer = puts[i]!;
      if (older.ret > newer.call) continue;
      const g = h.find((o) => o.input.kind === 'get' && o.call > newer.ret && o.output !== undefined);
      if (!g) continue;
      g.output = got((older.input as { value: string }).value);
      done = true;
    }
    if (!done) continue;
    assert.equal(checkKvHistory(h).ok, false);
    rejected++;
  }
  assert.ok(rejected >= 10, `only ${rejected} rounds had a corruptible read`);
});
