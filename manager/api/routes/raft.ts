// Raft membership and status, for operators and tests. Docker has no such
// routes; its equivalents live under /nodes (next milestone).

import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../server.js';

export const raftRoutes = (ctx: ApiContext): FastifyPluginAsync => async (app) => {
  app.get('/raft/status', async () => {
    const st = ctx.raft.status();
    return {
      id: st.id,
      leader: st.leader,
      role: st.softState.role,
      term: st.hardState.term,
      commit: st.hardState.commit,
      applied: st.applied,
      voters: st.conf.voters,
      learners: st.conf.learners,
      members: st.members,
    };
  });

  app.post<{ Body: { id: string; addr: string; voter?: boolean } }>(
    '/raft/members',
    {
      schema: {
        body: {
          type: 'object',
          required: ['id', 'addr'],
          additionalProperties: false,
          properties: {
            id: { type: 'string', minLength: 1, maxLength: 64 },
            addr: { type: 'string', pattern: '^[^:]+:[0-9]{1,5}$' },
            voter: { type: 'boolean' },
          },
        },
      },
    },
    async (req, reply) => {
      await ctx.raft.addMember(req.body.id, req.body.addr, { voter: req.body.voter });
      return reply.status(201).send({ id: req.body.id });
    },
  );

  app.delete<{ Params: { id: string } }>('/raft/members/:id', async (req, reply) => {
    await ctx.raft.removeMember(req.params.id);
    return reply.status(204).send();
  });

  app.post<{ Body: { to: string } }>(
    '/raft/transfer',
    { schema: { body: { type: 'object', required: ['to'], properties: { to: { type: 'string', minLength: 1 } } } } },
    async (req, reply) => {
      ctx.raft.transferLeadership(req.body.to);
      return reply.status(202).send({});
    },
  );
};
