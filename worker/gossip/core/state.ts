// The member table: what this node believes about every member it has heard of,
// and the order in which it probes them (a shuffled round-robin, as SWIM prescribes,
// so every member is probed within a bounded number of rounds).

import type { MemberState } from '../codec.js';

export type { MemberState };

export interface Member {
  name: string;
  addr: string;
  /** Only the member itself raises it, to refute suspicion or rejoin. */
  incarnation: number;
  state: MemberState;
  /** When `state` last changed, in the caller's milliseconds. */
  stateChangedAt: number;
}

export function isLive(m: Member): boolean {
  return m.state === 'alive' || m.state === 'suspect';
}

export class MemberTable {
  private readonly byName = new Map<string, Member>();
  private order: string[] = [];
  private cursor = 0;
  /** Members alive or suspect, kept current by add/remove/setState (asked for per packet). */
  private live = 0;

  constructor(private readonly rand: () => number) {}

  get(name: string): Member | undefined {
    return this.byName.get(name);
  }

  all(): Member[] {
    return [...this.byName.values()];
  }

  get size(): number {
    return this.byName.size;
  }

  liveCount(): number {
    return this.live;
  }

  /** Changes a member's state; the only way state may change, so the live count stays right. */
  setState(m: Member, state: MemberState, now: number): void {
    if (isLive(m)) this.live--;
    m.state = state;
    m.stateChangedAt = now;
    if (isLive(m)) this.live++;
  }

  /** Adds a member at a random place in the probe order, so newcomers are not all probed last. */
  add(m: Member): void {
    const old = this.byName.get(m.name);
    if (old !== undefined) this.remove(m.name);
    this.byName.set(m.name, m);
    if (isLive(m)) this.live++;
    const at = Math.floor(this.rand() * (this.order.length + 1));
    this.order.splice(at, 0, m.name);
  }

  remove(name: string): void {
    const m = this.byName.get(name);
    if (m === undefined) return;
    if (isLive(m)) this.live--;
    this.byName.delete(name);
    const i = this.order.indexOf(name);
    if (i >= 0) {
      this.order.splice(i, 1);
      if (i < this.cursor) this.cursor--;
    }
  }

  /** Next member to probe that passes `eligible`; reshuffles after each full pass. */
  nextProbeTarget(eligible: (m: Member) => boolean): Member | undefined {
    for (let checked = 0; checked <= this.order.length; checked++) {
      if (this.cursor >= this.order.length) {
        this.shuffle();
        this.cursor = 0;
      }
      const name = this.order[this.cursor++];
      const m = name === undefined ? undefined : this.byName.get(name);
      if (m !== undefined && eligible(m)) return m;
    }
    return undefined;
  }

  /** Up to `k` distinct members passing `eligible`, chosen uniformly. */
  pick(k: number, eligible: (m: Member) => boolean): Member[] {
    // Usually most members are eligible: draw at random and reject, which is uniform
    // too, and costs O(k) instead of a pass over a table of thousands.
    const out: Member[] = [];
    const n = this.order.length;
    for (let tries = 0; tries < 4 * k + 8 && out.length < k && n > 0; tries++) {
      const m = this.byName.get(this.order[Math.floor(this.rand() * n)]!);
      if (m !== undefined && eligible(m) && !out.includes(m)) out.push(m);
    }
    if (out.length === k) return out;
    return this.pickByScan(k, eligible);
  }

  private pickByScan(k: number, eligible: (m: Member) => boolean): Member[] {
    const pool = this.order.map((n) => this.byName.get(n)).filter((m): m is Member => m !== undefined && eligible(m));
    const out: Member[] = [];
    while (out.length < k && pool.length > 0) {
      const i = Math.floor(this.rand() * pool.length);
      out.push(pool[i]!);
      pool[i] = pool[pool.length - 1]!;
      pool.pop();
    }
    return out;
  }

  private shuffle(): void {
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = Math.floor(this.rand() * (i + 1));
      const t = this.order[i]!;
      this.order[i] = this.order[j]!;
      this.order[j] = t;
    }
  }
}
