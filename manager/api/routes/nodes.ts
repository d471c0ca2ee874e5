// /nodes as the Docker Engine API has them. Role changes go through the store; the
// leader's role reconciler and the node itself carry them out (manager/roles).
import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../server.js';
import type { Node, NodeAvailability, NodeRole } from '../../store/index.js';
import { TsswarmError } from '../../../shared/errors.js';
import { storeError } from '../store-errors.js';
import { parseFilters, type Filters } from '../filters.js';
import { checkRemovalKeepsQuorum } from '../../roles/quorum.js';

const cap = (s: string): string => s;

/** Docker's Node object. */
export function nodeView(ctx: ApiContext, n: Node): Record<string, unknown> {
  const leaderId = ctx.leader()?.nodeId;
  const d = n.description;
  return {
    ID: n.id,
    Version: { Index: n.version },
    CreatedAt: n.createdAt,
    UpdatedAt: n.updatedAt,
    Spec: { ...(n.spec.name ? { Name: n.spec.name } : {}), Labels: n.spec.labels ?? {}, Role: n.spec.role, Availability: n.spec.availability },
    Description: {
      Hostname: d?.hostname ?? '',
      Platform: { Architecture: d?.platform.architecture ?? '', OS: d?.platform.os ?? '' },
      Resources: { NanoCPUs: d?.resources.nanoCPUs ?? 0, MemoryBytes: d?.resources.memoryBytes ?? 0 },
      Engine: { EngineVersion: d?.engine?.engineVersion ?? '', Labels: d?.engine?.labels ?? {}, Plugins: [] },
      TLSInfo: {},
    },
    Status: { State: cap(n.status.state), ...(n.status.message ? { Message: n.status.message } : {}), Addr: n.status.addr ?? '' },
    ...(n.managerStatus
      ? { ManagerStatus: { ...(n.id === leaderId ? { Leader: true } : {}), Reachability: n.id === leaderId ? 'reachable' : n.managerStatus.reachability, Addr: n.managerStatus.addr } }
      : {}),
  };
}

function matches(n: Node, f: Filters, leaderId: string | undefined): boolean {
  for (const [k, vals] of Object.entries(f)) {
    if (vals.length === 0) continue;
    const labelsMatch = (labels: Record<string, string>): boolean =>
      vals.every((v) => {
        const [lk, lv] = v.split('=', 2) as [string, string | undefined];
        return lk in labels && (lv === undefined || labels[lk] === lv);
      });
    switch (k) {
      case 'id': if (!vals.some((v) => n.id.startsWith(v))) return false; break;
      case 'name': if (!vals.some((v) => (n.spec.name ?? n.description?.hostname ?? '').includes(v))) return false; break;
      case 'role': if (!vals.includes(n.spec.role)) return false; break;
      case 'membership': if (!vals.includes('accepted')) return false; break;
      case 'label': if (!labelsMatch(n.description?.engine?.labels ?? {})) return false; break;
      case 'node.label': if (!labelsMatch(n.spec.labels ?? {})) return false; break;
      case 'leader': if (vals.includes('true') !== (n.id === leaderId)) return false; break;
      default: throw new TsswarmError('Invalid', `invalid filter '${k}'`);
    }
  }
  return true;
}

interface NodeSpecBody {
  Name?: string;
  Labels?: Record<string, string>;
  Role?: string;
  Availability?: string;
}

export const nodeRoutes = (ctx: ApiContext): FastifyPluginAsync => async (app) => {
  /** As docker: full ID, then hostname (if unique), then unique ID prefix. */
  async function find(ref: string): Promise<Node> {
    const { objects } = await ctx.store.list('nodes', undefined, { linearizable: true });
    const exact = objects.find((n) => n.id === ref);
    if (exact) return exact;
    const byName = objects.filter((n) => n.spec.name === ref || n.description?.hostname === ref);
    if (byName.length === 1) return byName[0]!;
    if (byName.length > 1) throw new TsswarmError('Invalid', `node ${ref} is ambiguous (${byName.length} matches)`);
    const byPrefix = objects.filter((n) => n.id.startsWith(ref));
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw new TsswarmError('Invalid', `node ${ref} is ambiguous (${byPrefix.length} matches)`);
    throw new TsswarmError('NotFound', `node ${ref} not found`);
  }

  app.get<{ Querystring: { filters?: string } }>('/nodes', async (req) => {
    const f = parseFilters(req.query.filters);
    const leaderId = ctx.leader()?.nodeId;
    const { objects } = await ctx.store.list('nodes', undefined, { linearizable: true });
    return objects.filter((n) => matches(n, f, leaderId)).map((n) => nodeView(ctx, n));
  });

  app.get<{ Params: { id: string } }>('/nodes/:id', async (req) => nodeView(ctx, await find(req.params.id)));

  app.post<{ Params: { id: string }; Querystring: { version?: string }; Body: NodeSpecBody }>('/nodes/:id/update', async (req, reply) => {
    const n = await find(req.params.id);
    const version = Number(req.query.version);
    if (!Number.isInteger(version)) throw new TsswarmError('Invalid', 'the version query parameter is required');
    const b = req.body ?? {};
    const role = (b.Role ?? n.spec.role) as NodeRole;
    const availability = (b.Availability ?? n.spec.availability) as NodeAvailability;
    if (role !== 'manager' && role !== 'worker') throw new TsswarmError('Invalid', `invalid role "${String(b.Role)}": want manager or worker`);
    if (!['active', 'pause', 'drain'].includes(availability)) {
      throw new TsswarmError('Invalid', `invalid availability "${String(b.Availability)}": want active, pause or drain`);
    }
    if (role === 'worker' && n.spec.role === 'manager') checkRemovalKeepsQuorum(ctx, n.id, 'demote');
    const r = await ctx.store.update('nodes', n.id, version, (d) => {
      d.spec = { ...(b.Name ? { name: b.Name } : {}), labels: b.Labels ?? {}, role, availability };
    });
    if (!r.ok) {
      if (r.error.code === 'Conflict') throw new TsswarmError('Conflict', `update out of sequence: node ${n.id} changed since version ${version}; inspect it again and retry`);
      throw storeError(r);
    }
    ctx.kickRoles();
    return reply.status(200).send();
  });

  app.delete<{ Params: { id: string }; Querystring: { force?: string } }>('/nodes/:id', async (req, reply) => {
    const n = await find(req.params.id);
    const force = req.query.force === 'true' || req.query.force === '1';
    if (ctx.isRaftMember(n.id) || n.role === 'manager') {
      throw new TsswarmError('Refused', `node ${n.id} is a cluster manager and is a member of the Raft cluster; it must be demoted to worker before removal (tsswarm node demote ${n.id})`);
    }
    if (!force && n.status.state === 'ready') {
      throw new TsswarmError('Refused', `node ${n.id} is not down and can't be removed; stop it or make it leave first, or use --force`);
    }
    const c = await ctx.store.getByName('clusters', 'default', { linearizable: true });
    if (!c) throw new TsswarmError('Unavailable', 'no cluster object');
    const r = await ctx.store.transact([
      { op: 'delete', collection: 'nodes', id: n.id, expectVersion: n.version },
      { op: 'update', collection: 'clusters', id: c.id, expectVersion: c.version, change: (d) => { d.removedNodes = [...(d.removedNodes ?? []), n.id]; } },
    ]);
    if (!r.ok) throw storeError(r);
    return reply.status(200).send();
  });
};
