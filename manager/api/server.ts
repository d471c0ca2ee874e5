// The manager's HTTP API, shaped after the Docker Engine API so that the stock
// docker client can drive it. Handlers stay thin; errors are typed values that
// one hook turns into Docker's `{"message": ...}` bodies.

import Fastify, { type FastifyInstance } from 'fastify';
import type { ManagerContext } from '../context.js';
import { dockerErrors } from './docker-errors.js';
import { configRoutes } from './routes/configs.js';
import { raftRoutes } from './routes/raft.js';
import { swarmRoutes } from './routes/swarm.js';
import { nodeRoutes } from './routes/nodes.js';
import { networkRoutes } from './routes/networks.js';
import { endpointRoutes } from './routes/endpoints.js';
import { quorumLossMessage } from './quorum-message.js';

export interface ApiContext extends ManagerContext {
  /** Ask the leader's role reconciler to look at the nodes now rather than at its next tick. */
  kickRoles(): void;
}

// The docker client prefixes every path with its API version (/v1.47/...).
const VERSION_PREFIX = /^\/v\d+\.\d+(?=\/)/;

/** The URL without the docker client's /v1.xx prefix (fastify's rewriteUrl). */
export function stripApiVersion(url: string | undefined): string {
  return (url ?? '/').replace(VERSION_PREFIX, '');
}

export async function buildApi(ctx: ApiContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 2 * 1024 * 1024,
    rewriteUrl: (req) => stripApiVersion(req.url),
  });
  dockerErrors(app, (err) => (err.code === 'Unavailable' && !ctx.leader() ? quorumLossMessage(ctx, err.message) : err.message));
  app.get('/_ping', async (_req, reply) => reply.type('text/plain').send('OK'));
  await app.register(raftRoutes(ctx));
  await app.register(configRoutes(ctx));
  await app.register(swarmRoutes(ctx));
  await app.register(nodeRoutes(ctx));
  await app.register(networkRoutes(ctx));
  await app.register(endpointRoutes(ctx));
  return app;
}
