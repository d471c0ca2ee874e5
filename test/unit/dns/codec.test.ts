// RFC 1035 codec: round trips, compression both ways, and strict rejection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TsswarmError } from '../../../shared/errors.js';
import { decodeMessage, encodeMessage, RRClass, RRType, type DnsMessage } from '../../../worker/dns/codec.js';
import { failsWith } from '../errors.js';
import { query, rng } from './helpers.js';

const answer: DnsMessage = {
  header: { id: 0xbeef, qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: true, rcode: 0 },
  questions: [{ name: 'web.example.com', type: RRType.A, class: RRClass.IN }],
  answers: [
    { name: 'web.example.com', type: RRType.A, class: RRClass.IN, ttl: 600, data: '10.0.0.2' },
    { name: 'web.example.com', type: RRType.AAAA, class: RRClass.IN, ttl: 600, data: 'fd00::1:2' },
    { name: '2.0.0.10.in-addr.arpa', type: RRType.PTR, class: RRClass.IN, ttl: 600, data: 'web.example.com' },
    { name: 'web.example.com', type: RRType.TXT, class: RRClass.IN, ttl: 5, data: Uint8Array.from([3, 0x61, 0x62, 0x63]) },
  ],
  authorities: [{ name: 'example.com', type: RRType.NS, class: RRClass.IN, ttl: 3600, data: 'ns1.example.com' }],
  additionals: [{ name: '', type: RRType.OPT, class: 1232, ttl: 0, data: new Uint8Array(0) }],
};

/** Hand-made wire bytes: header + question `a.b` + an A answer whose name points at offset 12. */
function compressed(): Buffer {
  return Buffer.from([
    0x00, 0x01, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
    1, 0x61, 1, 0x62, 0, 0, 1, 0, 1,
    0xc0, 12, 0, 1, 0, 1, 0, 0, 2, 0x58, 0, 4, 10, 0, 0, 9,
  ]);
}

describe('DNS codec', () => {
  it('round-trips queries and answers of every section', () => {
    const q = query('c1', RRType.A);
    assert.deepEqual(decodeMessage(encodeMessage(q)), q);
    const back = decodeMessage(encodeMessage(answer));
    assert.deepEqual({ ...back, answers: back.answers.map((a) => ({ ...a, data: typeof a.data === 'string' ? a.data : Array.from(a.data) })) },
      { ...answer, answers: answer.answers.map((a) => ({ ...a, data: typeof a.data === 'string' ? a.data : Array.from(a.data) })) });
  });

  it('compresses repeated names when encoding and follows pointers when decoding', () => {
    const buf = encodeMessage(answer);
    const wire = Buffer.from('\x03web\x07example\x03com\x00', 'latin1');
    assert.equal(buf.indexOf(wire), 12);
    assert.equal(buf.indexOf(wire, 13), -1, 'web.example.com written out twice: compression not used');
    const m = decodeMessage(compressed());
    assert.equal(m.answers[0]?.name, 'a.b');
    assert.equal(m.answers[0]?.data, '10.0.0.9');
    assert.equal(m.answers[0]?.ttl, 600);
  });

  it('keeps odd label bytes through a round trip using \\DDD escapes', () => {
    const q = query('we\\046ird\\032name.x', RRType.A);
    const back = decodeMessage(encodeMessage(q));
    assert.equal(back.questions[0]?.name, 'we\\046ird\\032name.x');
    assert.equal(encodeMessage(back).length, encodeMessage(q).length);
  });

  it('refuses names it cannot encode', () => {
    assert.throws(() => encodeMessage(query(`${'a'.repeat(64)}.x`, RRType.A)), failsWith('Invalid', /over 63 bytes/));
    assert.throws(() => encodeMessage(query('a..b', RRType.A)), failsWith('Invalid', /empty label/));
    assert.throws(() => encodeMessage(query(Array(130).fill('a').join('.'), RRType.A)), failsWith('Invalid', /over 255/));
  });

  it('rejects malformed and truncated messages with Corrupt', () => {
    const good = compressed();
    const loop = Buffer.from(good);
    loop[21] = 0xc0; loop[22] = 21; // pointer to itself
    const forward = Buffer.from(good);
    forward[22] = 30; // pointer forwards
    const badA = Buffer.from(good);
    badA[32] = 5; // A rdata length 5
    const cases: [Uint8Array, RegExp][] = [
      [Buffer.alloc(5), /shorter than a header/],
      [good.subarray(0, good.length - 1), /truncated/],
      [good.subarray(0, 16), /truncated/],
      [Buffer.concat([good, Buffer.from([0])]), /left after/],
      [loop, /does not point backwards/],
      [forward, /does not point backwards/],
      [badA, /truncated|not 4/],
      [Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 0x61, 0, 0, 1, 0, 1]), /label type/],
      [Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0]), /truncated pointer/],
    ];
    for (const [buf, re] of cases) assert.throws(() => decodeMessage(buf), failsWith('Corrupt', re));
    // Over-long names built from chained pointers are refused too.
    const parts: number[] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 5; i++) parts.push(63, ...Array(63).fill(0x61));
    parts.push(0, 0, 1, 0, 1);
    assert.throws(() => decodeMessage(Buffer.from(parts)), failsWith('Corrupt', /over 255/));
  });

  it('only ever throws Corrupt on mutated or random bytes, and what decodes re-encodes (fuzz)', () => {
    const r = rng(11);
    const seeds = [encodeMessage(answer), compressed(), encodeMessage(query('c1', RRType.PTR))];
    let decoded = 0;
    for (let i = 0; i < 20000; i++) {
      let buf: Buffer;
      if (i % 4 === 0) {
        buf = Buffer.from(Array.from({ length: Math.floor(r() * 80) }, () => Math.floor(r() * 256)));
      } else {
        buf = Buffer.from(seeds[i % seeds.length] as Buffer);
        const flips = 1 + Math.floor(r() * 3);
        for (let f = 0; f < flips; f++) buf[Math.floor(r() * buf.length)] = Math.floor(r() * 256);
        if (r() < 0.25) buf = buf.subarray(0, Math.floor(r() * buf.length));
      }
      let m: DnsMessage;
      try {
        m = decodeMessage(buf);
      } catch (err) {
        assert.ok(err instanceof TsswarmError && err.code === 'Corrupt', `unexpected ${String(err)}`);
        continue;
      }
      decoded++;
      let again: Buffer;
      try {
        again = encodeMessage(m);
      } catch (err) {
        // Valid on the wire but not encodable by us (e.g. an empty label): typed, not a crash.
        assert.ok(err instanceof TsswarmError, `unexpected ${String(err)}`);
        continue;
      }
      assert.deepEqual(decodeMessage(again).questions, m.questions);
    }
    assert.ok(decoded > 100, `only ${decoded} mutants decoded; the fuzz is not reaching the decoder`);
  });
});
