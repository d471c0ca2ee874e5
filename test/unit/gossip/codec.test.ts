// The gossip wire format: every kind round-trips, packing respects the UDP budget,
// and no input whatsoever makes decode do anything but return or throw GossipDecodeError.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GossipDecodeError, MAX_UDP_PACKET, decodeMessage, encodeMessage, packCompound,
} from '../../../worker/gossip/codec.js';
import type { Message } from '../../../worker/gossip/codec.js';
import { TsswarmError } from '../../../shared/errors.js';
import { mulberry32 } from './sim.js';

const samples: Message[] = [
  { kind: 'ping', seq: 1, target: 'n2', sourceName: 'n1', sourceAddr: '10.0.0.1:7946' },
  { kind: 'indirectPing', seq: 0xffffffff, target: 'n3', targetAddr: '10.0.0.3:7946', sourceName: 'n1', sourceAddr: '10.0.0.1:7946', wantNack: true },
  { kind: 'indirectPing', seq: 7, target: 'n3', targetAddr: 'a', sourceName: 'b', sourceAddr: 'c', wantNack: false },
  { kind: 'ack', seq: 42 },
  { kind: 'nack', seq: 43 },
  { kind: 'suspect', incarnation: 5, node: 'nœud-ü', from: 'n1' },
  { kind: 'alive', incarnation: 0, node: 'n4', addr: '[fd00::4]:7946' },
  { kind: 'dead', incarnation: 9, node: 'n4', from: 'n4' },
  {
    kind: 'pushPull', join: true, reply: false, senderName: 'n1', senderAddr: '10.0.0.1:7946',
    states: [
      { name: 'n1', addr: '10.0.0.1:7946', incarnation: 3, state: 'alive' },
      { name: 'n2', addr: '10.0.0.2:7946', incarnation: 1, state: 'suspect' },
      { name: 'n3', addr: '10.0.0.3:7946', incarnation: 2, state: 'dead' },
      { name: 'n4', addr: '10.0.0.4:7946', incarnation: 8, state: 'left' },
    ],
  },
  { kind: 'pushPull', join: false, reply: true, senderName: 'n2', senderAddr: 'x', states: [] },
  { kind: 'user', origin: 'n1', epoch: 123456, seq: 9, payload: new Uint8Array([0, 1, 2, 255]) },
  { kind: 'user', origin: 'n1', epoch: 0, seq: 0, payload: new Uint8Array(0) },
];

test('every message kind round-trips', () => {
  for (const m of samples) assert.deepEqual(decodeMessage(encodeMessage(m), 1 << 20), m);
  const compound: Message = { kind: 'compound', parts: samples.filter((m) => m.kind !== 'pushPull') };
  assert.deepEqual(decodeMessage(encodeMessage(compound)), compound);
});

test('encode refuses what the format cannot carry', () => {
  const bad: Message[] = [
    { kind: 'ack', seq: -1 },
    { kind: 'ack', seq: 2 ** 32 },
    { kind: 'alive', incarnation: 1.5, node: 'a', addr: 'b' },
    { kind: 'alive', incarnation: 1, node: '', addr: 'b' },
    { kind: 'alive', incarnation: 1, node: 'x'.repeat(256), addr: 'b' },
    { kind: 'compound', parts: [] },
    { kind: 'compound', parts: [{ kind: 'compound', parts: [{ kind: 'ack', seq: 1 }] }] },
    { kind: 'user', origin: 'a', epoch: 0, seq: 0, payload: new Uint8Array(70_000) },
  ];
  for (const m of bad) assert.throws(() => encodeMessage(m), TsswarmError, JSON.stringify(m.kind));
});

test('decode rejects truncation, trailing bytes, unknown kinds, bad UTF-8 and oversize', () => {
  for (const m of samples) {
    const b = encodeMessage(m);
    for (let cut = 0; cut < b.length; cut++) assert.throws(() => decodeMessage(b.subarray(0, cut)), GossipDecodeError);
    const longer = new Uint8Array(b.length + 1);
    longer.set(b);
    assert.throws(() => decodeMessage(longer), GossipDecodeError);
  }
  assert.throws(() => decodeMessage(new Uint8Array([0])), GossipDecodeError);
  assert.throws(() => decodeMessage(new Uint8Array([200, 1, 2])), GossipDecodeError);
  // alive with a name of one invalid UTF-8 byte
  assert.throws(() => decodeMessage(new Uint8Array([6, 0, 0, 0, 1, 1, 0xff, 1, 0x61])), /not valid UTF-8/);
  // push-pull claiming four billion members in a few bytes
  assert.throws(() => decodeMessage(new Uint8Array([8, 0, 1, 0x61, 1, 0x61, 0xff, 0xff, 0xff, 0xff])), /claims/);
  assert.throws(() => decodeMessage(new Uint8Array(MAX_UDP_PACKET + 1)), (e) => e instanceof GossipDecodeError && e.code === 'TooLarge');
  assert.throws(() => decodeMessage(encodeMessage(samples[0]!), 4), (e) => e instanceof GossipDecodeError && e.code === 'TooLarge');
});

test('packCompound keeps packets within the budget and leaves the rest for later', () => {
  const parts = Array.from({ length: 40 }, (_, i) => encodeMessage({ kind: 'user', origin: 'n1', epoch: 1, seq: i, payload: new Uint8Array(100).fill(i) }));
  let rest = parts;
  const got: Message[] = [];
  let packets = 0;
  while (rest.length > 0) {
    const { packet, count } = packCompound(rest, 1400);
    assert.ok(packet.length <= 1400, `${packet.length} bytes`);
    assert.ok(count >= 1);
    const m = decodeMessage(packet);
    if (m.kind === 'compound') got.push(...m.parts);
    else got.push(m);
    rest = rest.slice(count);
    packets++;
  }
  assert.equal(packets, 4); // 119 bytes a part with its length: 11 per packet
  assert.deepEqual(got.map((m) => (m.kind === 'user' ? m.seq : -1)), parts.map((_, i) => i));
  // One part goes bare; a part larger than the budget belongs on TCP.
  assert.deepEqual(packCompound([parts[0]!], 1400), { packet: parts[0], count: 1 });
  assert.throws(() => packCompound([new Uint8Array(1401)], 1400), (e) => e instanceof TsswarmError && e.code === 'TooLarge');
});

test('fuzz: random and mutated packets decode or throw GossipDecodeError, and valid ones re-encode identically', () => {
  const rand = mulberry32(0xc0dec);
  const byte = (): number => Math.floor(rand() * 256);
  const valid = [...samples.map((m) => encodeMessage(m)), encodeMessage({ kind: 'compound', parts: samples.slice(0, 8) })];
  let decoded = 0;
  let rejected = 0;
  const check = (b: Uint8Array): void => {
    let m: Message;
    try {
      m = decodeMessage(b, 1 << 20);
    } catch (e) {
      assert.ok(e instanceof GossipDecodeError, `unexpected ${String(e)}`);
      rejected++;
      return;
    }
    decoded++;
    assert.deepEqual(encodeMessage(m), b, 'decode accepted a non-canonical encoding');
  };
  for (let i = 0; i < 5000; i++) {
    const len = Math.floor(rand() * 64);
    const b = new Uint8Array(len).map(byte);
    if (len > 0 && rand() < 0.8) b[0] = 1 + Math.floor(rand() * 10); // mostly valid kinds, to get past the first byte
    check(b);
  }
  for (let i = 0; i < 10000; i++) {
    const src = valid[Math.floor(rand() * valid.length)]!;
    let b = Uint8Array.from(src);
    const edits = 1 + Math.floor(rand() * 4);
    for (let e = 0; e < edits; e++) {
      const op = rand();
      const at = Math.floor(rand() * b.length);
      if (op < 0.5 && b.length > 0) b[at] = byte();
      else if (op < 0.65) b = b.subarray(0, at);
      else if (op < 0.8) {
        const ins = new Uint8Array(b.length + 1);
        ins.set(b.subarray(0, at));
        ins[at] = byte();
        ins.set(b.subarray(at), at + 1);
        b = ins;
      } else if (b.length > 0) {
        b[at] = rand() < 0.5 ? 0 : 0xff; // boundary values in lengths and counts
      }
    }
    check(b);
  }
  assert.ok(decoded > 100 && rejected > 1000, `decoded ${decoded}, rejected ${rejected}`);
});
