// Container endpoints on overlay networks. Docker has no such routes (its daemon asks
// swarmkit over gRPC); these are shaped Docker-style, PascalCase JSON, for the node
// daemons (daemon/containers.ts) to attach and release their containers.

import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../server.js';
import { parseFilters } from '../filters.js';
import { EndpointService } from '../../endpoints/service.js';
import { endpointView } from '../../endpoints/view.js';

interface AttachBody {
  ContainerName: string;
  ContainerID: string;
  NodeID: string;
  Aliases?: string[] | null;
  IPv4Address?: string | null;
}

const attachSchema = {
  type: 'object',
  required: ['ContainerName', 'ContainerID', 'NodeID'],
  properties: {
    ContainerName: { type: 'string' },
    ContainerID: { type: 'string' },
    NodeID: { type: 'string' },
    Aliases: { type: ['array', 'null'], items: { type: 'string' } },
    IPv4Address: { type: ['string', 'null'] },
  },
} as const;

/** Needs only the store; typed as a slice of ApiContext so tests can build one. */
export const endpointRoutes = (ctx: Pick<ApiContext, 'store'>): FastifyPluginAsync => async (app) => {
  const endpoints = new EndpointService(ctx.store);

  app.post<{ Params: { id: string }; Body: AttachBody }>('/networks/:id/endpoints', { schema: { body: attachSchema } }, async (req, reply) => {
    const b = req.body;
    const { endpoint, network } = await endpoints.attach(req.params.id, {
      containerName: b.ContainerName,
      containerId: b.ContainerID,
      nodeId: b.NodeID,
      aliases: b.Aliases ?? undefined,
      ipv4Address: b.IPv4Address ?? undefined,
    });
    return reply.status(201).send(endpointView(endpoint, network));
  });

  app.get<{ Params: { id: string } }>('/networks/:id/endpoints', async (req) =>
    (await endpoints.listOn(req.params.id)).map((a) => endpointView(a.endpoint, a.network)));

  app.get<{ Querystring: { filters?: string } }>('/endpoints', async (req) =>
    (await endpoints.list(parseFilters(req.query.filters))).map((a) => endpointView(a.endpoint, a.network)));

  app.delete<{ Params: { id: string; endpointId: string } }>('/networks/:id/endpoints/:endpointId', async (req, reply) => {
    await endpoints.detach(req.params.id, req.params.endpointId);
    return reply.status(204).send();
  });

  app.delete<{ Querystring: { node?: string; container?: string } }>('/endpoints', async (req) => {
    const removed = await endpoints.detachContainer(req.query.container ?? '', req.query.node || undefined);
    return { Deleted: removed.length };
  });
};
