// The UDP server on 127.0.0.1 with a fake upstream on 127.0.0.1: nothing leaves loopback.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';

import { decodeMessage, encodeMessage, RCode, RRClass, RRType, type DnsMessage } from '../../../worker/dns/codec.js';
import type { DnsLookup } from '../../../worker/dns/resolver.js';
import { startDnsServer, udpForwarder, type DnsServer } from '../../../worker/dns/server.js';
import { ask, queryBytes } from './helpers.js';

const lookup: DnsLookup = {
  ipv4: (n) => (n === 'c1' ? ['10.0.0.2'] : []),
  ptr: () => undefined,
};

/** A fake upstream that answers every A question with 192.0.2.1 and counts what it got. */
async function fakeUpstream(): Promise<{ port: number; seen: string[]; close: () => Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  const seen: string[] = [];
  sock.on('message', (raw, rinfo) => {
    const q = decodeMessage(raw);
    seen.push(q.questions[0]?.name ?? '');
    const resp: DnsMessage = {
      ...q,
      header: { ...q.header, qr: true, ra: true },
      answers: [{ name: q.questions[0]?.name ?? '', type: RRType.A, class: RRClass.IN, ttl: 30, data: '192.0.2.1' }],
    };
    sock.send(encodeMessage(resp), rinfo.port, rinfo.address);
  });
  await new Promise<void>((ok) => sock.bind(0, '127.0.0.1', ok));
  return { port: sock.address().port, seen, close: () => new Promise((ok) => sock.close(() => ok())) };
}


describe('DNS UDP server', () => {
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;
  let withUp: DnsServer;
  let noUp: DnsServer;
  let deadUp: DnsServer;
  let silent: dgram.Socket;

  before(async () => {
    upstream = await fakeUpstream();
    withUp = await startDnsServer({ lookup, forward: udpForwarder([{ host: '127.0.0.1', port: upstream.port }], 500) });
    noUp = await startDnsServer({ lookup });
    // An upstream that never answers, to exercise the forwarding timeout.
    silent = dgram.createSocket('udp4');
    await new Promise<void>((ok) => silent.bind(0, '127.0.0.1', ok));
    deadUp = await startDnsServer({ lookup, forward: udpForwarder([{ host: '127.0.0.1', port: silent.address().port }], 200) });
  });

  after(async () => {
    await Promise.all([withUp.close(), noUp.close(), deadUp.close(), upstream.close()]);
    await new Promise<void>((ok) => silent.close(() => ok()));
  });

  it('listens on loopback at an ephemeral port', () => {
    assert.equal(withUp.host, '127.0.0.1');
    assert.ok(withUp.port > 0);
  });

  it('answers A for a known name', async () => {
    const m = await ask(withUp.port, queryBytes('c1', RRType.A, 7));
    assert.equal(m?.header.id, 7);
    assert.equal(m?.header.rcode, RCode.NOERROR);
    assert.deepEqual(m?.answers.map((a) => [a.data, a.ttl]), [['10.0.0.2', 600]]);
  });

  it('answers NXDOMAIN for an unknown single label without asking upstream', async () => {
    const before = upstream.seen.length;
    const m = await ask(withUp.port, queryBytes('ghost', RRType.A, 8));
    assert.equal(m?.header.rcode, RCode.NXDOMAIN);
    assert.equal(upstream.seen.length, before);
  });

  it('forwards a dotted name to the upstream and relays its answer', async () => {
    const m = await ask(withUp.port, queryBytes('example.org', RRType.A, 9));
    assert.equal(m?.header.id, 9);
    assert.deepEqual(m?.answers.map((a) => a.data), ['192.0.2.1']);
    assert.ok(upstream.seen.includes('example.org'));
    assert.ok(withUp.stats.forwarded >= 1);
  });

  it('answers SERVFAIL for a dotted name with no upstream, or when the upstream is silent', async () => {
    assert.equal((await ask(noUp.port, queryBytes('example.org', RRType.A, 10)))?.header.rcode, RCode.SERVFAIL);
    const m = await ask(deadUp.port, queryBytes('example.org', RRType.A, 11), 2000);
    assert.equal(m?.header.rcode, RCode.SERVFAIL);
    assert.equal(m?.header.id, 11);
  });

  it('drops garbage without replying and keeps serving', async () => {
    const dropped = withUp.stats.dropped;
    for (const junk of [Buffer.from('hello'), Buffer.alloc(40, 0xff), queryBytes('c1', RRType.A).subarray(0, 15)]) {
      assert.equal(await ask(withUp.port, junk, 150), undefined);
    }
    assert.equal(withUp.stats.dropped, dropped + 3);
    assert.equal((await ask(withUp.port, queryBytes('c1', RRType.A, 12)))?.answers[0]?.data, '10.0.0.2');
  });
});
