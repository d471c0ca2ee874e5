import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Keyring, MAX_KEYS, SEAL_OVERHEAD } from '../../../worker/gossip/keyring.js';
import { TsswarmError } from '../../../shared/errors.js';

const key = (): Uint8Array => new Uint8Array(randomBytes(32));
const msg = new TextEncoder().encode('ping n2 from n1');

test('seal then open returns the plaintext; nonces differ', () => {
  const ring = new Keyring([key()]);
  const a = ring.seal(msg);
  const b = ring.seal(msg);
  assert.equal(a.length, msg.length + SEAL_OVERHEAD);
  assert.notDeepEqual(a, b);
  assert.deepEqual(ring.open(a), msg);
  assert.deepEqual(ring.open(ring.seal(new Uint8Array(0))), new Uint8Array(0));
});

test('rotation: a new primary seals while old keys still open', () => {
  const k1 = key();
  const k2 = key();
  const oldNode = new Keyring([k1]);
  const newNode = new Keyring([k1]);
  newNode.install(k2);
  // Installed but not yet primary: both still speak k1.
  assert.deepEqual(oldNode.open(newNode.seal(msg)), msg);
  newNode.use(k2);
  assert.equal(oldNode.open(newNode.seal(msg)), undefined, 'a node without k2 must not read k2');
  assert.deepEqual(newNode.open(oldNode.seal(msg)), msg, 'the old primary is still accepted');
  oldNode.use(k2);
  assert.deepEqual(newNode.open(oldNode.seal(msg)), msg);
  newNode.remove(k1);
  assert.equal(newNode.keys().length, 1);
  assert.equal(newNode.open(new Keyring([k1]).seal(msg)), undefined, 'a removed key no longer opens');
  assert.throws(() => newNode.remove(k2), TsswarmError);
});

test('the ring keeps at most three keys, never dropping the primary', () => {
  const keys = [key(), key(), key(), key()];
  const ring = new Keyring([keys[0]!]);
  for (const k of keys.slice(1)) ring.install(k);
  assert.equal(ring.keys().length, MAX_KEYS);
  assert.deepEqual(ring.keys()[0], keys[0]);
  assert.equal(ring.open(new Keyring([keys[1]!]).seal(msg)), undefined, 'the oldest secondary was dropped');
  assert.throws(() => new Keyring(keys), TsswarmError);
  assert.throws(() => new Keyring([new Uint8Array(16)]), TsswarmError);
  assert.throws(() => new Keyring([]), TsswarmError);
});

test('unknown keys, other labels, tampering and garbage are rejected', () => {
  const ring = new Keyring([key()], { label: 'cluster-a' });
  const sealed = ring.seal(msg);
  assert.equal(new Keyring([key()], { label: 'cluster-a' }).open(sealed), undefined);
  assert.equal(new Keyring(ring.keys(), { label: 'cluster-b' }).open(sealed), undefined);
  for (let i = 0; i < sealed.length; i++) {
    const t = Uint8Array.from(sealed);
    t[i]! ^= 0x01;
    assert.equal(ring.open(t), undefined, `flip at byte ${i} went unnoticed`);
  }
  assert.equal(ring.open(sealed.subarray(0, sealed.length - 1)), undefined);
  assert.equal(ring.open(new Uint8Array(0)), undefined);
  assert.equal(ring.open(new Uint8Array(SEAL_OVERHEAD)), undefined);
  assert.equal(ring.open(new Uint8Array(randomBytes(200))), undefined);
});
