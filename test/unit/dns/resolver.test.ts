// The pure responder: what it answers, what it leaves to upstream, and how it fails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeMessage, RCode, RRClass, RRType, type DnsMessage } from '../../../worker/dns/codec.js';
import { encodeUdpReply, resolve, reverseV4, type DnsLookup, type Resolution } from '../../../worker/dns/resolver.js';
import { query } from './helpers.js';

const names: Record<string, string[]> = { c1: ['10.0.0.2'], web: ['10.0.0.3', '10.0.0.4'], 'db.alias': ['10.0.0.5'] };
const lookup: DnsLookup = {
  ipv4: (n) => names[n] ?? [],
  ipv6: (n) => (n === 'c1' ? ['fd00::2'] : []),
  ptr: (ip) => (ip === '10.0.0.2' ? 'c1' : undefined),
};

function reply(r: Resolution): DnsMessage {
  assert.equal(r.kind, 'reply');
  return (r as { message: DnsMessage }).message;
}

describe('DNS responder', () => {
  it('answers A for a known container name with TTL 600, case-insensitively and with a trailing dot', () => {
    for (const name of ['c1', 'C1', 'c1.']) {
      const m = reply(resolve(query(name, RRType.A), lookup, { canForward: true }));
      assert.equal(m.header.rcode, RCode.NOERROR);
      assert.equal(m.header.id, 0x1234);
      assert.equal(m.header.qr, true);
      assert.equal(m.header.rd, true);
      assert.deepEqual(m.answers, [{ name, type: RRType.A, class: RRClass.IN, ttl: 600, data: '10.0.0.2' }]);
    }
    assert.deepEqual(reply(resolve(query('web', RRType.A), lookup, { canForward: false })).answers.map((a) => a.data), ['10.0.0.3', '10.0.0.4']);
    assert.deepEqual(reply(resolve(query('db.alias', RRType.A), lookup, { canForward: true })).answers.map((a) => a.data), ['10.0.0.5']);
  });

  it('answers AAAA from the IPv6 view and an empty NOERROR for other types of a known name', () => {
    assert.deepEqual(reply(resolve(query('c1', RRType.AAAA), lookup, { canForward: true })).answers.map((a) => a.data), ['fd00::2']);
    const noData = reply(resolve(query('web', RRType.AAAA), lookup, { canForward: true }));
    assert.equal(noData.header.rcode, RCode.NOERROR);
    assert.deepEqual(noData.answers, []);
    assert.equal(reply(resolve(query('web', RRType.MX), lookup, { canForward: true })).header.rcode, RCode.NOERROR);
  });

  it('says NXDOMAIN for an unknown single label, forward for an unknown dotted name, SERVFAIL without upstream', () => {
    assert.equal(reply(resolve(query('nope', RRType.A), lookup, { canForward: true })).header.rcode, RCode.NXDOMAIN);
    assert.equal(reply(resolve(query('nope', RRType.A), lookup, { canForward: false })).header.rcode, RCode.NXDOMAIN);
    assert.deepEqual(resolve(query('example.com', RRType.A), lookup, { canForward: true }), { kind: 'forward' });
    assert.deepEqual(resolve(query('tasks.web', RRType.A), lookup, { canForward: true }), { kind: 'forward' });
    assert.equal(reply(resolve(query('example.com', RRType.A), lookup, { canForward: false })).header.rcode, RCode.SERVFAIL);
  });

  it('answers PTR for in-network addresses and forwards other reverse lookups', () => {
    const m = reply(resolve(query('2.0.0.10.in-addr.arpa', RRType.PTR), lookup, { canForward: true }));
    assert.deepEqual(m.answers, [{ name: '2.0.0.10.in-addr.arpa', type: RRType.PTR, class: RRClass.IN, ttl: 600, data: 'c1' }]);
    assert.deepEqual(resolve(query('9.9.9.10.in-addr.arpa', RRType.PTR), lookup, { canForward: true }), { kind: 'forward' });
    assert.equal(reverseV4('4.3.2.1.in-addr.arpa'), '1.2.3.4');
    assert.equal(reverseV4('400.3.2.1.in-addr.arpa'), undefined);
    assert.equal(reverseV4('3.2.1.in-addr.arpa'), undefined);
  });

  it('drops responses, refuses other opcodes and malformed question counts', () => {
    const resp = query('c1', RRType.A);
    resp.header.qr = true;
    assert.deepEqual(resolve(resp, lookup, { canForward: true }), { kind: 'drop' });
    const notify = query('c1', RRType.A);
    notify.header.opcode = 4;
    assert.equal(reply(resolve(notify, lookup, { canForward: true })).header.rcode, RCode.NOTIMP);
    const two = query('c1', RRType.A);
    two.questions.push({ name: 'web', type: RRType.A, class: RRClass.IN });
    assert.equal(reply(resolve(two, lookup, { canForward: true })).header.rcode, RCode.FORMERR);
  });

  it('cuts an answer that would not fit in 512 bytes and sets TC', () => {
    const many: DnsLookup = { ipv4: () => Array.from({ length: 60 }, (_, i) => `10.0.1.${i}`), ptr: () => undefined };
    const m = reply(resolve(query('big', RRType.A), many, { canForward: true }));
    const buf = encodeUdpReply(m);
    assert.ok(buf.length <= 512);
    const back = decodeMessage(buf);
    assert.equal(back.header.tc, true);
    assert.ok(back.answers.length > 0 && back.answers.length < 60);
    assert.equal(decodeMessage(encodeUdpReply(reply(resolve(query('c1', RRType.A), lookup, { canForward: true })))).header.tc, false);
  });
});
