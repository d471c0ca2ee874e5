import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CompactedError, StateMachine, type ChangeEvent, type WatchCloseReason } from '../../../manager/store/index.js';
import { cmd, configContent, createOp, deleteOp, networkContent, updateOp } from './helpers.js';

function summary(evs: ChangeEvent[]): string[] {
  return evs.map((e) => `${e.index}:${e.collection}:${e.action}:${e.object.name ?? ''}`);
}

/** index 1 create a, 2 create b, 3 txn(update a, create n), 4 delete b, 5 invalid (no change). */
function populate(sm: StateMachine): void {
  const a = createOp('configs', configContent('a'));
  const b = createOp('configs', configContent('b'));
  sm.apply(1, cmd({ op: a }));
  sm.apply(2, cmd({ op: b }));
  sm.apply(3, cmd({ txn: [updateOp('configs', a.id, 1, configContent('a', undefined, { l: '1' })), createOp('networks', networkContent('n'))] }));
  sm.apply(4, cmd({ op: deleteOp('configs', b.id) }));
  sm.apply(5, new Uint8Array([1]));
}

describe('watch', () => {
  it('replays history after fromIndex, then live changes, in order and exactly once', () => {
    const sm = new StateMachine();
    populate(sm);
    const seen: ChangeEvent[] = [];
    const w = sm.watch(2, (ev) => seen.push(ev));
    assert.deepEqual(summary(seen), ['3:configs:update:a', '3:networks:create:n', '4:configs:delete:b'], 'replayed before watch() returns');
    sm.apply(6, cmd({ op: createOp('configs', configContent('c')) }));
    assert.deepEqual(summary(seen).slice(3), ['6:configs:create:c']);
    assert.equal(seen[2].object.version, 2, 'a delete carries the last state');
    w.cancel();
    sm.apply(7, cmd({ op: createOp('configs', configContent('d')) }));
    assert.equal(seen.length, 4, 'nothing after cancel');
  });

  it('from 0 on a fresh store sees everything; from the future sees only later changes', () => {
    const sm = new StateMachine();
    const all: ChangeEvent[] = [];
    sm.watch(0, (ev) => all.push(ev));
    const later: ChangeEvent[] = [];
    sm.watch(3, (ev) => later.push(ev));
    populate(sm);
    assert.equal(all.length, 5);
    assert.deepEqual(summary(later), ['4:configs:delete:b']);
  });

  it('fails with Compacted when fromIndex is older than the retained history', () => {
    const sm = new StateMachine({ historyLimit: 2 });
    populate(sm); // 5 events; keeping 2 drops indices 1..2 and, whole, index 3 (2 events)
    assert.equal(sm.oldestWatchable(), 3);
    assert.throws(() => sm.watch(2, () => {}), (e: unknown) => e instanceof CompactedError && e.code === 'Compacted' && e.oldestWatchable === 3);
    const seen: ChangeEvent[] = [];
    sm.watch(3, (ev) => seen.push(ev));
    assert.deepEqual(summary(seen), ['4:configs:delete:b']);
  });

  it('never splits one index when trimming', () => {
    const sm = new StateMachine({ historyLimit: 3 });
    populate(sm); // indices of events 1, 2, 3, 3, 4: index 1 goes when the 4th arrives, index 2 with the 5th
    assert.equal(sm.oldestWatchable(), 2);
    const seen: ChangeEvent[] = [];
    sm.watch(2, (ev) => seen.push(ev));
    assert.deepEqual(summary(seen), ['3:configs:update:a', '3:networks:create:n', '4:configs:delete:b']);
  });

  it('ends watches with Compacted on restore, and new watches start from the snapshot index', () => {
    const sm = new StateMachine();
    populate(sm);
    const snap = sm.snapshot();
    const closed: WatchCloseReason[] = [];
    sm.watch(5, () => {}, { onClose: (r) => closed.push(r) });
    const other = new StateMachine();
    const seen: ChangeEvent[] = [];
    const reasons: WatchCloseReason[] = [];
    other.watch(0, (ev) => seen.push(ev), { onClose: (r) => reasons.push(r) });
    other.restore(snap);
    assert.equal(reasons.length, 1);
    assert.equal(reasons[0].code, 'Compacted');
    assert.throws(() => other.watch(4, () => {}), CompactedError);
    const after: ChangeEvent[] = [];
    other.watch(5, (ev) => after.push(ev));
    other.apply(6, cmd({ op: createOp('configs', configContent('z')) }));
    assert.deepEqual(summary(after), ['6:configs:create:z']);
    assert.equal(closed.length, 0, 'the source store was not restored');
  });

  it('drops a watcher whose callback throws, without disturbing apply or other watchers', () => {
    const sm = new StateMachine();
    const reasons: WatchCloseReason[] = [];
    let calls = 0;
    sm.watch(0, () => {
      calls++;
      throw new Error('boom');
    }, { onClose: (r) => reasons.push(r) });
    const good: ChangeEvent[] = [];
    sm.watch(0, (ev) => good.push(ev));
    populate(sm);
    assert.equal(calls, 1);
    assert.equal(reasons[0].code, 'Failed');
    assert.equal(good.length, 5);
    assert.equal(sm.count('configs'), 1);
  });

  it('refuses apply from inside a callback', () => {
    const sm = new StateMachine();
    let err: unknown;
    sm.watch(0, () => {
      try {
        sm.apply(99, new Uint8Array(0));
      } catch (e) {
        err = e;
      }
    });
    sm.apply(1, cmd({ op: createOp('configs', configContent('r')) }));
    assert.match(String(err), /re-entered/);
  });
});
