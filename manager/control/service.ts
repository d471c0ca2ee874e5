// The Control service: the Engine API forwarded by nodes that are not managers, and
// Raft membership requests from managers joining or leaving.
import type * as grpc from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import { ControlServer } from './server.js';
import type { ManagerContext } from '../context.js';
import { checkRemovalKeepsQuorum } from '../roles/quorum.js';
import { TsswarmError } from '../../shared/errors.js';
import type { Empty, ForwardRequest, ForwardResponse, RaftJoinRequest, RaftJoinResponse } from '../../shared/control/proto.js';

/** Replays a forwarded Engine API call into this manager's API, in-process. */
export async function serveForwarded(api: FastifyInstance, req: ForwardRequest): Promise<ForwardResponse> {
  const res = await api.inject({
    // inject's method type lists the verbs; ours comes from a real HTTP request line.
    method: req.method as 'GET',
    url: req.url,
    payload: req.body.length > 0 ? req.body : undefined,
    headers: req.contentType ? { 'content-type': req.contentType } : {},
  });
  return { status: res.statusCode, body: res.rawPayload, contentType: String(res.headers['content-type'] ?? '') };
}

export function notLeader(ctx: ManagerContext): TsswarmError {
  const leader = ctx.leader();
  return Object.assign(
    new TsswarmError('NotLeader', `this manager is not the leader${leader ? `; the leader is ${leader.addr}` : ' and no leader is known'}`),
    { leaderAddr: leader?.addr ?? '' },
  );
}

export function controlService(ctx: ManagerContext, control: ControlServer, api: () => FastifyInstance): grpc.UntypedServiceImplementation {
  // One membership change at a time: Raft itself refuses a second pending one.
  let membership: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = membership.then(fn, fn);
    membership = run.catch(() => undefined);
    return run;
  };

  return {
    Forward: ControlServer.unary<ForwardRequest, ForwardResponse>(async (req, call) => {
      control.identify(call);
      if (req.deadlineUnixMs && Date.now() > req.deadlineUnixMs) {
        throw new TsswarmError('Timeout', `the forwarded call arrived ${Date.now() - req.deadlineUnixMs} ms after its caller gave up; not executed`);
      }
      return serveForwarded(api(), req);
    }),

    RaftJoin: ControlServer.unary<RaftJoinRequest, RaftJoinResponse>(async (req, call) => {
      const who = control.identify(call);
      if (who.role !== 'manager') throw new TsswarmError('Refused', `node ${who.nodeId} has no manager certificate`);
      if (!ctx.raft.isLeader()) throw notLeader(ctx);
      const node = await ctx.store.get('nodes', who.nodeId, { linearizable: true });
      if (!node || node.spec.role !== 'manager') throw new TsswarmError('Refused', `node ${who.nodeId} is not meant to be a manager`);
      if (!/^[^\s:]+:\d+$/.test(req.addr)) throw new TsswarmError('Invalid', `bad Raft address "${req.addr}": want host:port`);
      await serially(async () => {
        const st = ctx.raft.status();
        if (st.conf.voters.includes(who.nodeId) && st.members[who.nodeId] === req.addr) return;
        ctx.log(`control: adding ${who.nodeId} at ${req.addr} to Raft`);
        await ctx.raft.addMember(who.nodeId, req.addr);
      });
      await ctx.store.modify('nodes', who.nodeId, (d) => {
        d.role = 'manager';
        d.managerStatus = { leader: false, reachability: 'reachable', addr: req.addr };
      });
      return { members: ctx.managers() };
    }),

    RaftLeave: ControlServer.unary<Empty, Empty>(async (_req, call) => {
      const who = control.identify(call);
      if (!ctx.raft.isLeader()) throw notLeader(ctx);
      if (who.nodeId === ctx.nodeId) throw new TsswarmError('Refused', 'the leader cannot remove itself; transfer leadership first');
      const voters = ctx.raft.status().conf.voters;
      if (voters.length === 1 && voters[0] === who.nodeId) checkRemovalKeepsQuorum(ctx, who.nodeId, 'leave');
      await serially(() => ctx.raft.removeMember(who.nodeId));
      await ctx.store.modify('nodes', who.nodeId, (d) => {
        d.spec.role = 'worker';
        d.role = 'worker';
        delete d.managerStatus;
      });
      return {};
    }),
  };
}
