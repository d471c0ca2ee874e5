import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { RaftTransport, type TlsMaterial } from '../../../manager/raft/transport/transport.js';
import type { LaneLimits } from '../../../manager/raft/transport/lane.js';
import { generateCA, issueNodeTls, type CertAndKey } from '../../../shared/pki/index.js';
import { MessageType, type Message, type NodeId } from '../../../manager/raft/core/types.js';

interface Node {
  id: NodeId;
  t: RaftTransport;
  addr: string;
  got: Message[];
  unreachable: NodeId[];
  logs: string[];
}

let ca: CertAndKey;
let otherCa: CertAndKey;
const tlsCache = new Map<string, TlsMaterial>();
const open = new Set<RaftTransport>();

before(async () => {
  ca = await generateCA('tsswarm test CA');
  otherCa = await generateCA('some other CA');
});
after(async () => {
  await Promise.all([...open].map((t) => t.close()));
});

async function tlsFor(id: string, fromCa = ca, ou = 'swarm-manager'): Promise<TlsMaterial> {
  const key = `${id}@${fromCa === ca ? 'ca' : 'other'}/${ou}`;
  let m = tlsCache.get(key);
  if (!m) tlsCache.set(key, (m = await issueNodeTls(fromCa, id, { ou })));
  return m;
}

async function node(id: NodeId, opts: { port?: number; fromCa?: CertAndKey; ou?: string; singleLane?: boolean; limits?: Partial<LaneLimits> } = {}): Promise<Node> {
  const n: Node = { id, t: undefined as unknown as RaftTransport, addr: '', got: [], unreachable: [], logs: [] };
  n.t = new RaftTransport({
    id,
    tls: await tlsFor(id, opts.fromCa, opts.ou),
    onMessages: (m) => n.got.push(...m),
    onUnreachable: (to) => n.unreachable.push(to),
    log: (s) => n.logs.push(s),
    singleLane: opts.singleLane,
    limits: opts.limits,
  });
  open.add(n.t);
  const port = await n.t.listen(`127.0.0.1:${opts.port ?? 0}`);
  n.addr = `127.0.0.1:${port}`;
  return n;
}

async function stop(n: Node): Promise<void> {
  await n.t.close();
  open.delete(n.t);
}

function mesh(...nodes: Node[]): void {
  for (const a of nodes) for (const b of nodes) if (a !== b) a.t.addPeer(b.id, b.addr);
}

function msg(from: NodeId, to: NodeId, index: number, type = MessageType.App, data?: Uint8Array): Message {
  return {
    type,
    from,
    to,
    term: 1,
    index,
    logTerm: 1,
    entries: data ? [{ term: 1, index: index + 1, type: 0, data }] : [],
    commit: 0,
    reject: false,
    rejectHint: 0,
  };
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RaftTransport', () => {
  it('three members exchange batches, in order per sender', async () => {
    const [a, b, c] = await Promise.all([node('a'), node('b'), node('c')]);
    mesh(a, b, c);
    assert.deepEqual([...a.t.peers().keys()].sort(), ['b', 'c']);
    const N = 3000;
    for (let i = 0; i < N; i += 100) {
      const batch: Message[] = [];
      for (let j = i; j < i + 100; j++) batch.push(msg('a', 'b', j, MessageType.App, Buffer.from(`x${j}`)), msg('a', 'c', j), msg('a', 'b', j, MessageType.Heartbeat));
      a.t.send(batch);
      b.t.send([msg('b', 'a', i), msg('b', 'c', i)]);
      c.t.send([msg('c', 'a', i, MessageType.VoteResp)]);
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitFor('all messages', () => b.got.length === 2 * N && c.got.length === N + N / 100 && a.got.length === (2 * N) / 100);
    const seq = (got: Message[], from: NodeId, type: MessageType): number[] => got.filter((m) => m.from === from && m.type === type).map((m) => m.index);
    const upTo = (n: number, step = 1): number[] => Array.from({ length: n / step }, (_, k) => k * step);
    assert.deepEqual(seq(b.got, 'a', MessageType.App), upTo(N));
    assert.deepEqual(seq(b.got, 'a', MessageType.Heartbeat), upTo(N));
    assert.deepEqual(seq(c.got, 'a', MessageType.App), upTo(N));
    assert.deepEqual(seq(c.got, 'b', MessageType.App), upTo(N, 100));
    assert.deepEqual(seq(a.got, 'c', MessageType.VoteResp), upTo(N, 100));
    const e = b.got.find((m) => m.type === MessageType.App && m.index === 1234)!;
    assert.equal(Buffer.from(e.entries[0]!.data).toString(), 'x1234');
    assert.deepEqual([a.unreachable, b.unreachable, c.unreachable], [[], [], []]);
    // The inbound HTTP/2 tuning reaches into grpc-js internals; notice if an upgrade breaks it.
    assert.ok(![a, b, c].some((n) => n.logs.some((l) => l.includes('cannot tune'))), b.logs.join('\n'));
    await Promise.all([stop(a), stop(b), stop(c)]);
  });

  it('refuses a peer whose certificate comes from another CA, both ways', async () => {
    const a = await node('a');
    const x = await node('x', { fromCa: otherCa });
    a.t.addPeer('x', x.addr);
    x.t.addPeer('a', a.addr);
    x.t.send([msg('x', 'a', 1)]);
    a.t.send([msg('a', 'x', 1)]);
    await waitFor('both sides to report unreachable', () => x.unreachable.includes('a') && a.unreachable.includes('x'));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(a.got.length, 0);
    assert.equal(x.got.length, 0);
    await Promise.all([stop(a), stop(x)]);
  });

  it('refuses a client of the same CA with another role (a worker)', async () => {
    const a = await node('a');
    const w = await node('w', { ou: 'swarm-worker' });
    w.t.addPeer('a', a.addr);
    w.t.send([msg('w', 'a', 1)]);
    await waitFor('unreachable a', () => w.unreachable.includes('a'));
    assert.equal(a.got.length, 0);
    assert.ok(a.logs.some((l) => l.includes('role "swarm-worker"')), a.logs.join('\n'));
    await Promise.all([stop(a), stop(w)]);
  });

  it('refuses a server that is not the member it was dialled as', async () => {
    const [a, c] = await Promise.all([node('a'), node('c')]);
    a.t.addPeer('b', c.addr); // c answers where a expects b
    a.t.send([msg('a', 'b', 1)]);
    await waitFor('unreachable b', () => a.unreachable.includes('b'));
    assert.ok(a.logs.some((l) => l.includes('expected "b"')), a.logs.join('\n'));
    assert.equal(c.got.length, 0);
    await Promise.all([stop(a), stop(c)]);
  });

  it('drops messages whose from differs from the sender certificate', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    b.t.addPeer('a', a.addr);
    b.t.send([msg('b', 'a', 1), msg('c', 'a', 2), msg('b', 'a', 3)]);
    await waitFor('the genuine messages', () => a.got.length === 2);
    assert.deepEqual(
      a.got.map((m) => m.index),
      [1, 3],
    );
    assert.ok(a.logs.some((l) => l.includes('certificate "b"') && l.includes('from="c"')), a.logs.join('\n'));
    await Promise.all([stop(a), stop(b)]);
  });

  it('reports unreachable for a peer that is down and reconnects when it comes back', async () => {
    const a = await node('a');
    let b = await node('b');
    const port = Number(b.addr.split(':')[1]);
    a.t.addPeer('b', b.addr);
    a.t.send([msg('a', 'b', 1)]);
    await waitFor('first delivery', () => b.got.length === 1);
    await stop(b);
    await waitFor('unreachable after b stopped', () => {
      a.t.send([msg('a', 'b', 2)]);
      return a.unreachable.includes('b');
    });
    b = await node('b', { port });
    await waitFor(
      'delivery to the restarted b',
      () => {
        a.t.send([msg('a', 'b', 3, MessageType.Heartbeat)]);
        return b.got.length > 0;
      },
      8000,
    );
    assert.equal(b.got[0]!.from, 'a');
    await Promise.all([stop(a), stop(b)]);
  });

  it('reports unreachable for an address where nobody listens, and for unknown ids', async () => {
    const a = await node('a');
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    a.t.addPeer('b', `127.0.0.1:${free}`);
    a.t.send([msg('a', 'b', 1), msg('a', 'zz', 1)]);
    await waitFor('unreachable b and zz', () => a.unreachable.includes('b') && a.unreachable.includes('zz'));
    a.t.removePeer('b');
    assert.equal(a.t.peers().size, 0);
    await stop(a);
  });

  it('bounds the queue of a peer that never answers', async () => {
    // A TCP listener that accepts and then says nothing: TLS never completes.
    const sockets = new Set<net.Socket>();
    const mute = net.createServer((s) => sockets.add(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const a = await node('a', { limits: { maxMessages: 50, openTimeoutMs: 300 } });
    a.t.addPeer('b', `127.0.0.1:${(mute.address() as net.AddressInfo).port}`);
    for (let i = 0; i < 400; i++) {
      a.t.send([msg('a', 'b', i)]);
      await Promise.resolve();
    }
    await waitFor('unreachable from a full queue', () => a.unreachable.includes('b'));
    await waitFor('the stuck stream to be given up', () => a.logs.some((l) => l.includes('no answer within 300 ms')));
    await stop(a);
    for (const s of sockets) s.destroy();
    await new Promise((r) => mute.close(r));
  });

  it('does not hold a heartbeat behind a train of 256 KiB snapshot chunks', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    mesh(a, b);
    a.t.send([msg('a', 'b', 0, MessageType.Heartbeat)]);
    await waitFor('warm-up', () => b.got.length === 1);
    let hbAt = 0;
    let lastChunkAt = 0;
    const chunk = Buffer.alloc(256 * 1024, 1);
    const t0 = performance.now();
    const seen = b.t as unknown as { opts: { onMessages: (m: Message[]) => void } };
    const orig = seen.opts.onMessages;
    seen.opts.onMessages = (m) => {
      for (const x of m) {
        if (x.type === MessageType.Heartbeat) hbAt = performance.now() - t0;
        if (x.type === MessageType.Snap && x.index === 63) lastChunkAt = performance.now() - t0;
      }
      orig(m);
    };
    const chunks: Message[] = [];
    for (let i = 0; i < 64; i++) chunks.push({ ...msg('a', 'b', i, MessageType.Snap), snapshot: { meta: { index: 10, term: 1, conf: { voters: ['a', 'b'], learners: [] } }, data: chunk }, snapOffset: i * chunk.length });
    a.t.send(chunks);
    a.t.send([msg('a', 'b', 1, MessageType.Heartbeat)]);
    await waitFor('all chunks and the heartbeat', () => hbAt > 0 && lastChunkAt > 0, 10000);
    assert.ok(hbAt < lastChunkAt, `heartbeat (${hbAt.toFixed(1)} ms) arrived before the last of 16 MiB of chunks (${lastChunkAt.toFixed(1)} ms)`);
    await Promise.all([stop(a), stop(b)]);
  });

  it('serves other services added before listen() on the same port and mutual TLS', async () => {
    const t = new RaftTransport({ id: 'a', tls: await tlsFor('a'), onMessages: () => undefined, onUnreachable: () => undefined });
    open.add(t);
    const ping: grpc.ServiceDefinition = {
      Ping: {
        path: '/test.Ping/Ping',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    };
    const Ping: grpc.handleUnaryCall<Buffer, Buffer> = (call, cb) => {
      const cn = call.getAuthContext()?.sslPeerCertificate?.subject?.CN;
      cb(null, Buffer.from(`pong ${String(cn)} ${call.request.toString()}`));
    };
    t.server.addService(ping, { Ping });
    const port = await t.listen('127.0.0.1:0');
    const tls = await tlsFor('b');
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(tls.ca, tls.key, tls.cert, { checkServerIdentity: () => undefined }), {
      'grpc.ssl_target_name_override': 'a',
    });
    const reply = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest('/test.Ping/Ping', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('hi'), (err, v) => (err ? reject(err) : resolve(v!))),
    );
    assert.equal(reply.toString(), 'pong b hi');
    client.close();
    await t.close();
    open.delete(t);
  });

  it('leaves no sockets or timers behind after close', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    mesh(a, b);
    a.t.send([msg('a', 'b', 1)]);
    b.t.send([msg('b', 'a', 1)]);
    await waitFor('exchange', () => a.got.length === 1 && b.got.length === 1);
    await Promise.all([stop(a), stop(b)]);
    await new Promise((r) => setTimeout(r, 50));
    const left = process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP') || r === 'Timeout');
    assert.deepEqual(left, []);
  });
});
