// A deterministic world for gossip cores: a virtual clock, a seeded PRNG, and a
// network that can lose, delay and partition packets. Node addresses are their names.

import { GossipCore } from '../../../worker/gossip/core/gossip.js';
import type { MemberEvent, UserDelivery } from '../../../worker/gossip/core/gossip.js';
import type { GossipConfig } from '../../../worker/gossip/config.js';
import { Keyring, SEAL_OVERHEAD } from '../../../worker/gossip/keyring.js';
import { encodeMessage } from '../../../worker/gossip/codec.js';
import type { Message } from '../../../worker/gossip/codec.js';
import { mulberry32 } from '../prng.js';

export { mulberry32 };

interface Ev {
  at: number;
  order: number;
  kind: 'wake' | 'deliver';
  node: string;
  from?: string;
  packet?: Uint8Array;
  tcp?: boolean;
}

class Heap {
  private a: Ev[] = [];
  get size(): number { return this.a.length; }
  private less(x: Ev, y: Ev): boolean { return x.at < y.at || (x.at === y.at && x.order < y.order); }
  push(e: Ev): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  peek(): Ev | undefined { return this.a[0]; }
  pop(): Ev | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

export interface SimNode {
  core: GossipCore;
  down: boolean;
  events: { at: number; ev: MemberEvent }[];
  user: UserDelivery[];
  wakeAt: number;
}

export interface SimOptions {
  seed: number;
  /** UDP loss probability, 0..1. */
  loss?: number;
  config?: Partial<GossipConfig>;
  /** Seal every packet with a shared keyring, as the driver will. */
  encrypt?: boolean;
}

export class Sim {
  now = 0;
  readonly nodes = new Map<string, SimNode>();
  readonly rand: () => number;
  loss: number;
  udpSent = 0;
  udpDropped = 0;
  maxUdpBytes = 0;
  private readonly heap = new Heap();
  private order = 0;
  private isolated = new Set<string>();
  private readonly keyring: Keyring | undefined;

  constructor(private readonly opts: SimOptions) {
    this.rand = mulberry32(opts.seed);
    this.loss = opts.loss ?? 0;
    if (opts.encrypt === true) {
      const key = new Uint8Array(32).map(() => Math.floor(this.rand() * 256));
      this.keyring = new Keyring([key], { label: 'sim' });
    }
  }

  add(name: string): GossipCore {
    const core = new GossipCore({
      name, addr: name, now: this.now, rand: mulberry32(Math.floor(this.rand() * 2 ** 32)),
      config: this.opts.config, sealOverhead: this.keyring === undefined ? 0 : SEAL_OVERHEAD,
    });
    this.nodes.set(name, { core, down: false, events: [], user: [], wakeAt: Infinity });
    this.flush(name);
    return core;
  }

  node(name: string): SimNode {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  /** Runs a command on a node's core and routes what it produced. */
  act(name: string, f: (c: GossipCore) => void): void {
    f(this.node(name).core);
    this.flush(name);
  }

  /** Delivers a hand-made message to a node as if `from` had sent it. */
  inject(to: string, from: string, msg: Message): void {
    this.node(to).core.receive(from, encodeMessage(msg), this.now, 'udp');
    this.flush(to);
  }

  /** The node stops answering and ticking (a crash or a hung process). */
  stop(name: string): void {
    this.node(name).down = true;
  }

  isolate(names: readonly string[]): void {
    this.isolated = new Set(names);
  }

  heal(): void {
    this.isolated = new Set();
  }

  private cut(a: string, b: string): boolean {
    return this.isolated.has(a) !== this.isolated.has(b);
  }

  private flush(name: string): void {
    const n = this.node(name);
    const r = n.core.ready();
    for (const ev of r.events) n.events.push({ at: this.now, ev });
    n.user.push(...r.user);
    for (const s of r.sends) {
      let packet = s.packet;
      if (this.keyring !== undefined) packet = this.keyring.seal(packet);
      if (s.transport === 'udp') {
        this.udpSent++;
        this.maxUdpBytes = Math.max(this.maxUdpBytes, packet.length);
        if (this.rand() < this.loss) {
          this.udpDropped++;
          continue;
        }
      }
      const delay = s.transport === 'udp' ? 0.5 + this.rand() * 1.5 : 2 + this.rand() * 3;
      this.heap.push({ at: this.now + delay, order: this.order++, kind: 'deliver', node: s.to, from: name, packet, tcp: s.transport === 'tcp' });
    }
    const wake = n.core.nextWake();
    if (wake !== n.wakeAt || n.wakeAt <= this.now) {
      n.wakeAt = Math.max(wake, this.now);
      this.heap.push({ at: n.wakeAt, order: this.order++, kind: 'wake', node: name });
    }
  }

  private step(e: Ev): void {
    this.now = Math.max(this.now, e.at);
    const n = this.nodes.get(e.node);
    if (n === undefined || n.down) return;
    if (e.kind === 'wake') {
      if (e.at !== n.wakeAt) return;
      n.core.tick(this.now);
    } else {
      if (e.from === undefined || e.packet === undefined || this.cut(e.from, e.node)) return;
      const src = this.nodes.get(e.from);
      if (src === undefined || src.down) return; // a dead sender's in-flight TCP stream breaks
      let packet: Uint8Array | undefined = e.packet;
      if (this.keyring !== undefined) packet = this.keyring.open(packet);
      if (packet === undefined) throw new Error('sim: a sealed packet did not open');
      n.core.receive(e.from, packet, this.now, e.tcp === true ? 'tcp' : 'udp');
    }
    this.flush(e.node);
  }

  runFor(ms: number): void {
    this.runUntil(() => false, ms);
  }

  /** Runs until `done` holds (checked every 10 ms of simulated time) or `maxMs` pass; true if done. */
  runUntil(done: () => boolean, maxMs: number): boolean {
    const end = this.now + maxMs;
    let nextCheck = this.now;
    for (;;) {
      const e = this.heap.peek();
      const at = e === undefined ? Infinity : e.at;
      if (nextCheck <= at && nextCheck <= end) {
        this.now = Math.max(this.now, nextCheck);
        if (done()) return true;
        nextCheck += 10;
        continue;
      }
      if (at > end) {
        this.now = end;
        return done();
      }
      this.step(this.heap.pop()!);
    }
  }

  /** Every running node sees every name in `names` in `state`. */
  allSee(names: readonly string[], state: string, among: readonly string[] = [...this.nodes.keys()]): boolean {
    for (const o of among) {
      const n = this.node(o);
      if (n.down) continue;
      for (const name of names) if (n.core.member(name)?.state !== state) return false;
    }
    return true;
  }
}

export function names(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `n${i}`);
}

/** Starts n nodes that all join through n0 and waits until everyone sees everyone alive. */
export function cluster(sim: Sim, n: number, maxMs = 60_000): { names: string[]; convergedMs: number } {
  const all = names(n);
  const t0 = sim.now;
  for (const name of all) sim.add(name);
  for (const name of all.slice(1)) sim.act(name, (c) => c.join(['n0']));
  const ok = sim.runUntil(() => sim.allSee(all, 'alive'), maxMs);
  if (!ok) throw new Error(`cluster of ${n} did not converge within ${maxMs} ms`);
  return { names: all, convergedMs: sim.now - t0 };
}
