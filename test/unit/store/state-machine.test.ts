import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  MAX_CONFIG_DATA_BYTES, NOOP, STALE, StateMachine,
  type ApplyResult, type CommandResult, type OpResult, type TxnResult,
} from '../../../manager/store/index.js';
import {
  cmd, configContent, createOp, deleteOp, networkContent, nodeContent, serviceContent, T0, taskContent, updateOp,
} from './helpers.js';

function asOp(r: ApplyResult): OpResult {
  assert.ok(!('marker' in r), 'expected a command result');
  assert.ok(!('changes' in r), 'expected a single-op result');
  return r as OpResult;
}

function asTxn(r: ApplyResult): TxnResult {
  assert.ok(!('marker' in r), 'expected a command result');
  return r as TxnResult;
}

function errCode(r: ApplyResult): string | undefined {
  const c = r as CommandResult;
  return c.ok ? undefined : c.error.code;
}

/** A state machine with its own index counter. */
function fresh(): { sm: StateMachine; apply: (data: Uint8Array) => ApplyResult } {
  const sm = new StateMachine();
  let i = 0;
  return { sm, apply: (data) => sm.apply(++i, data) };
}

describe('StateMachine: create, versions, times', () => {
  it('stamps version = index and times from the command', () => {
    const { sm, apply } = fresh();
    const r = asOp(apply(cmd({ op: createOp('configs', configContent('a')) }, 'req-1', T0)));
    assert.ok(r.ok);
    assert.equal(r.action, 'create');
    assert.equal(r.collection, 'configs');
    assert.equal(r.object.version, 1);
    assert.equal(r.object.createdAt, '2024-01-02T03:04:05.678Z');
    assert.equal(r.object.updatedAt, '2024-01-02T03:04:05.678Z');
    assert.equal(r.object.name, 'a');
    assert.ok(Object.isFrozen(r.object));
    assert.equal(sm.get('configs', r.object.id), r.object);
    assert.equal(sm.getByName('configs', 'A'), r.object, 'names compare case-insensitively');
    assert.equal(sm.applied(), 1);
  });

  it('keeps createdAt and moves updatedAt and version on update', () => {
    const { sm, apply } = fresh();
    const c = asOp(apply(cmd({ op: createOp('services', serviceContent('web')) }, 'r1', T0)));
    assert.ok(c.ok);
    const u = asOp(apply(cmd({ op: updateOp('services', c.object.id, 1, serviceContent('web', 5)) }, 'r2', T0 + 1000)));
    assert.ok(u.ok);
    assert.equal(u.object.version, 2);
    assert.equal(u.object.createdAt, c.object.createdAt);
    assert.equal(u.object.updatedAt, '2024-01-02T03:04:06.678Z');
    assert.deepEqual((sm.get('services', c.object.id)?.spec.mode), { kind: 'replicated', replicas: 5 });
  });
});

describe('StateMachine: optimistic concurrency', () => {
  it('update with a moved-on version is a Conflict and changes nothing', () => {
    const { sm, apply } = fresh();
    const c = asOp(apply(cmd({ op: createOp('networks', networkContent('n1')) })));
    assert.ok(c.ok);
    const id = c.object.id;
    assert.ok(asOp(apply(cmd({ op: updateOp('networks', id, 1, networkContent('n1')) }))).ok);
    const stale = asOp(apply(cmd({ op: updateOp('networks', id, 1, networkContent('n1')) })));
    assert.equal(stale.ok, false);
    assert.equal(errCode(stale), 'Conflict');
    assert.equal(sm.get('networks', id)?.version, 2);
  });

  it('delete honours an optional expectVersion', () => {
    const { sm, apply } = fresh();
    const c = asOp(apply(cmd({ op: createOp('configs', configContent('x')) })));
    assert.ok(c.ok);
    assert.equal(errCode(apply(cmd({ op: deleteOp('configs', c.object.id, 7) }))), 'Conflict');
    const d = asOp(apply(cmd({ op: deleteOp('configs', c.object.id, 1) })));
    assert.ok(d.ok);
    assert.equal(d.action, 'delete');
    assert.equal(d.object.version, 1, 'a delete reports the last state');
    assert.equal(sm.get('configs', c.object.id), undefined);
    assert.equal(errCode(apply(cmd({ op: deleteOp('configs', c.object.id) }))), 'NotFound');
    assert.equal(errCode(apply(cmd({ op: updateOp('configs', c.object.id, 1, configContent('x')) }))), 'NotFound');
  });

  it('a create with an id in use is a Conflict', () => {
    const { apply } = fresh();
    const op = createOp('tasks', taskContent('s', 1));
    assert.ok(asOp(apply(cmd({ op }))).ok);
    assert.equal(errCode(apply(cmd({ op }))), 'Conflict');
  });
});

describe('StateMachine: names', () => {
  it('refuses a second object with the same name, ignoring ASCII case', () => {
    const { sm, apply } = fresh();
    assert.ok(asOp(apply(cmd({ op: createOp('services', serviceContent('web')) }))).ok);
    assert.equal(errCode(apply(cmd({ op: createOp('services', serviceContent('web')) }))), 'NameExists');
    assert.equal(errCode(apply(cmd({ op: createOp('services', serviceContent('WEB')) }))), 'NameExists');
    assert.ok(asOp(apply(cmd({ op: createOp('configs', configContent('web')) }))).ok, 'names are per collection');
    assert.equal(sm.count('services'), 1);
  });

  it('frees a name on delete and on rename', () => {
    const { sm, apply } = fresh();
    const a = asOp(apply(cmd({ op: createOp('networks', networkContent('front')) })));
    assert.ok(a.ok);
    assert.ok(asOp(apply(cmd({ op: deleteOp('networks', a.object.id) }))).ok);
    const b = asOp(apply(cmd({ op: createOp('networks', networkContent('front')) })));
    assert.ok(b.ok, 'a deleted name is free again');
    const renamed = asOp(apply(cmd({ op: updateOp('networks', b.object.id, b.object.version, networkContent('back')) })));
    assert.ok(renamed.ok);
    assert.equal(sm.getByName('networks', 'front'), undefined);
    assert.equal(sm.getByName('networks', 'back')?.id, b.object.id);
    assert.ok(asOp(apply(cmd({ op: createOp('networks', networkContent('front')) }))).ok);
    assert.equal(errCode(apply(cmd({ op: updateOp('networks', b.object.id, renamed.object.version, networkContent('front')) }))), 'NameExists');
  });

  it('allows a case-only rename of the same object', () => {
    const { sm, apply } = fresh();
    const a = asOp(apply(cmd({ op: createOp('services', serviceContent('web')) })));
    assert.ok(a.ok);
    const r = asOp(apply(cmd({ op: updateOp('services', a.object.id, 1, serviceContent('Web')) })));
    assert.ok(r.ok);
    assert.equal(sm.getByName('services', 'web')?.name, 'Web');
  });

  it('enforces uniqueness inside one transaction too', () => {
    const { sm, apply } = fresh();
    const r = asTxn(apply(cmd({ txn: [createOp('configs', configContent('dup')), createOp('configs', configContent('DUP'))] })));
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.error.code === 'NameExists' && r.error.op === 1);
    assert.equal(sm.count('configs'), 0);
  });

  it('lets a transaction delete a name and reuse it', () => {
    const { sm, apply } = fresh();
    const a = asOp(apply(cmd({ op: createOp('configs', configContent('v')) })));
    assert.ok(a.ok);
    const r = asTxn(apply(cmd({ txn: [deleteOp('configs', a.object.id), createOp('configs', configContent('v', new Uint8Array([9])))] })));
    assert.ok(r.ok);
    assert.deepEqual(r.changes.map((c) => c.action), ['delete', 'create']);
    assert.deepEqual(sm.getByName('configs', 'v')?.spec.data, new Uint8Array([9]));
  });

  it('does not make node names or hostnames unique', () => {
    const { sm, apply } = fresh();
    assert.ok(asOp(apply(cmd({ op: createOp('nodes', nodeContent('h1')) }))).ok);
    assert.ok(asOp(apply(cmd({ op: createOp('nodes', nodeContent('h1')) }))).ok);
    assert.equal(sm.list('nodes', (n) => n.description?.hostname === 'h1').length, 2);
  });
});

describe('StateMachine: transactions', () => {
  it('applies nothing when any op fails', () => {
    const { sm, apply } = fresh();
    const base = asOp(apply(cmd({ op: createOp('services', serviceContent('svc')) })));
    assert.ok(base.ok);
    const seen: number[] = [];
    sm.watch(sm.applied(), (ev) => seen.push(ev.index));
    const r = asTxn(apply(cmd({
      txn: [
        createOp('tasks', taskContent(base.object.id, 1)),
        createOp('networks', networkContent('tx-net')),
        updateOp('services', base.object.id, 1, serviceContent('svc', 3)),
        deleteOp('services', base.object.id, 1), // version moved on within this txn: 2 ≠ 1
      ],
    })));
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.error.code === 'Conflict' && r.error.op === 3);
    assert.equal(sm.count('tasks'), 0);
    assert.equal(sm.count('networks'), 0);
    assert.equal(sm.getByName('networks', 'tx-net'), undefined);
    assert.equal(sm.get('services', base.object.id)?.version, 1);
    assert.deepEqual(seen, [], 'a failed transaction publishes no change');
    assert.equal(sm.applied(), 2, 'the entry still counts as applied');
  });

  it('lets later ops see earlier ones', () => {
    const { sm, apply } = fresh();
    const create = createOp('services', serviceContent('s'));
    const r = asTxn(apply(cmd({ txn: [create, updateOp('services', create.id, 1, serviceContent('s', 9))] })));
    assert.ok(r.ok);
    assert.equal(r.changes.length, 2);
    const s = sm.get('services', create.id);
    assert.equal(s?.version, 1, 'all changes of a transaction carry its index');
    assert.deepEqual(s?.spec.mode, { kind: 'replicated', replicas: 9 });
  });
});

describe('StateMachine: limits and malformed input', () => {
  it('refuses a config over 500 KiB with TooLarge, accepts exactly 500 KiB', () => {
    const { sm, apply } = fresh();
    const big = apply(cmd({ op: createOp('configs', configContent('big', new Uint8Array(MAX_CONFIG_DATA_BYTES + 1))) }));
    assert.equal(errCode(big), 'TooLarge');
    const ok = asOp(apply(cmd({ op: createOp('configs', configContent('max', new Uint8Array(MAX_CONFIG_DATA_BYTES).fill(7))) })));
    assert.ok(ok.ok);
    assert.equal(sm.getByName('configs', 'max')?.spec.data.length, MAX_CONFIG_DATA_BYTES);
    const inTxn = asTxn(apply(cmd({ txn: [createOp('configs', configContent('small')), createOp('configs', configContent('big', new Uint8Array(MAX_CONFIG_DATA_BYTES + 1)))] })));
    assert.ok(!inTxn.ok && inTxn.error.code === 'TooLarge' && inTxn.error.op === 1);
    assert.equal(sm.getByName('configs', 'small'), undefined);
  });

  it('answers Invalid for malformed commands and keeps going', () => {
    const { sm, apply } = fresh();
    const good = cmd({ op: createOp('configs', configContent('g')) }, 'good-req');
    const enc = new TextEncoder();
    const envelope = (json: string): Uint8Array => {
      const j = enc.encode(json);
      const out = new Uint8Array(5 + j.length);
      out[0] = 0x43;
      new DataView(out.buffer).setUint32(1, j.length);
      out.set(j, 5);
      return out;
    };
    const id = 'a'.repeat(25);
    const cases: [string, Uint8Array][] = [
      ['random bytes', new Uint8Array([1, 2, 3, 4, 5, 6, 7])],
      ['wrong kind', Uint8Array.of(0x53, ...good.subarray(1))],
      ['truncated', good.subarray(0, good.length - 3)],
      ['length past end', Uint8Array.of(0x43, 0xff, 0xff, 0xff, 0xff, 0x7b, 0x7d)],
      ['bad utf-8', envelope('{"r":"x","t":1}').map((b, i) => (i === 8 ? 0xff : b))],
      ['not json', envelope('{"r":')],
      ['array', envelope('[]')],
      ['no request id', envelope(`{"t":1,"o":"delete","c":"configs","id":"${id}"}`)],
      ['float time', envelope(`{"r":"x1","t":1.5,"o":"delete","c":"configs","id":"${id}"}`)],
      ['unknown op', envelope(`{"r":"x2","t":1,"o":"upsert","c":"configs","id":"${id}"}`)],
      ['unknown collection', envelope(`{"r":"x3","t":1,"o":"delete","c":"secrets","id":"${id}"}`)],
      ['bad id', envelope('{"r":"x4","t":1,"o":"delete","c":"configs","id":"ABC"}')],
      ['unknown property', envelope(`{"r":"x5","t":1,"o":"delete","c":"configs","id":"${id}","zz":1}`)],
      ['update without version', envelope(`{"r":"x6","t":1,"o":"update","c":"configs","id":"${id}","b":{}}`)],
      ['create without body', envelope(`{"r":"x7","t":1,"o":"create","c":"configs","id":"${id}"}`)],
      ['body of wrong shape', envelope(`{"r":"x8","t":1,"o":"create","c":"configs","id":"${id}","b":{"spec":{"name":"n","data":"abc"}}}`)],
      ['bytes out of bounds', envelope(`{"r":"x9","t":1,"o":"create","c":"configs","id":"${id}","b":{"spec":{"name":"n","data":{"$b":[0,10]}}}}`)],
      ['empty name', envelope(`{"r":"x10","t":1,"o":"create","c":"configs","id":"${id}","b":{"spec":{"name":"","data":{"$b":[0,0]}}}}`)],
      ['__proto__ label', envelope(`{"r":"x11","t":1,"o":"create","c":"configs","id":"${id}","b":{"spec":{"name":"n","labels":{"__proto__":"x"},"data":{"$b":[0,0]}}}}`)],
      ['empty txn', envelope('{"r":"x12","t":1,"o":"txn","ops":[]}')],
      ['nested txn', envelope('{"r":"x13","t":1,"o":"txn","ops":[{"o":"txn","ops":[]}]}')],
      ['NaN via encoder', cmd({ op: createOp('services', { ...serviceContent('nan', Number.NaN) }) })],
    ];
    for (const [what, data] of cases) {
      const r = apply(data);
      assert.equal(errCode(r), 'Invalid', `${what}: ${JSON.stringify(r)}`);
    }
    assert.equal(sm.applied(), cases.length);
    // (Not `good` itself: its truncated copy above carried the same request id, and the
    // Invalid result filed for it is what a repeat of that request id now gets.)
    assert.equal(errCode(sm.resultFor('good-req') ?? { ok: true } as never), 'Invalid');
    assert.equal(apply(good), sm.resultFor('good-req'));
    assert.ok(asOp(apply(cmd({ op: createOp('configs', configContent('g')) }))).ok, 'a good command after all that still applies');
    assert.equal(sm.resultFor('x6')?.ok, false, 'an invalid command with a request id has its result on file');
  });

  it('never throws on mutated command bytes (fuzz)', () => {
    const { sm, apply } = fresh();
    const base = cmd({ txn: [createOp('services', serviceContent('f')), createOp('configs', configContent('f'))] });
    let state = 12345;
    const rand = (n: number): number => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state % n;
    };
    for (let i = 0; i < 3000; i++) {
      const data = base.slice();
      const flips = 1 + rand(4);
      for (let f = 0; f < flips; f++) data[rand(data.length)] = rand(256);
      const r = apply(rand(10) === 0 ? data.subarray(0, rand(data.length)) : data);
      assert.ok(!('marker' in r) || r === NOOP);
    }
    assert.equal(sm.applied(), 3000);
  });

  it('refuses to change a config\'s data but allows its labels', () => {
    const { apply } = fresh();
    const c = asOp(apply(cmd({ op: createOp('configs', configContent('c', new Uint8Array([1]))) })));
    assert.ok(c.ok);
    assert.equal(errCode(apply(cmd({ op: updateOp('configs', c.object.id, 1, configContent('c', new Uint8Array([2]))) }))), 'Invalid');
    const l = asOp(apply(cmd({ op: updateOp('configs', c.object.id, 1, configContent('c', new Uint8Array([1]), { env: 'prod' })) })));
    assert.ok(l.ok);
    assert.deepEqual(l.ok && l.object.spec, { name: 'c', labels: { env: 'prod' }, data: new Uint8Array([1]) });
  });
});

describe('StateMachine: indices and request results', () => {
  it('ignores a re-applied index and returns Stale', () => {
    const sm = new StateMachine();
    const data = cmd({ op: createOp('configs', configContent('once')) });
    assert.ok(asOp(sm.apply(5, data)).ok);
    const before = sm.snapshot();
    assert.equal(sm.apply(5, data), STALE);
    assert.equal(sm.apply(3, cmd({ op: createOp('configs', configContent('other')) })), STALE);
    assert.equal(sm.applied(), 5);
    assert.deepEqual(sm.snapshot(), before);
    assert.throws(() => sm.apply(0, data), RangeError);
  });

  it('treats empty data as the leader no-op', () => {
    const sm = new StateMachine();
    assert.equal(sm.apply(1, new Uint8Array(0)), NOOP);
    assert.equal(sm.applied(), 1);
  });

  it('files results by request id and answers a repeated request with the first result', () => {
    const sm = new StateMachine();
    const data = cmd({ op: createOp('configs', configContent('dedupe')) }, 'retry-me');
    const first = asOp(sm.apply(1, data));
    assert.ok(first.ok);
    assert.equal(sm.resultFor('retry-me'), first);
    const again = sm.apply(2, data); // the proposer retried after losing track of the first
    assert.equal(again, first);
    assert.equal(sm.count('configs'), 1);
    assert.equal(sm.applied(), 2);
  });

  it('keeps only the newest results, by index', () => {
    const sm = new StateMachine({ requestLogLimit: 3 });
    for (let i = 1; i <= 5; i++) sm.apply(i, cmd({ op: createOp('configs', configContent(`c${i}`)) }, `r${i}`));
    assert.equal(sm.resultFor('r1'), undefined);
    assert.equal(sm.resultFor('r2'), undefined);
    assert.ok(sm.resultFor('r3')?.ok);
    assert.ok(sm.resultFor('r5')?.ok);
  });
});
