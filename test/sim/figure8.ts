// A scripted prelude that drives a five-member cluster through Figure 8 of
// the Raft paper, the schedule in which a leader that commits an entry of an
// earlier term by counting replicas loses it:
//
//  1. A leads and replicates its first entry everywhere; then, with C, D, E
//     down, A replicates one more entry W only to B.
//  2. A and B go down; C, D, E come back; one of them, D, wins a later term,
//     appends its own entry at W's index and goes down before sending it.
//  3. A and B come back; one of them, A', leads a still later term, cut off
//     from E. It sends W to C. A majority (A, B, C) now stores W: a core with
//     commitPriorTermByCount commits it. A' goes down before C gets A''s own entry.
//  4. D comes back: its last term beats C's and E's, so it wins and overwrites
//     W, a committed entry. A correct core never committed W, so nothing is lost.
//
// Roles are assigned from whoever actually wins each election, and each stage
// waits for what it needs (or gives up after a deadline and lets the ordinary
// random run continue), so the real core's timing decides, not a fixed script.

import type { NodeId } from '../../manager/raft/core/types.js';
import type { Prng } from './prng.js';

/** What the director reads of a member. */
export interface Member {
  readonly id: NodeId;
  readonly state: 'up' | 'down' | 'gone';
  readonly commit: number;
  readonly term: number;
  readonly isLeader: boolean;
  readonly disk: { live: { lastIndex(): number } };
}

/** What the director may do to the cluster. */
export interface Stage<N> {
  nodes(): readonly N[];
  leader(): N | undefined;
  crash(n: N): void;
  restart(n: N): void;
  cut(from: NodeId, to: NodeId): void;
  healAll(): void;
  /** Proposes a write at `n` that the history records as indeterminate; returns false if refused. */
  proposeMarked(n: N): boolean;
  /** Runs `fn` `ms` virtual ms from now (for actions that must not run inside a Ready). */
  later(ms: number, fn: () => void): void;
  now(): number;
  log(line: () => string): void;
}

const STAGE_DEADLINE_MS = 6_000;

export class Figure8<N extends Member> {
  private stage = 0;
  private stageStarted = 0;
  private a: N | undefined;
  private b: N | undefined;
  private others: N[] = [];
  private d: N | undefined;
  private termD = 0;
  private wIndex = 0;
  private aPrime: N | undefined;
  private c: N | undefined;
  private e: N | undefined;
  private pending = false;
  /** Stage 3 saw A' hold W committed (a buggy core: with W on a bare majority; a correct one: with its own entry). */
  wCommitted = false;
  finished = false;
  abandoned = false;

  constructor(
    private readonly world: Stage<N>,
    private readonly rng: Prng,
  ) {}

  private next(): void {
    this.stage++;
    this.stageStarted = this.world.now();
    this.pending = false;
    this.world.log(() => `figure8: stage ${this.stage}`);
  }

  private finish(abandoned: boolean): void {
    this.finished = true;
    this.abandoned = abandoned;
    this.world.log(() => `figure8: ${abandoned ? `abandoned in stage ${this.stage}` : 'done'}`);
  }

  /** Called every few virtual ms; returns true when the prelude is over. */
  poll(): boolean {
    if (this.finished) return true;
    const w = this.world;
    if (this.stage > 0 && w.now() - this.stageStarted > STAGE_DEADLINE_MS) {
      this.finish(true);
      return true;
    }
    if (this.pending) return false;
    switch (this.stage) {
      case 0: {
        // Wait for a leader whose first entry every member stores.
        const l = w.leader();
        if (!l || l.commit < l.disk.live.lastIndex()) return false;
        const last = l.disk.live.lastIndex();
        if (!w.nodes().every((n) => n.state === 'up' && n.disk.live.lastIndex() === last && n.term === l.term)) return false;
        this.a = l;
        const rest = w.nodes().filter((n) => n !== l);
        this.b = this.rng.pick(rest);
        this.others = rest.filter((n) => n !== this.b);
        for (const n of this.others) {
          w.crash(n);
          // Messages already on their way must not reach them after they restart either.
          w.cut(l.id, n.id);
          w.cut(this.b.id, n.id);
        }
        if (!w.proposeMarked(l)) {
          this.finish(true);
          return true;
        }
        this.wIndex = l.disk.live.lastIndex();
        this.next();
        return false;
      }
      case 1: {
        // W reached B (and only B): take A and B down, bring the other three back.
        const a = this.a!;
        const b = this.b!;
        if (b.disk.live.lastIndex() < this.wIndex) {
          if (a.state !== 'up' || !a.isLeader) this.finish(true);
          return this.finished;
        }
        w.crash(a);
        w.crash(b);
        for (const n of this.others) w.restart(n);
        this.next();
        return false;
      }
      case 2:
        // Waiting for onLeader to see D win.
        return false;
      case 3:
        // Waiting for onCommit to see A' reach a majority for W.
        return false;
      case 4: {
        const l = w.leader();
        if (!l) return false;
        w.log(() => `figure8: ${l.id} leads after ${this.aPrime?.id} held W (index ${this.wIndex}) committed; D was ${this.d?.id}`);
        this.finish(false);
        return true;
      }
    }
    return false;
  }

  /** Runs inside a Ready, before its messages are sent. */
  onLeader(n: N): void {
    const w = this.world;
    if (this.finished) return;
    if (this.stage === 2 && this.others.includes(n)) {
      // D must keep its new entry to itself: cut it off before this Ready's messages leave.
      this.d = n;
      this.termD = n.term;
      for (const m of w.nodes()) if (m !== n) w.cut(n.id, m.id);
      this.pending = true;
      w.later(this.rng.range(1, 10), () => {
        w.crash(n);
        w.healAll();
        const rest = this.others.filter((m) => m !== n);
        this.c = this.rng.pick(rest);
        this.e = rest.find((m) => m !== this.c)!;
        // E must not hear from A or B: it has to vote for D at the end.
        for (const x of [this.a!, this.b!]) {
          w.cut(x.id, this.e.id);
          w.cut(this.e.id, x.id);
        }
        w.restart(this.a!);
        w.restart(this.b!);
        this.next();
      });
    }
  }

  /** Runs inside a Ready, before its messages are sent. */
  onCommit(n: N, commit: number): void {
    const w = this.world;
    if (this.finished || this.stage !== 3 || this.pending) return;
    if ((n !== this.a && n !== this.b) || !n.isLeader || n.term <= this.termD) return;
    if (commit < this.wIndex) return;
    // A' holds W committed. A buggy core got here with W on A, B, C only; stop
    // A''s own entry from reaching C, then take A and B down and bring D back.
    this.aPrime = n;
    this.wCommitted = true;
    w.cut(n.id, this.c!.id);
    this.pending = true;
    w.later(this.rng.range(1, 5), () => {
      w.crash(this.a!);
      w.crash(this.b!);
      w.healAll();
      w.restart(this.d!);
      this.next();
    });
  }
}
