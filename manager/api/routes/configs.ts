// /configs as the Docker Engine API has them: small named blobs, immutable data,
// labels the only thing that changes.

import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../server.js';
import type { Config } from '../../store/index.js';
import { TsswarmError } from '../../../shared/errors.js';
import { storeError } from '../store-errors.js';
import { parseFilters, type Filters } from '../filters.js';

interface ConfigSpecBody {
  Name: string;
  Labels?: Record<string, string>;
  Data?: string; // base64
}

const specSchema = {
  type: 'object',
  required: ['Name'],
  properties: {
    Name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9]+(?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?$' },
    Labels: { type: 'object', additionalProperties: { type: 'string' } },
    Data: { type: 'string' },
    Templating: { type: 'object' },
  },
} as const;

/** Docker's Config object. */
function view(c: Config): Record<string, unknown> {
  return {
    ID: c.id,
    Version: { Index: c.version },
    CreatedAt: c.createdAt,
    UpdatedAt: c.updatedAt,
    Spec: {
      Name: c.spec.name,
      Labels: c.spec.labels ?? {},
      Data: Buffer.from(c.spec.data).toString('base64'),
    },
  };
}

export const configRoutes = (ctx: ApiContext): FastifyPluginAsync => async (app) => {
  /** Docker resolves a config by full id, then by name, then by unique id prefix. */
  async function find(ref: string): Promise<Config> {
    const { objects } = await ctx.store.list('configs', undefined, { linearizable: true });
    const hit =
      objects.find((c) => c.id === ref) ??
      objects.find((c) => c.spec.name === ref) ??
      (() => {
        const byPrefix = objects.filter((c) => c.id.startsWith(ref));
        if (byPrefix.length > 1) throw new TsswarmError('Invalid', `config ${ref} is ambiguous (${byPrefix.length} matches)`);
        return byPrefix[0];
      })();
    if (!hit) throw new TsswarmError('NotFound', `config ${ref} not found`);
    return hit;
  }

  app.post<{ Body: ConfigSpecBody }>('/configs/create', { schema: { body: specSchema } }, async (req, reply) => {
    const b = req.body;
    const data = Buffer.from(b.Data ?? '', 'base64');
    const r = await ctx.store.create('configs', { spec: { name: b.Name, labels: b.Labels, data } });
    if (!r.ok) throw storeError(r);
    return reply.status(201).send({ ID: r.object.id });
  });

  app.get<{ Querystring: { filters?: string } }>('/configs', async (req) => {
    const filters = parseFilters(req.query.filters);
    const { objects } = await ctx.store.list('configs', undefined, { linearizable: true });
    return objects
      .filter((c) => matches(c, filters))
      .sort((a, b) => a.spec.name.localeCompare(b.spec.name))
      .map(view);
  });

  app.get<{ Params: { id: string } }>('/configs/:id', async (req) => view(await find(req.params.id)));

  app.delete<{ Params: { id: string } }>('/configs/:id', async (req, reply) => {
    const c = await find(req.params.id);
    const r = await ctx.store.delete('configs', c.id, c.version);
    if (!r.ok) throw storeError(r);
    return reply.status(204).send();
  });

  app.post<{ Params: { id: string }; Querystring: { version?: string }; Body: ConfigSpecBody }>(
    '/configs/:id/update',
    { schema: { body: specSchema } },
    async (req, reply) => {
      const c = await find(req.params.id);
      const version = Number(req.query.version);
      if (!Number.isInteger(version)) throw new TsswarmError('Invalid', 'the version query parameter is required');
      if (req.body.Data !== undefined && !Buffer.from(req.body.Data, 'base64').equals(Buffer.from(c.spec.data))) {
        throw new TsswarmError('Invalid', 'only updates to Labels are allowed');
      }
      const r = await ctx.store.update('configs', c.id, version, { spec: { ...c.spec, labels: req.body.Labels } });
      if (!r.ok) throw storeError(r);
      return reply.status(200).send();
    },
  );
};

function matches(c: Config, f: Filters): boolean {
  for (const [k, vals] of Object.entries(f)) {
    if (vals.length === 0) continue;
    if (k === 'name' && !vals.some((v) => c.spec.name.includes(v))) return false;
    if (k === 'id' && !vals.some((v) => c.id.startsWith(v))) return false;
    if (k === 'label') {
      const labels = c.spec.labels ?? {};
      const ok = vals.every((v) => {
        const [lk, lv] = v.split('=', 2) as [string, string | undefined];
        return lk in labels && (lv === undefined || labels[lk] === lv);
      });
      if (!ok) return false;
    } else if (k !== 'name' && k !== 'id') {
      throw new TsswarmError('Invalid', `invalid filter '${k}'`);
    }
  }
  return true;
}
