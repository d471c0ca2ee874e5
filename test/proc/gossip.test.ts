// Eight gossip nodes on real sockets in one process, on loopback: they converge, carry a
// broadcast to everyone once, notice a crash, keep out a node with the wrong key, and
// survive a key rotation done one node at a time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { GossipNode } from '../../worker/gossip/node.js';
import { Keyring } from '../../worker/gossip/keyring.js';
import type { MemberEvent } from '../../worker/gossip/core/gossip.js';

const N = 8;
const LABEL = 'ts-gossip-test';

async function until(what: string, ok: () => boolean, ms: number): Promise<number> {
  const t0 = performance.now();
  while (!ok()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - t0;
}

interface Probe {
  node: GossipNode;
  events: MemberEvent[];
  user: { origin: string; text: string }[];
}

function aliveCount(p: Probe): number {
  return p.node.members().filter((m) => m.state === 'alive').length;
}

test('8 gossip nodes on loopback: converge, broadcast, detect a crash, reject a stranger, rotate keys', { timeout: 60_000 }, async (t) => {
  const key1 = randomBytes(32);
  const key2 = randomBytes(32);
  const probes: Probe[] = [];
  const all: GossipNode[] = [];
  t.after(async () => {
    await Promise.all(all.map((n) => n.stop()));
  });

  for (let i = 0; i < N; i++) {
    const p: Probe = { node: undefined as unknown as GossipNode, events: [], user: [] };
    p.node = await GossipNode.start({
      name: `n${i}`,
      bindAddr: '127.0.0.1:0',
      keyring: new Keyring([key1], { label: LABEL }),
      onMember: (ev) => p.events.push(ev),
      onUser: (origin, payload) => p.user.push({ origin, text: Buffer.from(payload).toString() }),
    });
    all.push(p.node);
    probes.push(p);
  }
  const seed = probes[0]!.node.addr;
  const t0 = performance.now();
  for (const p of probes.slice(1)) assert.equal(await p.node.join([seed]), 1);
  await until('all 8 to see 8 alive', () => probes.every((p) => aliveCount(p) === N), 10_000);
  t.diagnostic(`converged in ${(performance.now() - t0).toFixed(0)} ms`);

  // A broadcast reaches the 7 others exactly once, and not its origin.
  probes[3]!.node.broadcast(Buffer.from('hello-all'));
  const others = probes.filter((_, i) => i !== 3);
  // Seen once in a CI run: after 5 s one member still lacked it. Say who, to debug it.
  const tb = await until('the broadcast to reach everyone', () => others.every((p) => p.user.length > 0), 10_000).catch((e: unknown) => {
    const missing = others.filter((p) => p.user.length === 0).map((p) => `${p.node.name} (${JSON.stringify(p.node.stats())})`);
    throw new Error(`${(e as Error).message}; missing at ${missing.join(', ')}; origin stats ${JSON.stringify(probes[3]!.node.stats())}`);
  });
  t.diagnostic(`broadcast reached 7 in ${tb.toFixed(0)} ms`);
  await new Promise((r) => setTimeout(r, 1500)); // retransmissions happen meanwhile
  for (const p of others) assert.deepEqual(p.user, [{ origin: 'n3', text: 'hello-all' }], `${p.node.name} got it once`);
  assert.deepEqual(probes[3]!.user, []);

  // A node with another key: its join goes out but nobody can open it.
  const stranger = await GossipNode.start({ name: 'stranger', bindAddr: '127.0.0.1:0', keyring: new Keyring([randomBytes(32)], { label: LABEL }) });
  all.push(stranger);
  const droppedBefore = probes[0]!.node.stats().droppedUnauthenticated;
  await stranger.join([seed]); // the TCP write succeeds; the content is rejected
  await until('the seed to count the stranger\'s packet', () => probes[0]!.node.stats().droppedUnauthenticated > droppedBefore, 3_000);
  await new Promise((r) => setTimeout(r, 1000));
  for (const p of probes) assert.equal(p.node.member('stranger'), undefined, `${p.node.name} does not know the stranger`);
  assert.deepEqual(stranger.members().map((m) => m.name), ['stranger']);
  await stranger.stop();

  // Garbage: a random datagram, a frame announcing 4 GiB, a stream cut mid-frame.
  const s0 = probes[0]!.node;
  const [host, port] = [s0.addr.split(':')[0]!, Number(s0.addr.split(':')[1])];
  const before = s0.stats();
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.send(randomBytes(200), port, host, () => r()));
  udp.close();
  const huge = Buffer.alloc(8, 0xff);
  const cut = Buffer.concat([Buffer.from([0, 0, 0, 100]), randomBytes(10)]);
  for (const bytes of [huge, cut]) {
    await new Promise<void>((resolve) => {
      const c = net.connect({ host, port }, () => c.write(bytes, () => setTimeout(() => c.destroy(), 50)));
      c.on('error', () => {}); // the node may reset us first; that is the point
      c.on('close', () => resolve());
    });
  }
  await until('the garbage to be counted', () => {
    const s = s0.stats();
    return s.droppedUnauthenticated > before.droppedUnauthenticated && s.oversized > before.oversized && s.droppedMalformed > before.droppedMalformed;
  }, 3_000);
  assert.equal(aliveCount(probes[0]!), N);

  // Key rotation: install key2 everywhere, make it primary node by node, then drop key1.
  // Nobody may be suspected or fail meanwhile.
  const eventsBefore = probes.map((p) => p.events.length);
  for (const p of probes) p.node.setKeys([key1, key2]);
  for (const p of probes) {
    p.node.setKeys([key2, key1]);
    await new Promise((r) => setTimeout(r, 300));
  }
  for (const p of probes) p.node.setKeys([key2]);
  await new Promise((r) => setTimeout(r, 3000)); // several probe rounds under key2 alone
  for (const [i, p] of probes.entries()) {
    const bad = p.events.slice(eventsBefore[i]).filter((e) => e.type !== 'joined');
    assert.deepEqual(bad, [], `${p.node.name} saw no suspicion or failure during rotation`);
    assert.equal(aliveCount(p), N);
  }

  // A crash: n5 closes its sockets without leaving. Everyone else marks it failed.
  const victim = probes[5]!;
  await victim.node.stop();
  const survivors = probes.filter((p) => p !== victim);
  const td = await until('all survivors to mark n5 failed', () => survivors.every((p) => p.node.member('n5')?.state === 'dead'), 15_000);
  t.diagnostic(`crash detected by all 7 in ${td.toFixed(0)} ms`);
  for (const p of survivors) {
    assert.ok(p.events.some((e) => e.type === 'failed' && e.member.name === 'n5'), `${p.node.name} reported n5 failed`);
    assert.equal(aliveCount(p), N - 1);
  }

  // A graceful leave is reported as such.
  await probes[7]!.node.leave();
  await probes[7]!.node.stop();
  await until('n7 to be seen left', () => survivors.slice(0, 6).every((p) => p.node.member('n7')?.state === 'left'), 5_000);
  for (const p of survivors) assert.equal(p.node.stats().callbackErrors, 0);
});
