// The networkdb wire codec: exact round trips, the packet budget, and strict rejection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TsswarmError } from '../../../shared/errors.js';
import { decodeEvent, decodeState, encodeEvent, encodeState } from '../../../worker/netdb/codec.js';
import { MAX_EVENT_BYTES } from '../../../worker/netdb/defaults.js';
import type { TableEvent } from '../../../worker/netdb/types.js';
import { failsWith } from '../errors.js';
import { mulberry32 } from '../prng.js';

const id64 = 'f'.repeat(64);
const samples: TableEvent[] = [
  { table: 'overlay_peer', network: 'n1', key: 'ep1', owner: 'node-a', incarnation: 1732550000000, ltime: 5, deleted: false, value: { ip: '10.0.0.2', mac: '02:42:0a:00:00:02', vtep: '192.168.1.10' } },
  { table: 'overlay_peer', network: 'n1', key: 'ep1', owner: 'node-a', incarnation: 3, ltime: 6, deleted: true, value: null },
  { table: 'dns', network: 'n1', key: 'ep2', owner: 'node-b', incarnation: 0, ltime: 0, deleted: false, value: { name: 'web.1', aliases: ['web', 'w_1'], ip: 'fd00::2' } },
];

const rng = mulberry32;

describe('netdb codec', () => {
  it('round-trips events and state exactly', () => {
    for (const e of samples) assert.deepEqual(decodeEvent(encodeEvent(e)), e);
    const state = { clock: 99, entries: samples };
    assert.deepEqual(decodeState(encodeState(state)), state);
  });

  it('keeps the largest allowed event inside the gossip packet budget', () => {
    const big: TableEvent = {
      table: 'dns', network: id64, key: id64, owner: id64, incarnation: Number.MAX_SAFE_INTEGER, ltime: Number.MAX_SAFE_INTEGER, deleted: false,
      value: { name: 'n'.repeat(63), aliases: Array.from({ length: 8 }, (_, i) => `${i}${'a'.repeat(62)}`), ip: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' },
    };
    const buf = encodeEvent(big);
    assert.ok(buf.length <= MAX_EVENT_BYTES && MAX_EVENT_BYTES <= 1400, `${buf.length} bytes`);
    const huge: TableEvent = { ...big, value: { name: 'n'.repeat(255), aliases: Array.from({ length: 8 }, () => 'a'.repeat(255)), ip: '10.0.0.1' } };
    assert.throws(() => encodeEvent(huge), failsWith('TooLarge', /over 1200/));
  });

  it('rejects malformed input with Corrupt and a reason', () => {
    const json = (o: unknown): Buffer => Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify(o))]);
    const good = samples[0] as TableEvent;
    const cases: [Uint8Array, RegExp][] = [
      [Buffer.alloc(0), /truncated/],
      [Buffer.from([2, 0x7b, 0x7d]), /format version 2/],
      [Buffer.from([1, 0xff, 0xfe]), /UTF-8/],
      [Buffer.from([1, 0x7b]), /JSON/],
      [json([]), /must be an object/],
      [json({ ...good, extra: 1 }), /exactly the fields/],
      [json({ ...good, table: 'other' }), /table must be/],
      [json({ ...good, ltime: -1 }), /ltime/],
      [json({ ...good, ltime: 1.5 }), /ltime/],
      [json({ ...good, key: '' }), /key/],
      [json({ ...good, deleted: true }), /tombstone/],
      [json({ ...good, value: { ...good.value, mac: 'zz' } }), /mac/],
      [json({ ...good, value: { ...good.value, vtep: '1.2.3' } }), /vtep/],
      [json({ ...samples[2], value: { name: 'x', aliases: 'x', ip: '10.0.0.1' } }), /aliases/],
      [Buffer.alloc(MAX_EVENT_BYTES + 1, 0x20), /over the 1200-byte limit/],
    ];
    for (const [buf, re] of cases) assert.throws(() => decodeEvent(buf), failsWith('Corrupt', re));
    assert.throws(() => decodeState(json({ clock: 1, entries: {} })), failsWith('Corrupt', /entries must be a list/));
  });

  it('never throws anything but a TsswarmError on mutated or random bytes (fuzz)', () => {
    const r = rng(7);
    const seeds = samples.map((e) => encodeEvent(e));
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      let buf: Buffer;
      if (i % 5 === 0) {
        buf = Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256)));
      } else {
        buf = Buffer.from(seeds[i % seeds.length] as Buffer);
        const flips = 1 + Math.floor(r() * 4);
        for (let f = 0; f < flips; f++) buf[Math.floor(r() * buf.length)] = Math.floor(r() * 256);
        if (r() < 0.2) buf = buf.subarray(0, Math.floor(r() * buf.length));
      }
      try {
        const e = decodeEvent(buf);
        accepted++;
        assert.deepEqual(decodeEvent(encodeEvent(e)), e); // whatever decodes re-encodes faithfully
      } catch (err) {
        assert.ok(err instanceof TsswarmError && err.code === 'Corrupt', `unexpected ${String(err)}`);
      }
    }
    assert.ok(accepted < 5000);
  });
});
