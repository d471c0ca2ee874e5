// The SWIM + Lifeguard state machine, as memberlist runs it, with no I/O of its own:
// the driver feeds it time (tick), packets (receive) and commands (join, leave,
// broadcastUser), then drains a Ready of packets to send and membership events.
// Randomness comes only from opts.rand, so a run is a pure function of its inputs.

import { GOSSIP_DEFAULTS } from '../config.js';
import type { GossipConfig } from '../config.js';
import {
  COMPOUND_HEADER, COMPOUND_PART_OVERHEAD, GossipDecodeError, MAX_TCP_PACKET, MAX_UDP_PACKET, decodeMessage, encodeMessage, packCompound,
} from '../codec.js';
import type { DeadMsg, Message, PushPullEntry, PushPullMsg, SuspectMsg } from '../codec.js';
import { TsswarmError } from '../../../shared/errors.js';
import { Awareness } from './awareness.js';
import { BroadcastQueue } from './broadcast.js';
import { MemberTable, isLive } from './state.js';
import type { Member, MemberState } from './state.js';
import { Suspicion, suspicionMinMs } from './suspicion.js';

export type Transport = 'udp' | 'tcp';

export interface Send {
  to: string;
  transport: Transport;
  /** Encoded packet, plaintext: the driver seals it with the keyring. */
  packet: Uint8Array;
}

export interface MemberInfo {
  name: string;
  addr: string;
  incarnation: number;
  state: MemberState;
}

export interface MemberEvent {
  type: 'joined' | 'updated' | 'failed' | 'left';
  member: MemberInfo;
}

export interface UserDelivery {
  origin: string;
  payload: Uint8Array;
}

export interface Ready {
  sends: Send[];
  events: MemberEvent[];
  user: UserDelivery[];
}

export interface GossipStats {
  /** Packets that did not decode (the driver counts its own failed opens). */
  malformed: number;
  /** alive messages for a known name from another address, ignored. */
  conflicts: number;
  probes: number;
  failedProbes: number;
  refutations: number;
}

export interface GossipCoreOptions {
  name: string;
  addr: string;
  /** Uniform in [0, 1); the core's only source of randomness. */
  rand: () => number;
  now: number;
  config?: Partial<GossipConfig>;
  /** Bytes the driver adds to each UDP packet (keyring seal), taken off the budget. */
  sealOverhead?: number;
}

interface Probe {
  target: string;
  seq: number;
  timeoutAt: number;
  endAt: number;
  indirectSent: boolean;
  expectedNacks: number;
  nacks: number;
}

interface Relay {
  origSeq: number;
  sourceAddr: string;
  wantNack: boolean;
  deadline: number;
}

const PUSH_PULL_SCALE_THRESHOLD = 32;
const MAX_INCARNATION = 0xffffffff;

/** memberlist's pushPullScale: above 32 members, sync less often, by log2 steps. */
export function pushPullIntervalMs(base: number, members: number): number {
  if (members <= PUSH_PULL_SCALE_THRESHOLD) return base;
  const mult = Math.ceil(Math.log2(members) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
  return base * mult;
}

export class GossipCore {
  readonly name: string;
  readonly addr: string;
  readonly cfg: Readonly<GossipConfig>;
  readonly stats: GossipStats = { malformed: 0, conflicts: 0, probes: 0, failedProbes: 0, refutations: 0 };

  private readonly rand: () => number;
  private readonly table: MemberTable;
  private readonly awareness: Awareness;
  private readonly queue: BroadcastQueue;
  private readonly suspicions = new Map<string, Suspicion>();
  private readonly relays = new Map<number, Relay>();
  private readonly seenUser = new Map<string, number>();
  private readonly udpLimit: number;
  private readonly userEpoch: number;
  private userSeq = 0;
  private seq = 0;
  private leaving = false;
  private probe: Probe | null = null;
  private nextProbeAt: number;
  private nextGossipAt: number;
  /** When a round last sent something; eager rounds keep gossipEagerGapMs from it. */
  private lastGossipAt = -Infinity;
  /** The queue's version when the last round ran: only news newer than that triggers an eager round. */
  private gossipedVersion = -1;
  private nextPushPullAt: number;
  /** Full syncs still due after our join completed (joinSyncs), and when the next one is. */
  private joinSyncsLeft = 0;
  private nextJoinSyncAt = Infinity;
  private nextHousekeepingAt: number;
  private out: Ready = { sends: [], events: [], user: [] };

  constructor(opts: GossipCoreOptions) {
    this.name = opts.name;
    this.addr = opts.addr;
    this.rand = opts.rand;
    this.cfg = { ...GOSSIP_DEFAULTS, ...opts.config };
    this.udpLimit = this.cfg.udpBufferSize - (opts.sealOverhead ?? 0);
    this.table = new MemberTable(this.rand);
    this.awareness = new Awareness(this.cfg.awarenessMaxMultiplier);
    this.queue = new BroadcastQueue(this.cfg.retransmitMult, () => this.table.liveCount());
    this.userEpoch = Math.floor(this.rand() * 0x100000000);
    const now = opts.now;
    this.table.add({ name: this.name, addr: this.addr, incarnation: 0, state: 'alive', stateChangedAt: now });
    this.broadcastAlive(this.self());
    // Random phases so that nodes started together do not probe and gossip in lockstep.
    this.nextProbeAt = now + Math.floor(this.rand() * this.cfg.probeIntervalMs);
    this.nextGossipAt = now + Math.floor(this.rand() * this.cfg.gossipIntervalMs);
    this.nextPushPullAt = now + Math.floor(this.rand() * this.cfg.pushPullIntervalMs);
    this.nextHousekeepingAt = now + this.cfg.housekeepingIntervalMs;
  }

  // ---- queries ----

  members(): MemberInfo[] {
    return this.table.all().map(info);
  }

  member(name: string): MemberInfo | undefined {
    const m = this.table.get(name);
    return m === undefined ? undefined : info(m);
  }

  get incarnation(): number {
    return this.self().incarnation;
  }

  /** Lifeguard health score: 0 is healthy, up to awarenessMaxMultiplier - 1. */
  get healthScore(): number {
    return this.awareness.score;
  }

  get pendingBroadcasts(): number {
    return this.queue.length;
  }

  /** The earliest time at which tick() has something to do. */
  nextWake(): number {
    let t = Math.min(this.gossipDueAt(), this.nextPushPullAt, this.nextHousekeepingAt, this.nextJoinSyncAt);
    if (!this.leaving) t = Math.min(t, this.nextProbeAt);
    if (this.probe !== null) t = Math.min(t, this.probe.indirectSent ? this.probe.endAt : this.probe.timeoutAt);
    for (const s of this.suspicions.values()) t = Math.min(t, s.deadline);
    for (const r of this.relays.values()) t = Math.min(t, r.deadline);
    return t;
  }

  hasReady(): boolean {
    return this.out.sends.length + this.out.events.length + this.out.user.length > 0;
  }

  /** Hands over everything produced since the last call. */
  ready(): Ready {
    const r = this.out;
    this.out = { sends: [], events: [], user: [] };
    return r;
  }

  // ---- commands ----

  /** Starts a full state exchange with each seed address (over TCP). */
  join(seedAddrs: readonly string[]): void {
    for (const addr of seedAddrs) if (addr !== this.addr) this.sendPushPull(addr, true, false);
  }

  /** Announces that this node leaves; keep ticking until the broadcast has drained. */
  leave(now: number): void {
    if (this.leaving) return;
    this.leaving = true;
    const me = this.self();
    this.probe = null;
    this.onDead({ kind: 'dead', incarnation: Math.min(MAX_INCARNATION, me.incarnation + 1), node: this.name, from: this.name }, now);
  }

  /** Queues application bytes to reach every other member once. */
  broadcastUser(payload: Uint8Array): void {
    if (payload.length > this.cfg.maxUserPayload) {
      throw new TsswarmError('TooLarge', `user broadcast of ${payload.length} bytes exceeds ${this.cfg.maxUserPayload}; send less or split it`);
    }
    const seq = this.userSeq;
    this.userSeq = (this.userSeq + 1) >>> 0;
    const msg: Message = { kind: 'user', origin: this.name, epoch: this.userEpoch, seq, payload };
    this.queue.enqueue(userKey(this.name, this.userEpoch, seq), encodeMessage(msg), this.cfg.userRetransmitFactor);
  }

  // ---- time ----

  tick(now: number): void {
    this.tickProbe(now);
    for (const [name, s] of this.suspicions) {
      if (now < s.deadline) continue;
      this.suspicions.delete(name);
      const m = this.table.get(name);
      if (m !== undefined && m.state === 'suspect') this.onDead({ kind: 'dead', incarnation: m.incarnation, node: name, from: this.name }, now);
    }
    for (const [seq, r] of this.relays) {
      if (now < r.deadline) continue;
      this.relays.delete(seq);
      if (r.wantNack) this.sendUdp(r.sourceAddr, { kind: 'nack', seq: r.origSeq });
    }
    if (now >= this.gossipDueAt()) {
      // An eager round leaves the regular cadence alone: members that just passed news on
      // together would otherwise all wait a full interval for their next round, while
      // their own random phases pick up the few that the eager wave missed sooner.
      if (now >= this.nextGossipAt) this.nextGossipAt = now + this.cfg.gossipIntervalMs;
      this.gossip(now);
    }
    if (now >= this.nextJoinSyncAt) {
      this.joinSyncsLeft--;
      this.nextJoinSyncAt = this.joinSyncsLeft > 0 ? now + this.cfg.joinSyncIntervalMs : Infinity;
      const peer = this.table.pick(1, (m) => m.name !== this.name && isLive(m))[0];
      if (peer !== undefined) this.sendPushPull(peer.addr, false, false);
    }
    if (now >= this.nextPushPullAt) {
      this.nextPushPullAt = now + pushPullIntervalMs(this.cfg.pushPullIntervalMs, this.table.liveCount());
      this.periodicPushPull();
    }
    if (now >= this.nextHousekeepingAt) {
      this.nextHousekeepingAt = now + this.cfg.housekeepingIntervalMs;
      this.housekeeping(now);
    }
  }

  private tickProbe(now: number): void {
    const p = this.probe;
    if (p !== null && !p.indirectSent && now >= p.timeoutAt) this.sendIndirect(p);
    if (p !== null && now >= p.endAt) this.finishProbe(p, false, now);
    if (this.probe === null && !this.leaving && now >= this.nextProbeAt) {
      const interval = this.awareness.scale(this.cfg.probeIntervalMs);
      this.nextProbeAt = now + interval;
      this.startProbe(now, interval);
    }
  }

  private startProbe(now: number, interval: number): void {
    const target = this.table.nextProbeTarget((m) => m.name !== this.name && isLive(m));
    if (target === undefined) return;
    this.stats.probes++;
    const seq = this.nextSeq();
    this.probe = {
      target: target.name, seq, timeoutAt: now + this.awareness.scale(this.cfg.probeTimeoutMs), endAt: now + interval,
      indirectSent: false, expectedNacks: 0, nacks: 0,
    };
    const ping: Message = { kind: 'ping', seq, target: target.name, sourceName: this.name, sourceAddr: this.addr };
    // Lifeguard's buddy system: tell a suspect it is suspected, so it refutes at once.
    const extra: Message[] = target.state === 'suspect'
      ? [{ kind: 'suspect', incarnation: target.incarnation, node: target.name, from: this.name }] : [];
    this.sendUdp(target.addr, ping, extra);
  }

  private sendIndirect(p: Probe): void {
    p.indirectSent = true;
    const target = this.table.get(p.target);
    if (target === undefined) return;
    const relays = this.table.pick(this.cfg.indirectChecks, (m) => m.state === 'alive' && m.name !== this.name && m.name !== p.target);
    p.expectedNacks = relays.length;
    for (const r of relays) {
      this.sendUdp(r.addr, {
        kind: 'indirectPing', seq: p.seq, target: target.name, targetAddr: target.addr, sourceName: this.name, sourceAddr: this.addr, wantNack: true,
      });
    }
  }

  private finishProbe(p: Probe, acked: boolean, now: number): void {
    this.probe = null;
    if (acked) {
      this.awareness.applyDelta(-1);
      return;
    }
    this.stats.failedProbes++;
    // Lifeguard: relays that did not even nack suggest our own network is the problem.
    this.awareness.applyDelta(p.expectedNacks > 0 ? p.expectedNacks - Math.min(p.nacks, p.expectedNacks) : 1);
    const m = this.table.get(p.target);
    // A failed probe of a member already suspect is an independent confirmation (Lifeguard), which shortens its timeout.
    if (m !== undefined && (m.state === 'alive' || m.state === 'suspect')) this.onSuspect({ kind: 'suspect', incarnation: m.incarnation, node: m.name, from: this.name }, now);
  }

  /** The next gossip round: the regular one, or sooner when there is news nobody got from us yet. */
  private gossipDueAt(): number {
    if (this.cfg.gossipEagerGapMs > 0 && this.queue.version !== this.gossipedVersion && this.table.size > 1 && this.queue.hasFresh()) {
      return Math.min(this.nextGossipAt, this.lastGossipAt + this.cfg.gossipEagerGapMs);
    }
    return this.nextGossipAt;
  }

  private gossip(now: number): void {
    this.gossipedVersion = this.queue.version;
    if (this.queue.length === 0) return;
    this.lastGossipAt = now;
    const targets = this.table.pick(this.cfg.gossipNodes, (m) =>
      m.name !== this.name && (isLive(m) || (m.state === 'dead' && now - m.stateChangedAt < this.cfg.gossipToTheDeadMs)));
    for (const t of targets) {
      const parts = this.queue.take(this.udpLimit - COMPOUND_HEADER);
      if (parts.length === 0) return;
      this.emitUdp(t.addr, parts);
    }
  }

  private periodicPushPull(): void {
    const live = this.table.pick(1, (m) => m.name !== this.name && isLive(m));
    const dead = this.table.all().filter((m) => m.name !== this.name && m.state === 'dead');
    // Serf-style reconnect: with probability dead/live, sync with a dead member instead,
    // so that the two sides of a healed partition find each other again.
    const liveCount = Math.max(1, this.table.liveCount() - 1);
    if (dead.length > 0 && (live.length === 0 || this.rand() < dead.length / liveCount)) {
      const d = dead[Math.floor(this.rand() * dead.length)]!;
      this.sendPushPull(d.addr, false, false);
      return;
    }
    const first = live[0];
    if (first !== undefined) this.sendPushPull(first.addr, false, false);
  }

  private housekeeping(now: number): void {
    for (const [k, at] of this.seenUser) if (now - at > this.cfg.userSeenMs) this.seenUser.delete(k);
    for (const m of this.table.all()) {
      if (m.name !== this.name && !isLive(m) && now - m.stateChangedAt > this.cfg.reapDeadAfterMs) this.table.remove(m.name);
    }
  }

  // ---- input ----

  /**
   * One opened (decrypted) packet. Replies go to the addresses the messages carry, as
   * a relay answers for someone else; the transport source is accepted for drivers and
   * logging but not trusted for routing. Malformed packets are counted and dropped.
   */
  receive(_fromAddr: string, packet: Uint8Array, now: number, transport: Transport = 'udp'): void {
    let msg: Message;
    try {
      msg = decodeMessage(packet, transport === 'udp' ? MAX_UDP_PACKET : MAX_TCP_PACKET);
    } catch (e) {
      if (e instanceof GossipDecodeError) {
        this.stats.malformed++;
        return;
      }
      throw e;
    }
    if (msg.kind === 'compound') for (const p of msg.parts) this.handle(p, now);
    else this.handle(msg, now);
  }

  private handle(m: Message, now: number): void {
    switch (m.kind) {
      case 'ping':
        // A ping for another name reached a reused address: that member is not us.
        if (m.target === this.name) this.sendUdp(m.sourceAddr, { kind: 'ack', seq: m.seq });
        return;
      case 'indirectPing': {
        const seq = this.nextSeq();
        this.relays.set(seq, { origSeq: m.seq, sourceAddr: m.sourceAddr, wantNack: m.wantNack, deadline: now + this.cfg.probeTimeoutMs });
        this.sendUdp(m.targetAddr, { kind: 'ping', seq, target: m.target, sourceName: this.name, sourceAddr: this.addr });
        return;
      }
      case 'ack': {
        const relay = this.relays.get(m.seq);
        if (relay !== undefined) {
          this.relays.delete(m.seq);
          this.sendUdp(relay.sourceAddr, { kind: 'ack', seq: relay.origSeq });
          return;
        }
        if (this.probe !== null && this.probe.seq === m.seq) this.finishProbe(this.probe, true, now);
        return;
      }
      case 'nack':
        if (this.probe !== null && this.probe.seq === m.seq) this.probe.nacks++;
        return;
      case 'alive':
        this.onAlive(m.node, m.addr, m.incarnation, now);
        return;
      case 'suspect':
        this.onSuspect(m, now);
        return;
      case 'dead':
        this.onDead(m, now);
        return;
      case 'pushPull':
        this.onPushPull(m, now);
        return;
      case 'user':
        this.onUser(m.origin, m.epoch, m.seq, m.payload, now);
        return;
      case 'compound':
        return; // decode rejects nesting; nothing to do
    }
  }

  private onPushPull(m: PushPullMsg, now: number): void {
    if (!m.reply) this.sendPushPull(m.senderAddr, m.join, true);
    else if (m.join && this.cfg.joinSyncs > 0 && this.joinSyncsLeft === 0) {
      // Our join went through: sync again with random members soon (see joinSyncs).
      this.joinSyncsLeft = this.cfg.joinSyncs;
      this.nextJoinSyncAt = now + Math.floor(this.cfg.joinSyncIntervalMs * (0.5 + this.rand()));
    }
    for (const s of m.states) {
      switch (s.state) {
        case 'alive':
          this.onAlive(s.name, s.addr, s.incarnation, now);
          break;
        case 'left':
          this.onDead({ kind: 'dead', incarnation: s.incarnation, node: s.name, from: s.name }, now);
          break;
        // Another member's "dead" is only its opinion: suspect, and let the member refute.
        case 'dead':
        case 'suspect':
          this.onSuspect({ kind: 'suspect', incarnation: s.incarnation, node: s.name, from: m.senderName }, now);
          break;
      }
    }
  }

  private onUser(origin: string, epoch: number, seq: number, payload: Uint8Array, now: number): void {
    if (origin === this.name) return;
    const key = userKey(origin, epoch, seq);
    if (this.seenUser.has(key)) return;
    this.seenUser.set(key, now);
    this.out.user.push({ origin, payload });
    this.queue.enqueue(key, encodeMessage({ kind: 'user', origin, epoch, seq, payload }), this.cfg.userRetransmitFactor);
  }

  // ---- membership rules (memberlist's aliveNode / suspectNode / deadNode) ----

  private onAlive(name: string, addr: string, incarnation: number, now: number): void {
    if (this.leaving && name === this.name) return;
    const m = this.table.get(name);
    if (m === undefined) {
      const fresh: Member = { name, addr, incarnation, state: 'alive', stateChangedAt: now };
      this.table.add(fresh);
      this.broadcastAlive(fresh);
      this.emit('joined', fresh);
      return;
    }
    const isSelf = name === this.name;
    let takesOver = false;
    if (addr !== m.addr) {
      // A name moving address is a conflict unless the old holder is gone.
      if (isSelf || isLive(m)) {
        this.stats.conflicts++;
        return;
      }
      takesOver = true;
    }
    if (isSelf) {
      // Someone holds a newer alive about us than we do: out-bid it.
      if (incarnation > m.incarnation) this.refute(m, incarnation);
      return;
    }
    if (incarnation <= m.incarnation && !takesOver) return;
    this.suspicions.delete(name);
    const old = m.state;
    m.incarnation = incarnation;
    m.addr = addr;
    if (old !== 'alive') this.table.setState(m, 'alive', now);
    this.broadcastAlive(m);
    if (old === 'dead' || old === 'left') this.emit('joined', m);
    else if (old === 'suspect' || takesOver) this.emit('updated', m);
  }

  private onSuspect(s: SuspectMsg, now: number): void {
    const m = this.table.get(s.node);
    if (m === undefined || s.incarnation < m.incarnation) return;
    const timer = this.suspicions.get(s.node);
    if (timer !== undefined) {
      // Lifeguard: an independent accuser shortens the timeout; pass the news on.
      if (timer.confirm(s.from)) this.queue.enqueue(s.node, encodeMessage(s));
      return;
    }
    if (m.state !== 'alive') return;
    if (s.node === this.name) {
      if (!this.leaving) this.refute(m, s.incarnation);
      return;
    }
    m.incarnation = s.incarnation;
    this.table.setState(m, 'suspect', now);
    this.queue.enqueue(s.node, encodeMessage({ kind: 'suspect', incarnation: s.incarnation, node: s.node, from: s.from }));
    this.emit('updated', m);
    const n = this.table.liveCount();
    // k = mult - 2 confirmations expected; none in a cluster too small to provide them.
    let k = this.cfg.suspicionMult - 2;
    if (n - 2 < k) k = 0;
    const minMs = suspicionMinMs(this.cfg.suspicionMult, n, this.cfg.probeIntervalMs);
    this.suspicions.set(s.node, new Suspicion(s.from, k, minMs, minMs * this.cfg.suspicionMaxTimeoutMult, now));
  }

  private onDead(d: DeadMsg, now: number): void {
    const m = this.table.get(d.node);
    if (m === undefined || d.incarnation < m.incarnation) return;
    if (m.state === 'dead' || m.state === 'left') return;
    if (d.node === this.name && !this.leaving) {
      this.refute(m, d.incarnation);
      return;
    }
    this.suspicions.delete(d.node);
    m.incarnation = d.incarnation;
    const left = d.from === d.node;
    this.table.setState(m, left ? 'left' : 'dead', now);
    this.queue.enqueue(d.node, encodeMessage({ kind: 'dead', incarnation: d.incarnation, node: d.node, from: d.from }));
    this.emit(left ? 'left' : 'failed', m);
  }

  /** We were accused: out-bid the accusation and tell everyone we are alive. */
  private refute(me: Member, accused: number): void {
    this.stats.refutations++;
    // Incarnations are u32 on the wire; at the ceiling we cannot out-bid, only not crash.
    me.incarnation = Math.min(MAX_INCARNATION, Math.max(me.incarnation, accused) + 1);
    this.broadcastAlive(me);
    // Lifeguard: being suspected hints that we answer too slowly; probe more gently.
    this.awareness.applyDelta(1);
  }

  // ---- output ----

  private self(): Member {
    const me = this.table.get(this.name);
    if (me === undefined) throw new Error('gossip core lost its own member entry');
    return me;
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  private emit(type: MemberEvent['type'], m: Member): void {
    this.out.events.push({ type, member: info(m) });
  }

  private broadcastAlive(m: Member): void {
    this.queue.enqueue(m.name, encodeMessage({ kind: 'alive', incarnation: m.incarnation, node: m.name, addr: m.addr }));
  }

  private sendPushPull(addr: string, join: boolean, reply: boolean): void {
    const states: PushPullEntry[] = this.table.all().map((m) => ({ name: m.name, addr: m.addr, incarnation: m.incarnation, state: m.state }));
    const msg: Message = { kind: 'pushPull', join, reply, senderName: this.name, senderAddr: this.addr, states };
    this.out.sends.push({ to: addr, transport: 'tcp', packet: encodeMessage(msg) });
  }

  /** Sends a message over UDP with as many pending broadcasts as fit beside it. */
  private sendUdp(addr: string, msg: Message, extra: Message[] = []): void {
    const parts = [encodeMessage(msg), ...extra.map(encodeMessage)];
    let used = COMPOUND_HEADER;
    for (const p of parts) used += p.length + COMPOUND_PART_OVERHEAD;
    parts.push(...this.queue.take(this.udpLimit - used));
    this.emitUdp(addr, parts);
  }

  private emitUdp(addr: string, parts: Uint8Array[]): void {
    let rest = parts;
    while (rest.length > 0) {
      const { packet, count } = packCompound(rest, this.udpLimit);
      this.out.sends.push({ to: addr, transport: 'udp', packet });
      rest = rest.slice(count);
    }
  }
}

function userKey(origin: string, epoch: number, seq: number): string {
  return `user\u0000${origin}\u0000${epoch}\u0000${seq}`;
}

function info(m: Member): MemberInfo {
  return { name: m.name, addr: m.addr, incarnation: m.incarnation, state: m.state };
}
