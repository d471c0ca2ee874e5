// The pieces of the gossip core in isolation: Lifeguard's timers and health score,
// the broadcast queue, memberlist's merge rules, and robustness against any input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Awareness } from '../../../worker/gossip/core/awareness.js';
import { Suspicion, suspicionMinMs, suspicionTimeoutMs } from '../../../worker/gossip/core/suspicion.js';
import { BroadcastQueue, retransmitLimit } from '../../../worker/gossip/core/broadcast.js';
import { GossipCore, pushPullIntervalMs } from '../../../worker/gossip/core/gossip.js';
import type { Ready } from '../../../worker/gossip/core/gossip.js';
import { decodeMessage, encodeMessage } from '../../../worker/gossip/codec.js';
import type { Message, MemberState } from '../../../worker/gossip/codec.js';
import { TsswarmError } from '../../../shared/errors.js';
import { Sim, cluster, mulberry32 } from './sim.js';

test('suspicion: scaled by log N, shortened by confirmations down to the minimum', () => {
  assert.equal(suspicionMinMs(4, 1, 1000), 4000);
  assert.equal(suspicionMinMs(4, 10, 1000), 4000);
  assert.equal(suspicionMinMs(4, 100, 1000), 8000);
  assert.equal(suspicionMinMs(4, 1000, 1000), 12000);
  const s = new Suspicion('a', 2, 4000, 24000, 100);
  assert.equal(s.deadline, 100 + 24000);
  assert.equal(s.confirm('a'), false, 'the first accuser does not confirm');
  assert.equal(s.confirm('b'), true);
  assert.equal(s.deadline, 100 + suspicionTimeoutMs(1, 2, 4000, 24000));
  assert.ok(s.deadline < 100 + 24000 && s.deadline > 100 + 4000);
  assert.equal(s.confirm('b'), false, 'the same accuser twice counts once');
  assert.equal(s.confirm('c'), true);
  assert.equal(s.deadline, 100 + 4000);
  assert.equal(s.confirm('d'), false, 'beyond k nothing changes');
  assert.equal(new Suspicion('a', 0, 4000, 24000, 0).deadline, 4000, 'k = 0 means the minimum');
});

test('awareness: bounded score scales timeouts', () => {
  const a = new Awareness(8);
  assert.equal(a.scale(500), 500);
  a.applyDelta(3);
  assert.equal(a.scale(500), 2000);
  a.applyDelta(100);
  assert.equal(a.score, 7);
  assert.equal(a.scale(1000), 8000);
  a.applyDelta(-100);
  assert.equal(a.score, 0);
});

test('broadcast queue: retransmit limit, fewest-sent first, supersede by key, budget', () => {
  assert.equal(retransmitLimit(4, 1), 4);
  assert.equal(retransmitLimit(4, 9), 4);
  assert.equal(retransmitLimit(4, 10), 8);
  assert.equal(retransmitLimit(4, 100), 12);
  const q = new BroadcastQueue(4, () => 5); // limit 4
  q.enqueue('a', new Uint8Array(10));
  q.enqueue('b', new Uint8Array(10));
  for (let i = 0; i < 4; i++) assert.equal(q.take(1000).length, 2);
  assert.equal(q.length, 0, 'each was sent its limit and dropped');
  q.enqueue('a', new Uint8Array([1]));
  q.take(1000);
  q.enqueue('b', new Uint8Array([2]));
  assert.deepEqual(q.take(3), [new Uint8Array([2])], 'the fresher message goes first when only one fits');
  q.enqueue('a', new Uint8Array([9]));
  assert.equal(q.length, 2);
  assert.ok(q.take(1000).some((b) => b[0] === 9));
  assert.ok(!q.take(1000).some((b) => b[0] === 1), 'superseded message is gone');
  assert.deepEqual(q.take(2), [], 'nothing fits a budget below the part overhead');
  assert.equal(pushPullIntervalMs(30_000, 32), 30_000);
  assert.equal(pushPullIntervalMs(30_000, 33), 60_000);
  assert.equal(pushPullIntervalMs(30_000, 64), 60_000);
  assert.equal(pushPullIntervalMs(30_000, 65), 90_000);
});

function core(name = 'me'): GossipCore {
  return new GossipCore({ name, addr: `${name}:7946`, now: 0, rand: mulberry32(1) });
}

function sent(r: Ready): Message[] {
  return r.sends.flatMap((s) => {
    const m = decodeMessage(s.packet, 1 << 24);
    return m.kind === 'compound' ? m.parts : [m];
  });
}

function feed(c: GossipCore, ...msgs: Message[]): void {
  for (const m of msgs) c.receive('peer', encodeMessage(m), 0);
}

test('merge rules: higher incarnation wins, dead and left handling, refutation', () => {
  const c = core();
  feed(c, { kind: 'alive', incarnation: 3, node: 'a', addr: 'a:1' });
  assert.deepEqual(c.ready().events.map((e) => e.type), ['joined']);
  feed(c, { kind: 'suspect', incarnation: 2, node: 'a', from: 'x' });
  assert.equal(c.member('a')?.state, 'alive', 'an older suspicion is ignored');
  feed(c, { kind: 'suspect', incarnation: 3, node: 'a', from: 'x' });
  assert.equal(c.member('a')?.state, 'suspect');
  feed(c, { kind: 'alive', incarnation: 3, node: 'a', addr: 'a:1' });
  assert.equal(c.member('a')?.state, 'suspect', 'the same incarnation does not clear suspicion');
  feed(c, { kind: 'alive', incarnation: 4, node: 'a', addr: 'a:1' });
  assert.equal(c.member('a')?.state, 'alive', 'a refutation clears it');
  feed(c, { kind: 'alive', incarnation: 5, node: 'a', addr: 'other:1' });
  assert.equal(c.member('a')?.addr, 'a:1', 'a live member keeps its address');
  assert.equal(c.stats.conflicts, 1);
  feed(c, { kind: 'dead', incarnation: 4, node: 'a', from: 'x' });
  assert.equal(c.member('a')?.state, 'dead');
  feed(c, { kind: 'alive', incarnation: 4, node: 'a', addr: 'a:1' });
  assert.equal(c.member('a')?.state, 'dead', 'only a higher incarnation revives');
  feed(c, { kind: 'alive', incarnation: 5, node: 'a', addr: 'a:1' });
  assert.equal(c.member('a')?.state, 'alive');
  feed(c, { kind: 'dead', incarnation: 5, node: 'a', from: 'a' });
  assert.equal(c.member('a')?.state, 'left');
  feed(c, { kind: 'suspect', incarnation: 9, node: 'zz', from: 'x' }, { kind: 'dead', incarnation: 9, node: 'zz', from: 'x' });
  assert.equal(c.member('zz'), undefined, 'no member is created from an accusation');
  const events = c.ready().events.map((e) => `${e.type}:${e.member.state}`);
  assert.deepEqual(events, ['updated:suspect', 'updated:alive', 'failed:dead', 'joined:alive', 'left:left']);

  // Accusations about ourselves are refuted with an incarnation above the accusation.
  feed(c, { kind: 'alive', incarnation: 0, node: 'b', addr: 'b:1' });
  c.ready();
  feed(c, { kind: 'suspect', incarnation: 0, node: 'me', from: 'x' });
  assert.equal(c.incarnation, 1);
  feed(c, { kind: 'dead', incarnation: 6, node: 'me', from: 'x' });
  assert.equal(c.incarnation, 7);
  assert.equal(c.member('me')?.state, 'alive');
  assert.ok(c.healthScore > 0, 'being accused costs health');
  c.tick(1000);
  const out = sent(c.ready());
  assert.ok(out.some((m) => m.kind === 'alive' && m.node === 'me' && m.incarnation === 7), 'the refutation is gossiped');
});

test('push-pull merge: remote dead becomes suspect, left stays left, reply carries our state', () => {
  const c = core();
  c.receive('s', encodeMessage({
    kind: 'pushPull', join: true, reply: false, senderName: 's', senderAddr: 's:1',
    states: [
      { name: 's', addr: 's:1', incarnation: 1, state: 'alive' },
      { name: 'b', addr: 'b:1', incarnation: 1, state: 'alive' },
      { name: 'me', addr: 'me:7946', incarnation: 4, state: 'dead' },
    ],
  }), 0, 'tcp');
  c.receive('s', encodeMessage({
    kind: 'pushPull', join: false, reply: true, senderName: 's', senderAddr: 's:1',
    states: [
      { name: 'b', addr: 'b:1', incarnation: 1, state: 'dead' },
      { name: 'c', addr: 'c:1', incarnation: 2, state: 'left' },
    ],
  }), 0, 'tcp');
  assert.equal(c.member('b')?.state, 'suspect', 'another member\'s "dead" is only a suspicion here');
  assert.equal(c.member('c'), undefined, 'left of an unknown member adds nothing');
  assert.equal(c.incarnation, 5, 'we refuted being dead');
  const r = c.ready();
  const replies = r.sends.filter((s) => s.transport === 'tcp');
  assert.equal(replies.length, 1, 'only the non-reply is answered');
  const reply = decodeMessage(replies[0]!.packet, 1 << 20);
  // As memberlist does, the answer is the state from before the merge.
  assert.ok(reply.kind === 'pushPull' && reply.reply && reply.states.length === 1 && reply.states[0]!.name === 'me');
  assert.equal(replies[0]!.to, 's:1');
});

test('probe: ping, then indirect pings through k others, then suspicion', () => {
  const c = core();
  for (const n of ['a', 'b', 'c', 'd', 'e']) feed(c, { kind: 'alive', incarnation: 1, node: n, addr: `${n}:1` });
  c.ready();
  let t = 0;
  let ping: Message | undefined;
  while (ping === undefined && t < 2000) {
    c.tick(t);
    ping = sent(c.ready()).find((m) => m.kind === 'ping');
    t += 10;
  }
  assert.ok(ping !== undefined && ping.kind === 'ping');
  const start = t - 10;
  c.tick(start + 499);
  assert.equal(sent(c.ready()).filter((m) => m.kind === 'indirectPing').length, 0, 'no relays before the timeout');
  c.tick(start + 500);
  const ind = sent(c.ready()).filter((m) => m.kind === 'indirectPing');
  assert.equal(ind.length, 3);
  assert.ok(ind.every((m) => m.kind === 'indirectPing' && m.target === ping.target && m.wantNack && m.seq === ping.seq));
  // Two relays nack: the missing third suggests our own trouble, health degrades by one.
  feed(c, { kind: 'nack', seq: ping.seq }, { kind: 'nack', seq: ping.seq });
  c.tick(start + 1000);
  assert.equal(c.member(ping.target)?.state, 'suspect');
  assert.equal(c.healthScore, 1);
  // An ack (via a relay) for the next probe heals health.
  let next: Message | undefined;
  for (let u = start + 1000; next === undefined && u < start + 5000; u += 10) {
    c.tick(u);
    next = sent(c.ready()).find((m) => m.kind === 'ping');
  }
  assert.ok(next !== undefined && next.kind === 'ping');
  feed(c, { kind: 'ack', seq: next.seq });
  assert.equal(c.healthScore, 0);
});

test('relaying an indirect ping: forward the ack, or nack at the timeout', () => {
  const c = core('relay');
  feed(c, { kind: 'indirectPing', seq: 77, target: 't', targetAddr: 't:1', sourceName: 's', sourceAddr: 's:1', wantNack: true });
  const out = c.ready();
  assert.equal(out.sends[0]!.to, 't:1');
  const ping = sent(out).find((m) => m.kind === 'ping');
  assert.ok(ping !== undefined && ping.kind === 'ping' && ping.target === 't');
  feed(c, { kind: 'ack', seq: ping.seq });
  const fwd = c.ready();
  assert.equal(fwd.sends[0]!.to, 's:1');
  assert.deepEqual(sent(fwd)[0], { kind: 'ack', seq: 77 });
  feed(c, { kind: 'indirectPing', seq: 78, target: 't', targetAddr: 't:1', sourceName: 's', sourceAddr: 's:1', wantNack: true });
  c.ready();
  c.tick(500);
  const nack = sent(c.ready()).find((m) => m.kind === 'nack');
  assert.deepEqual(nack, { kind: 'nack', seq: 78 });
});

test('pings for another name are not acked; oversized user broadcasts are refused', () => {
  const c = core();
  feed(c, { kind: 'ping', seq: 1, target: 'someone-else', sourceName: 's', sourceAddr: 's:1' });
  assert.equal(c.ready().sends.length, 0);
  feed(c, { kind: 'ping', seq: 2, target: 'me', sourceName: 's', sourceAddr: 's:1' });
  assert.deepEqual(sent(c.ready())[0], { kind: 'ack', seq: 2 });
  assert.throws(() => c.broadcastUser(new Uint8Array(1025)), (e) => e instanceof TsswarmError && e.code === 'TooLarge');
  c.receive('x', new Uint8Array([99, 1, 2]), 0);
  assert.equal(c.stats.malformed, 1);
});

test('fuzz: a core fed random valid messages never throws and keeps its own invariants', () => {
  const rand = mulberry32(99);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const nodes = ['me', 'a', 'b', 'c', 'd'];
  const states: MemberState[] = ['alive', 'suspect', 'dead', 'left'];
  const inc = (): number => (rand() < 0.05 ? 0xffffffff : Math.floor(rand() * 6));
  const gen = (): Message => {
    switch (Math.floor(rand() * 9)) {
      case 0: return { kind: 'ping', seq: Math.floor(rand() * 20), target: pick(nodes), sourceName: pick(nodes), sourceAddr: `${pick(nodes)}:1` };
      case 1: return { kind: 'indirectPing', seq: Math.floor(rand() * 20), target: pick(nodes), targetAddr: `${pick(nodes)}:1`, sourceName: pick(nodes), sourceAddr: 'x', wantNack: rand() < 0.5 };
      case 2: return { kind: 'ack', seq: Math.floor(rand() * 20) };
      case 3: return { kind: 'nack', seq: Math.floor(rand() * 20) };
      case 4: return { kind: 'suspect', incarnation: inc(), node: pick(nodes), from: pick(nodes) };
      case 5: return { kind: 'alive', incarnation: inc(), node: pick(nodes), addr: `${pick(nodes)}:${rand() < 0.9 ? 1 : 2}` };
      case 6: return { kind: 'dead', incarnation: inc(), node: pick(nodes), from: pick(nodes) };
      case 7: return { kind: 'user', origin: pick(nodes), epoch: 1, seq: Math.floor(rand() * 5), payload: new Uint8Array(3) };
      default: return {
        kind: 'pushPull', join: rand() < 0.5, reply: rand() < 0.5, senderName: pick(nodes), senderAddr: 'x',
        states: nodes.filter(() => rand() < 0.5).map((name) => ({ name, addr: `${name}:1`, incarnation: inc(), state: pick(states) })),
      };
    }
  };
  const c = new GossipCore({ name: 'me', addr: 'me:1', now: 0, rand: mulberry32(3) });
  let now = 0;
  let lastInc = 0;
  for (let i = 0; i < 20000; i++) {
    now += Math.floor(rand() * 50);
    const ticked = rand() < 0.3;
    if (ticked) c.tick(now);
    else c.receive('x', encodeMessage(gen()), now, rand() < 0.5 ? 'udp' : 'tcp');
    for (const s of c.ready().sends) if (s.transport === 'udp') assert.ok(s.packet.length <= 1400);
    assert.equal(c.member('me')?.state, 'alive');
    assert.ok(c.incarnation >= lastInc, 'our incarnation never goes down');
    lastInc = c.incarnation;
    if (ticked) assert.ok(c.nextWake() > now, 'nextWake is in the future after tick');
  }
});

test('a run is a pure function of the seed', () => {
  const run = (): string => {
    const sim = new Sim({ seed: 2024 });
    const { names } = cluster(sim, 12);
    sim.stop('n4');
    sim.runFor(40_000);
    return JSON.stringify(names.map((n) => [sim.node(n).events, sim.node(n).core.members()]));
  };
  assert.equal(run(), run());
});
