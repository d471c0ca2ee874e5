// The nemesis: the faults of the active phase. Crashes (with loss of unsynced
// writes), process pauses, partitions of every shape (isolation, splits,
// one-way links, bridges), network storms, and strikes timed to the moments
// Raft is most fragile: right after an election, right after a commit.

import type { ConfState } from '../../manager/raft/core/types.js';
import type { VirtualClock } from './clock.js';
import type { ClientOp } from './history.js';
import type { Network } from './network.js';
import type { SimNode } from './node.js';
import type { SimParams } from './params.js';
import type { Prng } from './prng.js';
import type { SimStats } from './stats.js';

type Node = SimNode<ClientOp>;

export interface NemesisWorld {
  readonly clock: VirtualClock;
  readonly net: Network;
  readonly params: SimParams;
  readonly stats: SimStats;
  readonly nodes: readonly Node[];
  /** Faults only happen while this is true. */
  active(): boolean;
  leader(): Node | undefined;
  members(): ConfState;
  /** Crashes a node; it restarts by itself after `downMs`. */
  crash(node: Node, downMs: number): void;
  restart(node: Node): void;
  log(line: () => string): void;
}

function shuffled<T>(rng: Prng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export class Nemesis {
  private partitionUntil = 0;
  private stormUntil = 0;

  constructor(
    private readonly w: NemesisWorld,
    private readonly rng: Prng,
  ) {}

  start(): void {
    const gap = this.w.params.faultGapMs;
    // Faults come in bursts with calm spells between, so that the cluster also
    // gets to make progress (and the history gets operations that complete).
    const calm = this.rng.chance(0.15) ? this.rng.range(500, 2500) : 0;
    this.w.clock.after(calm + this.rng.range(gap / 2, gap * 2), 'fault', () => {
      if (!this.w.active()) return;
      this.fault();
      this.start();
    });
  }

  private upNodes(): Node[] {
    return this.w.nodes.filter((n) => n.state === 'up');
  }

  /** The leader half the time (if there is one), else any of `pool`. */
  private victim(pool: readonly Node[]): Node {
    const l = this.w.leader();
    return l && this.rng.chance(0.4) ? l : this.rng.pick(pool);
  }

  private fault(): void {
    const { rng, w } = this;
    const up = this.upNodes();
    const r = rng.float();
    if (r < 0.3) {
      // Crash: usually a minority, sometimes more.
      const down = w.nodes.filter((n) => n.state === 'down').length;
      const voters = w.members().voters.length;
      if (up.length === 0 || (down >= Math.floor(voters / 2) && !rng.chance(0.15))) return;
      w.crash(this.victim(up), rng.range(10, 1000));
    } else if (r < 0.55) {
      if (w.clock.now >= this.partitionUntil) this.partition();
    } else if (r < 0.7) {
      if (up.length === 0) return;
      const v = this.victim(up);
      const ms = rng.range(20, 500);
      v.pausedUntil = Math.max(v.pausedUntil, w.clock.now + ms);
      w.stats.pauses++;
      w.log(() => `nemesis: pause ${v.id} for ${ms} ms`);
    } else if (r < 0.8) {
      if (w.clock.now >= this.stormUntil) this.storm();
    } else if (r < 0.9) {
      // Bring a crashed node back early.
      const down = w.nodes.filter((n) => n.state === 'down');
      if (down.length > 0) w.restart(rng.pick(down));
    }
    // else: a quiet spell
  }

  private storm(): void {
    const { rng, w } = this;
    const ms = rng.range(100, 1500);
    this.stormUntil = w.clock.now + ms;
    w.net.profile = {
      ...w.params.net,
      drop: rng.pick([0.1, 0.3, 0.6]),
      duplicate: rng.pick([0.05, 0.2]),
      slow: rng.pick([0.1, 0.3]),
      slowDelay: rng.pick([100, 1000]),
    };
    w.stats.storms++;
    w.log(() => `nemesis: storm for ${ms} ms`);
    w.clock.after(ms, 'storm-end', () => {
      if (w.active()) w.net.profile = { ...w.params.net };
    });
  }

  private cutBoth(groupA: readonly string[], groupB: readonly string[]): void {
    for (const x of groupA) {
      for (const y of groupB) {
        this.w.net.cutLink(x, y);
        this.w.net.cutLink(y, x);
      }
    }
  }

  private partition(): void {
    const { rng, w } = this;
    const ids = w.nodes.filter((n) => n.state !== 'gone').map((n) => n.id);
    if (ids.length < 2) return;
    const ms = rng.range(50, 2000);
    const l = w.leader();
    const someone = (): string => (l && rng.chance(0.5) ? l.id : rng.pick(ids));
    let desc: string;
    switch (rng.int(4)) {
      case 0: {
        // Isolate one member, both ways.
        const x = someone();
        this.cutBoth([x], ids.filter((y) => y !== x));
        desc = `isolate ${x}`;
        break;
      }
      case 1: {
        const s = shuffled(rng, ids);
        const k = rng.range(1, s.length - 1);
        this.cutBoth(s.slice(0, k), s.slice(k));
        desc = `split [${s.slice(0, k)}] | [${s.slice(k)}]`;
        break;
      }
      case 2: {
        // One way: x hears but cannot speak, or speaks but cannot hear.
        const x = someone();
        const outbound = rng.chance(0.5);
        for (const y of ids) {
          if (y === x) continue;
          if (outbound) w.net.cutLink(x, y);
          else w.net.cutLink(y, x);
        }
        desc = `${x} ${outbound ? 'cannot send' : 'cannot receive'}`;
        break;
      }
      default: {
        // Two groups that only one member (the bridge) connects.
        if (ids.length < 3) return;
        const s = shuffled(rng, ids);
        const rest = s.slice(1);
        const k = rng.range(1, rest.length - 1);
        this.cutBoth(rest.slice(0, k), rest.slice(k));
        desc = `bridge ${s[0]} between [${rest.slice(0, k)}] and [${rest.slice(k)}]`;
      }
    }
    w.stats.partitions++;
    this.partitionUntil = w.clock.now + ms;
    w.log(() => `nemesis: partition ${desc} for ${ms} ms`);
    w.clock.after(ms, 'heal', () => {
      w.net.healAll();
      w.log(() => 'nemesis: partition healed');
    });
  }

  /**
   * A node just became leader. Runs inside its Ready, before that Ready's
   * messages are sent: sometimes its first messages go nowhere, or it dies
   * almost at once (Figure 8 needs such leaders, several in a row).
   */
  onNewLeader(node: Node): void {
    const { rng, w } = this;
    if (!w.active() || !rng.chance(w.params.strikeNewLeader)) return;
    if (rng.chance(0.5) && w.clock.now >= this.partitionUntil) {
      const ms = rng.range(5, 300);
      for (const n of w.nodes) if (n !== node) w.net.cutLink(node.id, n.id);
      this.partitionUntil = w.clock.now + ms;
      w.stats.partitions++;
      w.log(() => `nemesis: new leader ${node.id} cannot send for ${ms} ms`);
      w.clock.after(ms, 'heal', () => w.net.healAll());
    } else {
      w.log(() => `nemesis: new leader ${node.id} dies at once`);
      this.crashSoon(node, rng.range(0, 20));
    }
  }

  /** A leader's commit index moved (inside its Ready): what it counts committed may sit on a bare majority. */
  onLeaderCommit(node: Node, commit: number): void {
    const { rng, w } = this;
    if (!w.active() || !rng.chance(w.params.strikeOnCommit)) return;
    w.log(() => `nemesis: ${node.id} dies right after committing ${commit}`);
    this.crashSoon(node, rng.range(0, 3));
  }

  /** Crashes are never done inside a Ready: the node would be torn down under its own feet. */
  private crashSoon(node: Node, ms: number): void {
    const { rng, w } = this;
    w.clock.after(ms, 'fault', () => {
      if (node.state === 'up' && w.active()) w.crash(node, rng.range(10, 1000));
    });
  }
}
