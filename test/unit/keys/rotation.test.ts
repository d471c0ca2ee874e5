// The gossip keyring's rotation on the leader: a new key per period, three kept, and a
// new key sent with only once every node has had time to receive it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateMachine, Store } from '../../../manager/store/index.js';
import { FakeRaft, T0 } from '../store/helpers.js';
import { KEYS_KEPT, KeyRotator, ringOrder } from '../../../manager/keys/rotation.js';

const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);

describe('ringOrder', () => {
  it('puts the newest key old enough to be everywhere first, then the others newest first', () => {
    const keys = [
      { key: key(1), lamportTime: 1, createdAtMs: 0 },
      { key: key(2), lamportTime: 2, createdAtMs: 100_000 },
      { key: key(3), lamportTime: 3, createdAtMs: 200_000 },
    ];
    // Key 3 is 5 s old: handed out, not yet sent with.
    assert.deepEqual(ringOrder(keys, 205_000, 15_000).map((k) => k[0]), [2, 3, 1]);
    // Once 15 s old it is the primary.
    assert.deepEqual(ringOrder(keys, 215_000, 15_000).map((k) => k[0]), [3, 2, 1]);
  });

  it('uses the only key there is, however young, and never hands out more than three', () => {
    assert.deepEqual(ringOrder([{ key: key(9), lamportTime: 1, createdAtMs: 1000 }], 1000, 15_000).map((k) => k[0]), [9]);
    const many = [1, 2, 3, 4, 5].map((n) => ({ key: key(n), lamportTime: n, createdAtMs: n * 1000 }));
    assert.deepEqual(ringOrder(many, 100_000, 15_000).map((k) => k[0]), [5, 4, 3]);
    assert.deepEqual(ringOrder([], 0, 15_000), []);
  });
});

describe('KeyRotator', () => {
  it('makes a new key when the newest is a period old, keeps three, and does nothing when not leader', async () => {
    const sm = new StateMachine();
    let now = T0;
    const store = new Store(sm, new FakeRaft(sm), { now: () => now });
    let leader = true;
    const logs: string[] = [];
    const r = new KeyRotator({ store, raft: { isLeader: () => leader }, log: (m) => logs.push(m) }, { rotationMs: 60_000 }, () => now);
    const first = await store.create('keys', { spec: { subsystem: 'gossip', algorithm: 'aes-256-gcm', key: key(7), lamportTime: 1 } });
    assert.ok(first.ok);
    // A datapath key is not the gossip ring's business.
    await store.create('keys', { spec: { subsystem: 'datapath', algorithm: 'aes-256-gcm', key: key(8), lamportTime: 1 } });

    now += 59_000;
    assert.equal(await r.tick(), false, 'not a period old yet');
    now += 1_000;
    assert.equal(await r.tick(), true);
    assert.equal(await r.tick(), false, 'the new key is the newest now, and young');
    for (let i = 0; i < 4; i++) {
      now += 60_000;
      assert.equal(await r.tick(), true);
    }
    const gossip = (await store.list('keys', (k) => k.spec.subsystem === 'gossip')).objects.sort((a, b) => a.spec.lamportTime - b.spec.lamportTime);
    assert.equal(gossip.length, KEYS_KEPT);
    assert.deepEqual(gossip.map((k) => k.spec.lamportTime), [4, 5, 6]);
    assert.equal(new Set(gossip.map((k) => Buffer.from(k.spec.key).toString('hex'))).size, 3, 'each key is fresh');
    assert.equal((await store.list('keys', (k) => k.spec.subsystem === 'datapath')).objects.length, 1);
    assert.ok(logs.some((l) => /gossip key rotated \(key 6\)/.test(l)));

    leader = false;
    now += 600_000;
    assert.equal(await r.tick(), false, 'a follower rotates nothing');
    r.stop();
  });
});
