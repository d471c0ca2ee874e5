// The manager's HTTP API, shaped after the Docker Engine API so that the stock
// docker client can drive it. Handlers stay thin; errors are typed values that
// one hook turns into Docker's `{"message": ...}` bodies.

import Fastify, { type FastifyInstance } from 'fastify';
import type { RaftNode } from '../raft/node.js';
import type { Store } from '../store/index.js';
import { TsswarmError, httpStatus } from '../../shared/errors.js';
import { configRoutes } from './routes/configs.js';
import { raftRoutes } from './routes/raft.js';

export interface ApiContext {
  raft: RaftNode;
  store: Store;
}

// The docker client prefixes every path with its API version (/v1.47/...).
const VERSION_PREFIX = /^\/v\d+\.\d+(?=\/)/;

export async function buildApi(ctx: ApiContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 2 * 1024 * 1024,
    rewriteUrl: (req) => (req.url ?? '/').replace(VERSION_PREFIX, ''),
  });
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof TsswarmError) {
      void reply.status(httpStatus(err.code)).send({ message: err.message });
      return;
    }
    const e = err as { validation?: unknown; statusCode?: number; message: string };
    if (e.validation) {
      void reply.status(400).send({ message: `invalid request: ${e.message}` });
      return;
    }
    void reply.status(e.statusCode ?? 500).send({ message: e.message });
  });
  app.get('/_ping', async (_req, reply) => reply.type('text/plain').send('OK'));
  await app.register(raftRoutes(ctx));
  await app.register(configRoutes(ctx));
  return app;
}
