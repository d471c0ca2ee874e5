// /networks as the Docker Engine API has them, for swarm-scoped overlay networks. The
// handlers translate Docker's JSON to and from manager/networks, which does the work.

import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../server.js';
import type { Labels } from '../../store/index.js';
import { parseFilters } from '../filters.js';
import { NetworkService } from '../../networks/service.js';
import type { CreateNetworkRequest } from '../../networks/request.js';
import { networkInspectView, networkView } from '../../networks/view.js';

/** Docker's CreateRequest; newer clients send null for unset pointers. */
interface CreateBody {
  Name: string;
  Driver?: string | null;
  Scope?: string | null;
  Internal?: boolean | null;
  Attachable?: boolean | null;
  Ingress?: boolean | null;
  ConfigOnly?: boolean | null;
  ConfigFrom?: { Network?: string } | null;
  EnableIPv4?: boolean | null;
  EnableIPv6?: boolean | null;
  CheckDuplicate?: boolean | null;
  IPAM?: {
    Driver?: string | null;
    Options?: Labels | null;
    Config?: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Labels | null }[] | null;
  } | null;
  Options?: Labels | null;
  Labels?: Labels | null;
}

const stringMap = { type: ['object', 'null'], additionalProperties: { type: 'string' } } as const;
const flag = { type: ['boolean', 'null'] } as const;
const text = { type: ['string', 'null'] } as const;

const createSchema = {
  type: 'object',
  required: ['Name'],
  properties: {
    Name: { type: 'string' },
    Driver: text,
    Scope: text,
    Internal: flag,
    Attachable: flag,
    Ingress: flag,
    ConfigOnly: flag,
    ConfigFrom: { type: ['object', 'null'], properties: { Network: { type: 'string' } } },
    EnableIPv4: flag,
    EnableIPv6: flag,
    CheckDuplicate: flag,
    IPAM: {
      type: ['object', 'null'],
      properties: {
        Driver: text,
        Options: stringMap,
        Config: {
          type: ['array', 'null'],
          items: {
            type: 'object',
            properties: {
              Subnet: { type: 'string' },
              IPRange: { type: 'string' },
              Gateway: { type: 'string' },
              AuxiliaryAddresses: stringMap,
            },
          },
        },
      },
    },
    Options: stringMap,
    Labels: stringMap,
  },
} as const;

const orUndefined = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

function toRequest(b: CreateBody): CreateNetworkRequest {
  return {
    name: b.Name,
    driver: orUndefined(b.Driver),
    scope: orUndefined(b.Scope),
    internal: orUndefined(b.Internal),
    attachable: orUndefined(b.Attachable),
    ingress: orUndefined(b.Ingress),
    configOnly: orUndefined(b.ConfigOnly),
    configFrom: orUndefined(b.ConfigFrom)?.Network,
    ipv4: orUndefined(b.EnableIPv4),
    ipv6: orUndefined(b.EnableIPv6),
    options: orUndefined(b.Options),
    labels: orUndefined(b.Labels),
    ipam: b.IPAM
      ? {
        driver: orUndefined(b.IPAM.Driver),
        options: orUndefined(b.IPAM.Options),
        configs: (b.IPAM.Config ?? []).map((c) => ({
          subnet: c.Subnet, ipRange: c.IPRange, gateway: c.Gateway, auxiliaryAddresses: orUndefined(c.AuxiliaryAddresses),
        })),
      }
      : undefined,
  };
}

/** Needs only the store; typed as a slice of ApiContext so tests can build one. */
export const networkRoutes = (ctx: Pick<ApiContext, 'store'>): FastifyPluginAsync => async (app) => {
  const networks = new NetworkService(ctx.store);

  app.post<{ Body: CreateBody }>('/networks/create', { schema: { body: createSchema } }, async (req, reply) => {
    const n = await networks.create(toRequest(req.body));
    return reply.status(201).send({ Id: n.id, Warning: '' });
  });

  app.get<{ Querystring: { filters?: string } }>('/networks', async (req) =>
    (await networks.list(parseFilters(req.query.filters))).map(networkView));

  // verbose and scope are accepted and ignored: there is one scope and nothing more to show.
  app.get<{ Params: { id: string } }>('/networks/:id', async (req) => {
    const n = await networks.find(req.params.id);
    const { objects } = await ctx.store.list('endpoints', (e) => e.spec.networkId === n.id);
    return networkInspectView(n, objects);
  });

  app.delete<{ Params: { id: string } }>('/networks/:id', async (req, reply) => {
    await networks.remove(req.params.id);
    return reply.status(204).send();
  });

  app.post<{ Querystring: { filters?: string } }>('/networks/prune', async (req) => {
    const removed = await networks.prune(parseFilters(req.query.filters));
    return { NetworksDeleted: removed.map((n) => n.spec.name) };
  });
};
