// Leader only: makes Raft membership follow the nodes' desired roles, and keeps each
// manager's role and reachability in the store current. Promotion is driven by the
// promoted node itself (it renews its certificate and asks to join Raft); demotion
// happens here, so the quorum check and the removal are made by the one who leads.
import type { ManagerContext } from '../context.js';
import type { Node, NodeContent } from '../store/index.js';
import { quorumView } from './quorum.js';
import { majority } from '../context.js';

const PERIOD_MS = 1_000;

export class RoleReconciler {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly ctx: ManagerContext) {}

  setLeader(leader: boolean): void {
    if (leader && !this.timer) {
      this.timer = setInterval(() => this.kick(), PERIOD_MS);
      this.kick();
    } else if (!leader && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  stop(): void {
    this.setLeader(false);
  }

  kick(): void {
    if (this.busy || !this.ctx.raft.isLeader()) return;
    this.busy = true;
    this.reconcile().catch((e: unknown) => this.ctx.log(`roles: ${(e as Error).message}`)).finally(() => {
      this.busy = false;
    });
  }

  private async reconcile(): Promise<void> {
    const { objects } = await this.ctx.store.list('nodes');
    const addrs = new Map(this.ctx.managers().map((p) => [p.nodeId, p.addr]));
    for (const n of objects) {
      if (!this.ctx.raft.isLeader()) return;
      const member = this.ctx.isRaftMember(n.id);
      if (n.spec.role === 'worker' && member) {
        await this.demote(n);
        continue;
      }
      const want = this.managerFields(n, member, addrs.get(n.id));
      if (want) await this.ctx.store.modify('nodes', n.id, (d) => {
        d.role = want.role;
        if (want.managerStatus) d.managerStatus = want.managerStatus;
        else delete d.managerStatus;
      });
    }
  }

  /** The role/managerStatus the node should have, or undefined if it already does. */
  private managerFields(n: Node, member: boolean, addr: string | undefined): Pick<NodeContent, 'role' | 'managerStatus'> | undefined {
    if (member) {
      const reachability = this.ctx.reachable(n.id) === false ? 'unreachable' : 'reachable';
      const ms = { leader: false, reachability, addr: addr ?? n.managerStatus?.addr ?? '' } as const;
      if (n.role === 'manager' && n.managerStatus?.reachability === ms.reachability && n.managerStatus.addr === ms.addr) return undefined;
      return { role: 'manager', managerStatus: ms };
    }
    if (n.spec.role === 'manager' && n.role === 'manager') {
      // Still wanted as a manager but out of Raft (e.g. after --force-new-cluster): show it as such.
      if (n.managerStatus?.reachability === 'unreachable') return undefined;
      return { role: 'manager', managerStatus: { leader: false, reachability: 'unreachable', addr: n.managerStatus?.addr ?? '' } };
    }
    if (n.role === 'manager' || n.managerStatus) return { role: 'worker', managerStatus: undefined };
    return undefined;
  }

  private async demote(n: Node): Promise<void> {
    const v = quorumView(this.ctx);
    if (n.id === this.ctx.nodeId) {
      // A leader cannot remove itself cleanly; hand over first and let the next leader do it.
      const to = v.reachable.find((id) => id !== n.id);
      if (to) {
        this.ctx.log(`roles: this leader is being demoted; transferring leadership to ${to}`);
        this.ctx.raft.transferLeadership(to);
      }
      return;
    }
    const after = v.voters.filter((id) => id !== n.id).length;
    const up = v.reachable.filter((id) => id !== n.id).length;
    if (v.voters.includes(n.id) && (after === 0 || up < majority(after))) {
      this.ctx.log(`roles: not removing ${n.id} from Raft yet: ${up} of ${after} remaining managers reachable`);
      return;
    }
    this.ctx.log(`roles: removing demoted manager ${n.id} from Raft`);
    await this.ctx.raft.removeMember(n.id);
    await this.ctx.store.modify('nodes', n.id, (d) => {
      d.role = 'worker';
      delete d.managerStatus;
    });
  }
}
