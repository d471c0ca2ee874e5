// Membership changes and leadership transfers during the active phase, driven
// through the leader as an operator would: add a brand-new member as a
// learner, promote it once it has caught up, remove voters (the leader too)
// and learners, never below one voter; member ids are never reused.

import { ConfChangeType, type ConfChange, type ConfState, type NodeId } from '../../manager/raft/core/types.js';
import type { VirtualClock } from './clock.js';
import type { ClientOp } from './history.js';
import type { SimNode } from './node.js';
import type { SimParams } from './params.js';
import type { Prng } from './prng.js';
import type { SimStats } from './stats.js';

type Node = SimNode<ClientOp>;

export interface MembershipWorld {
  readonly clock: VirtualClock;
  readonly params: SimParams;
  readonly stats: SimStats;
  /** How many voters the cluster was founded with: changes hover around it. */
  readonly foundingVoters: number;
  /** Changes are only made while this is true. */
  active(): boolean;
  leader(): Node | undefined;
  node(id: NodeId): Node | undefined;
  /** Creates and starts a member with an empty disk and a new id. */
  addNode(): Node;
  log(line: () => string): void;
}

export class Membership {
  /** A member created and proposed as a learner, not yet seen applied. */
  private joining: NodeId | undefined;
  private pendingTransfer: { to: NodeId; until: number } | undefined;
  private readonly counted = new Set<number>();

  constructor(
    private readonly w: MembershipWorld,
    private readonly rng: Prng,
    /** Conf changes at or below this index are the bootstrap's, not ours. */
    private readonly bootstrapEntries: number,
  ) {}

  start(): void {
    this.scheduleChange();
    this.scheduleTransfer();
  }

  private scheduleChange(): void {
    const gap = this.w.params.membershipGapMs;
    this.w.clock.after(this.rng.range(gap / 2, gap * 2), 'membership', () => {
      if (!this.w.active()) return;
      this.change();
      this.scheduleChange();
    });
  }

  private choose(l: Node): ConfChange | undefined {
    const { rng, w } = this;
    const conf = l.conf;
    const status = l.core().status();
    // Promote a learner that has caught up.
    for (const id of conf.learners) {
      const pr = status.progress?.[id];
      if (pr && pr.match >= status.hardState.commit && rng.chance(0.8)) return { type: ConfChangeType.AddVoter, node: id };
    }
    if (this.joining !== undefined) {
      // Propose the member we created again, if the first proposal was lost.
      const j = w.node(this.joining);
      if (j && j.state !== 'gone' && !conf.learners.includes(j.id) && !conf.voters.includes(j.id)) {
        return { type: ConfChangeType.AddLearner, node: j.id };
      }
      this.joining = undefined;
    }
    const members = conf.voters.length + conf.learners.length;
    const wantMore = conf.voters.length < w.foundingVoters;
    const r = rng.float();
    if (members < w.params.maxMembers && (wantMore ? r < 0.7 : r < 0.35)) {
      const fresh = w.addNode();
      this.joining = fresh.id;
      w.log(() => `membership: new member ${fresh.id} created`);
      return { type: ConfChangeType.AddLearner, node: fresh.id };
    }
    if (conf.learners.length > 0 && rng.chance(0.2)) return { type: ConfChangeType.RemoveNode, node: rng.pick(conf.learners) };
    if (conf.voters.length > 1 && (!wantMore || conf.voters.length > 2)) {
      // Never below one voter; the leader itself may go.
      return { type: ConfChangeType.RemoveNode, node: rng.pick(conf.voters) };
    }
    return undefined;
  }

  private change(): void {
    const l = this.w.leader();
    if (!l) return;
    const cc = this.choose(l);
    if (!cc) return;
    const err = l.core().proposeConfChange(cc);
    this.w.stats.confChangesProposed++;
    this.w.log(() => `membership: ${l.id} proposes ${ConfChangeType[cc.type]} ${cc.node}${err ? ` -> ${err.code}` : ''}`);
    l.handle();
  }

  private scheduleTransfer(): void {
    const { rng, w } = this;
    const gap = w.params.transferGapMs;
    w.clock.after(rng.range(gap / 2, gap * 2), 'transfer', () => {
      if (!w.active()) return;
      const l = w.leader();
      const others = l ? l.conf.voters.filter((v) => v !== l.id) : [];
      if (l && others.length > 0) {
        const to = rng.pick(others);
        w.stats.transfersRequested++;
        this.pendingTransfer = { to, until: w.clock.now + 2000 };
        w.log(() => `transfer: ${l.id} hands leadership to ${to}`);
        l.core().transferLeadership(to);
        l.handle();
      }
      this.scheduleTransfer();
    });
  }

  onNewLeader(node: Node): void {
    if (this.pendingTransfer?.to !== node.id) return;
    if (this.w.clock.now <= this.pendingTransfer.until) this.w.stats.transfersDone++;
    this.pendingTransfer = undefined;
  }

  /** Some member applied a conf change (every member applies each one; count it once). */
  onApplied(by: Node, cc: ConfChange, conf: ConfState, index: number): void {
    const w = this.w;
    if (index > this.bootstrapEntries && !this.counted.has(index)) {
      this.counted.add(index);
      w.stats.confChangesApplied++;
      if (cc.type === ConfChangeType.RemoveNode) w.stats.membersRemoved++;
      if (cc.type === ConfChangeType.AddLearner) w.stats.membersAdded++;
      w.log(
        () =>
          `conf change @${index} applied first by ${by.id}: ${ConfChangeType[cc.type]} ${cc.node} -> voters [${conf.voters}] learners [${conf.learners}]`,
      );
    }
    if (cc.node === this.joining && cc.type === ConfChangeType.AddLearner) this.joining = undefined;
    if (cc.type !== ConfChangeType.RemoveNode) return;
    const gone = w.node(cc.node);
    if (!gone || gone.state === 'gone') return;
    // The removed process keeps running a while, as a real one would until its operator stops it.
    w.clock.after(this.rng.range(0, 500), 'retire', () => {
      if (gone.state === 'gone') return;
      w.log(() => `${gone.id} retired (removed from the cluster)`);
      gone.retire();
    });
  }
}
