// The forwarding path end to end, all on loopback and in a temp dir: a UDP client asks the
// embedded DNS server, which forwards through relayForwarder over a unix socket to the
// relay, which asks a fake upstream (UDP and TCP on one 127.0.0.1 port).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { TsswarmError } from '../../../shared/errors.js';
import { decodeMessage, encodeMessage, RCode, RRClass, RRType, type DnsMessage, type DnsRecord } from '../../../worker/dns/codec.js';
import { relayForwarder, type RelayForwarder } from '../../../worker/dns/relay-client.js';
import { frame, FrameReader, hostUpstreams, parseUpstreams, startDnsRelay, type DnsRelay } from '../../../worker/dns/relay.js';
import type { DnsLookup } from '../../../worker/dns/resolver.js';
import { startDnsServer, type DnsServer } from '../../../worker/dns/server.js';
import { ask, query, queryBytes } from './helpers.js';

const lookup: DnsLookup = {
  ipv4: (n) => (n === 'web.local' ? ['10.0.0.7'] : []),
  ptr: () => undefined,
};

const BIG_COUNT = 40; // 40 A records for one name is well over 512 bytes

interface FakeUpstream {
  port: number;
  /** "udp:name" / "tcp:name", in arrival order. */
  seen: string[];
  close(): Promise<void>;
}

/**
 * Answers A questions: big.example is cut (TC) over UDP and whole over TCP; slow.example
 * answers after 200 ms; fast.example with 192.0.2.3; anything else with 192.0.2.1.
 */
function answerFor(q: DnsMessage, transport: 'udp' | 'tcp'): DnsMessage {
  const name = q.questions[0]?.name ?? '';
  const a = (ip: string): DnsRecord => ({ name, type: RRType.A, class: RRClass.IN, ttl: 30, data: ip });
  const header = { ...q.header, qr: true, ra: true };
  if (name === 'big.example') {
    if (transport === 'udp') return { ...q, header: { ...header, tc: true } };
    return { ...q, header, answers: Array.from({ length: BIG_COUNT }, (_, i) => a(`198.51.100.${i + 1}`)) };
  }
  const ip = name === 'slow.example' ? '192.0.2.2' : name === 'fast.example' ? '192.0.2.3' : '192.0.2.1';
  return { ...q, header, answers: [a(ip)] };
}

async function fakeUpstream(): Promise<FakeUpstream> {
  const seen: string[] = [];
  const later = (name: string, fn: () => void): void => {
    if (name === 'slow.example') setTimeout(fn, 200);
    else fn();
  };
  const conns = new Set<net.Socket>();
  const tcp = net.createServer((s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    s.on('error', () => undefined);
    const reader = new FrameReader();
    s.on('data', (chunk) => {
      for (const raw of reader.push(chunk)) {
        const q = decodeMessage(raw);
        const name = q.questions[0]?.name ?? '';
        seen.push(`tcp:${name}`);
        later(name, () => s.write(frame(encodeMessage(answerFor(q, 'tcp')))));
      }
    });
  });
  const udp = dgram.createSocket('udp4');
  udp.on('message', (raw, rinfo) => {
    const q = decodeMessage(raw);
    const name = q.questions[0]?.name ?? '';
    seen.push(`udp:${name}`);
    later(name, () => udp.send(encodeMessage(answerFor(q, 'udp')), rinfo.port, rinfo.address));
  });
  // One port number for both transports, as a real resolver has; retry if UDP's is taken.
  for (let attempt = 0; ; attempt++) {
    await new Promise<void>((ok) => tcp.listen(0, '127.0.0.1', ok));
    const port = (tcp.address() as net.AddressInfo).port;
    try {
      await new Promise<void>((ok, fail) => {
        udp.once('error', fail);
        udp.bind(port, '127.0.0.1', () => {
          udp.off('error', fail);
          ok();
        });
      });
      return {
        port,
        seen,
        close: async () => {
          for (const c of conns) c.destroy();
          await Promise.all([new Promise<void>((ok) => tcp.close(() => ok())), new Promise<void>((ok) => udp.close(() => ok()))]);
        },
      };
    } catch (e) {
      await new Promise<void>((ok) => tcp.close(() => ok()));
      if (attempt >= 10) throw e;
    }
  }
}


/** Write raw bytes to the relay socket and wait for the relay to hang up (or time out). */
async function sendRaw(socketPath: string, bytes: Buffer, ms = 1000): Promise<'closed' | 'open'> {
  const s = net.createConnection({ path: socketPath });
  try {
    return await new Promise((ok) => {
      const timer = setTimeout(() => ok('open'), ms);
      s.on('error', () => undefined);
      s.on('close', () => {
        clearTimeout(timer);
        ok('closed');
      });
      s.write(bytes);
    });
  } finally {
    s.destroy();
  }
}

const ips = (m: DnsMessage | undefined): unknown[] => (m?.answers ?? []).map((a) => a.data);

describe('DNS relay over a unix socket', () => {
  let dir: string;
  let upstream: FakeUpstream;
  let silent: dgram.Socket;
  let relay: DnsRelay;
  let deadRelay: DnsRelay;
  let emptyRelay: DnsRelay;
  let fwd: RelayForwarder;
  let deadFwd: RelayForwarder;
  let emptyFwd: RelayForwarder;
  let server: DnsServer;
  let deadServer: DnsServer;
  let emptyServer: DnsServer;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ts-relay-'));
    upstream = await fakeUpstream();
    silent = dgram.createSocket('udp4');
    await new Promise<void>((ok) => silent.bind(0, '127.0.0.1', ok));
    relay = await startDnsRelay({ socketPath: path.join(dir, 'up.sock'), upstreams: [{ host: '127.0.0.1', port: upstream.port }], timeoutMs: 1000 });
    deadRelay = await startDnsRelay({ socketPath: path.join(dir, 'dead.sock'), upstreams: [{ host: '127.0.0.1', port: silent.address().port }], timeoutMs: 200 });
    emptyRelay = await startDnsRelay({ socketPath: path.join(dir, 'empty.sock'), upstreams: [] });
    fwd = relayForwarder(relay.socketPath, 2000);
    deadFwd = relayForwarder(deadRelay.socketPath, 2000);
    emptyFwd = relayForwarder(emptyRelay.socketPath, 2000);
    server = await startDnsServer({ host: '127.0.0.1', port: 0, lookup, forward: fwd });
    deadServer = await startDnsServer({ host: '127.0.0.1', port: 0, lookup, forward: deadFwd });
    emptyServer = await startDnsServer({ host: '127.0.0.1', port: 0, lookup, forward: emptyFwd });
  });

  after(async () => {
    for (const f of [fwd, deadFwd, emptyFwd]) f.close();
    await Promise.all([server.close(), deadServer.close(), emptyServer.close()]);
    await Promise.all([relay.close(), deadRelay.close(), emptyRelay.close()]);
    await upstream.close();
    await new Promise<void>((ok) => silent.close(() => ok()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a local record itself without touching the relay or the upstream', async () => {
    const seen = upstream.seen.length;
    const queries = relay.stats().queries;
    const m = await ask(server.port, queryBytes('web.local', RRType.A, 21));
    assert.equal(m?.header.rcode, RCode.NOERROR);
    assert.deepEqual(ips(m), ['10.0.0.7']);
    assert.equal(upstream.seen.length, seen);
    assert.equal(relay.stats().queries, queries);
  });

  it('forwards an unknown name through the relay to the upstream', async () => {
    const m = await ask(server.port, queryBytes('example.org', RRType.A, 22));
    assert.equal(m?.header.id, 22);
    assert.equal(m?.header.rcode, RCode.NOERROR);
    assert.deepEqual(ips(m), ['192.0.2.1']);
    assert.ok(upstream.seen.includes('udp:example.org'));
    assert.ok(relay.stats().answered >= 1);
  });

  it('answers SERVFAIL within the timeout when the upstream is silent', async () => {
    const t0 = Date.now();
    const m = await ask(deadServer.port, queryBytes('example.org', RRType.A, 23), 3000);
    assert.equal(m?.header.id, 23);
    assert.equal(m?.header.rcode, RCode.SERVFAIL);
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    assert.equal(deadRelay.stats().servfail, 1);
  });

  it('answers SERVFAIL at once with no upstreams, sending nothing anywhere', async () => {
    const seen = upstream.seen.length;
    const t0 = Date.now();
    const m = await ask(emptyServer.port, queryBytes('example.org', RRType.A, 24));
    assert.equal(m?.header.rcode, RCode.SERVFAIL);
    assert.ok(Date.now() - t0 < 500);
    assert.equal(upstream.seen.length, seen);
    assert.equal(emptyRelay.stats().servfail, 1);
  });

  it('asks the same upstream again over TCP when the UDP answer is truncated', async () => {
    const retries = relay.stats().tcpRetries;
    const m = await ask(server.port, queryBytes('big.example', RRType.A, 25));
    assert.equal(m?.header.id, 25);
    assert.equal(m?.header.tc, false);
    assert.equal(m?.answers.length, BIG_COUNT);
    assert.equal(relay.stats().tcpRetries, retries + 1);
    const i = upstream.seen.indexOf('udp:big.example');
    assert.ok(i >= 0 && upstream.seen.indexOf('tcp:big.example') > i);
  });

  it('matches out-of-order answers to concurrent queries that share an id', async () => {
    const rewritten = fwd.stats().rewrittenIds;
    // slow.example is answered 200 ms late, so fast.example's answer overtakes it.
    const [slow, fast] = await Promise.all([
      fwd(queryBytes('slow.example', RRType.A, 0x4242)),
      fwd(queryBytes('fast.example', RRType.A, 0x4242)),
    ]);
    const s = decodeMessage(slow);
    const f = decodeMessage(fast);
    assert.equal(s.header.id, 0x4242);
    assert.equal(f.header.id, 0x4242);
    assert.equal(s.questions[0]?.name, 'slow.example');
    assert.deepEqual(ips(s), ['192.0.2.2']);
    assert.equal(f.questions[0]?.name, 'fast.example');
    assert.deepEqual(ips(f), ['192.0.2.3']);
    assert.equal(fwd.stats().rewrittenIds, rewritten + 1);
  });

  it('does the same for two UDP clients of the server using one id', async () => {
    const [slow, fast] = await Promise.all([
      ask(server.port, queryBytes('slow.example', RRType.A, 77)),
      ask(server.port, queryBytes('fast.example', RRType.A, 77)),
    ]);
    assert.equal(slow?.header.id, 77);
    assert.deepEqual(ips(slow), ['192.0.2.2']);
    assert.equal(fast?.header.id, 77);
    assert.deepEqual(ips(fast), ['192.0.2.3']);
  });

  it('hangs up on bad frames, counts them, and keeps serving', async () => {
    const bad = relay.stats().badFrames;
    const response = encodeMessage({ ...query('x.example', RRType.A, 5), header: { ...query('x.example', RRType.A, 5).header, qr: true } });
    const junk = [
      Buffer.from([0, 0]), // length 0
      Buffer.concat([Buffer.from([0, 5]), Buffer.from('hello')]), // too short for a header
      Buffer.concat([Buffer.from([0, 40]), Buffer.alloc(40, 0xff)]), // not a DNS message
      frame(response), // a response, not a query
    ];
    for (const j of junk) assert.equal(await sendRaw(relay.socketPath, j), 'closed');
    assert.equal(relay.stats().badFrames, bad + junk.length);
    const m = decodeMessage(await fwd(queryBytes('example.org', RRType.A, 26)));
    assert.deepEqual(ips(m), ['192.0.2.1']);
  });

  it('reassembles a frame that arrives a byte at a time', async () => {
    const s = net.createConnection({ path: relay.socketPath });
    try {
      const reader = new FrameReader();
      const got = new Promise<Buffer>((ok) => s.on('data', (c) => {
        const f = reader.push(c)[0];
        if (f !== undefined) ok(f);
      }));
      for (const b of frame(queryBytes('example.org', RRType.A, 27))) {
        s.write(Buffer.from([b]));
        await new Promise((ok) => setImmediate(ok));
      }
      const m = decodeMessage(await got);
      assert.equal(m.header.id, 27);
      assert.deepEqual(ips(m), ['192.0.2.1']);
    } finally {
      s.destroy();
    }
  });

  it('reconnects after the relay restarts on the same path', async () => {
    const p = path.join(dir, 'restart.sock');
    let r = await startDnsRelay({ socketPath: p, upstreams: [{ host: '127.0.0.1', port: upstream.port }], timeoutMs: 1000 });
    const f = relayForwarder(p, 1000);
    try {
      assert.deepEqual(ips(decodeMessage(await f(queryBytes('example.org', RRType.A, 28)))), ['192.0.2.1']);
      await r.close();
      await assert.rejects(f(queryBytes('example.org', RRType.A, 29)), (e: unknown) => e instanceof TsswarmError && e.code === 'Unavailable');
      r = await startDnsRelay({ socketPath: p, upstreams: [{ host: '127.0.0.1', port: upstream.port }], timeoutMs: 1000 });
      assert.deepEqual(ips(decodeMessage(await f(queryBytes('example.org', RRType.A, 30)))), ['192.0.2.1']);
      // 2 or 3: query 29 may have gone out on the dying connection or found none.
      assert.ok(f.stats().connects >= 2);
    } finally {
      f.close();
      await r.close();
    }
  });

  it('rejects with Timeout when the relay accepts but never answers', async () => {
    const p = path.join(dir, 'mute.sock');
    const held = new Set<net.Socket>();
    const mute = net.createServer((s) => held.add(s));
    await new Promise<void>((ok) => mute.listen(p, ok));
    const f = relayForwarder(p, 150);
    try {
      const t0 = Date.now();
      await assert.rejects(f(queryBytes('example.org', RRType.A, 31)), (e: unknown) => e instanceof TsswarmError && e.code === 'Timeout');
      assert.ok(Date.now() - t0 < 1000);
      assert.equal(f.stats().timeouts, 1);
    } finally {
      f.close();
      for (const s of held) s.destroy();
      await new Promise<void>((ok) => mute.close(() => ok()));
    }
  });

  it('fails fast with Unavailable when no relay listens, so the server answers SERVFAIL', async () => {
    const f = relayForwarder(path.join(dir, 'nobody.sock'), 2000);
    const s = await startDnsServer({ host: '127.0.0.1', port: 0, lookup, forward: f });
    try {
      await assert.rejects(f(queryBytes('example.org', RRType.A, 32)), (e: unknown) => e instanceof TsswarmError && e.code === 'Unavailable');
      const t0 = Date.now();
      const m = await ask(s.port, queryBytes('example.org', RRType.A, 33));
      assert.equal(m?.header.rcode, RCode.SERVFAIL);
      assert.ok(Date.now() - t0 < 500);
    } finally {
      f.close();
      await s.close();
    }
  });

  it('refuses to replace a path that is not a socket', async () => {
    const p = path.join(dir, 'plain-file');
    writeFileSync(p, 'x');
    await assert.rejects(startDnsRelay({ socketPath: p, upstreams: [] }), (e: unknown) => e instanceof TsswarmError && e.code === 'Conflict');
  });
});

describe('upstream lists', () => {
  it('hostUpstreams reads nameservers in order, skipping ourselves, names and duplicates', () => {
    const conf = [
      '# generated',
      'search example.org',
      'nameserver 127.0.0.53',
      'nameserver 127.0.0.11',
      '  nameserver   10.0.0.2   ',
      'nameserver 2001:DB8:0::1 ; comment',
      'nameserver fe80::1%eth0',
      'nameserver dns.example.org',
      'nameserver 10.0.0.2',
      '#nameserver 10.9.9.9',
      'options ndots:2',
    ].join('\n');
    assert.deepEqual(hostUpstreams(conf), [
      { host: '127.0.0.53', port: 53 },
      { host: '10.0.0.2', port: 53 },
      { host: '2001:db8::1', port: 53 },
      { host: 'fe80::1%eth0', port: 53 },
    ]);
    assert.deepEqual(hostUpstreams(''), []);
    assert.deepEqual(hostUpstreams('nameserver 127.0.0.11\n'), []);
  });

  it('parseUpstreams accepts none and address lists with optional ports', () => {
    assert.deepEqual(parseUpstreams('none'), []);
    assert.deepEqual(parseUpstreams(' NONE '), []);
    assert.deepEqual(parseUpstreams('10.0.0.2,10.0.0.3:5353'), [{ host: '10.0.0.2', port: 53 }, { host: '10.0.0.3', port: 5353 }]);
    assert.deepEqual(parseUpstreams('fd00::1, [fd00::2]:5353, [FD00::3]'), [
      { host: 'fd00::1', port: 53 }, { host: 'fd00::2', port: 5353 }, { host: 'fd00::3', port: 53 },
    ]);
    assert.deepEqual(parseUpstreams('10.0.0.2,10.0.0.2:53'), [{ host: '10.0.0.2', port: 53 }]);
  });

  it('parseUpstreams rejects bad input with Invalid', () => {
    for (const bad of ['', ' ', 'dns.example.org', '10.0.0.2:0', '10.0.0.2:65536', '10.0.0.2:x', '10.0.0.2,,10.0.0.3',
      '[10.0.0.2]:53', '300.1.1.1', '127.0.0.11', 'none,10.0.0.2', '10.0.0.2:']) {
      assert.throws(() => parseUpstreams(bad), (e: unknown) => e instanceof TsswarmError && e.code === 'Invalid', bad);
    }
  });
});
