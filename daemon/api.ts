// The daemon's Engine API on its unix socket. Local routes (ping, version, info,
// swarm init/join/leave) are answered here; everything else is the cluster's and is
// served by the local manager or carried to one (Daemon.clusterCall), so a worker's
// `node ls` works without the user knowing which manager leads.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import os from 'node:os';
import { TsswarmError } from '../shared/errors.js';
import { dockerErrors } from '../manager/api/docker-errors.js';
import { stripApiVersion } from '../manager/api/server.js';
import type { Daemon, InitRequest, JoinRequestBody } from './daemon.js';
import type { RunRequest } from './containers.js';

/** The Engine API version whose shapes we follow; docker clients negotiate down to it. */
export const API_VERSION = '1.47';
const MIN_API_VERSION = '1.24';

function body<T>(req: FastifyRequest): T {
  const raw = req.body as Buffer | undefined;
  if (!raw || raw.length === 0) return {} as T;
  try {
    return JSON.parse(raw.toString('utf8')) as T;
  } catch {
    throw new TsswarmError('Invalid', 'request body is not valid JSON');
  }
}

export async function buildDaemonApi(d: Daemon, version: string): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 2 * 1024 * 1024,
    rewriteUrl: (req) => stripApiVersion(req.url),
  });
  // Bodies stay raw: local routes parse them, cluster routes pass them on untouched.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, b, done) => done(null, b));

  dockerErrors(app);

  const swarmHeader = (): string => {
    const s = d.localState();
    if (s !== 'active') return 'inactive';
    return d.managerRunning ? 'active/manager' : 'active/worker';
  };
  const ping = (_req: FastifyRequest, reply: FastifyReply): FastifyReply =>
    reply
      .headers({ 'api-version': API_VERSION, ostype: 'linux', 'docker-experimental': 'false', swarm: swarmHeader(), 'cache-control': 'no-cache, no-store, must-revalidate' })
      .type('text/plain')
      .send('OK');
  app.get('/_ping', ping);

  app.get('/version', async () => ({
    Platform: { Name: 'tsswarm' },
    Components: [{ Name: 'Engine', Version: version, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: process.arch } }],
    Version: version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GoVersion: `node${process.versions.node}`,
    Os: 'linux',
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    KernelVersion: os.release(),
    BuildTime: '',
  }));

  app.get('/info', async () => {
    const st = d.nodeState;
    const summary = await d.clusterSummary().catch(() => undefined);
    const desc = d.description();
    return {
      ID: st?.nodeId ?? '',
      Name: d.hostname,
      ServerVersion: version,
      OperatingSystem: `tsswarm on ${os.type()}`,
      OSType: 'linux',
      Architecture: desc.architecture,
      KernelVersion: os.release(),
      NCPU: os.cpus().length,
      MemTotal: desc.memoryBytes,
      ...containerCounts(d.containers.list(true)),
      Images: 0,
      Driver: 'none',
      Swarm: {
        NodeID: st?.nodeId ?? '',
        NodeAddr: st?.dataPathAddr ?? '',
        LocalNodeState: d.localState(),
        ControlAvailable: d.managerRunning !== undefined,
        Error: d.error,
        RemoteManagers: st ? d.remoteManagers().map((p) => ({ NodeID: p.nodeId, Addr: p.addr })) : null,
        ...(summary ? { Nodes: summary.nodes, Managers: summary.managers, Cluster: summary.cluster } : {}),
      },
    };
  });

  app.post('/swarm/init', async (req, reply) => {
    const nodeId = await d.init(body<InitRequest>(req));
    return reply.status(200).send(JSON.stringify(nodeId));
  });

  app.post('/swarm/join', async (req, reply) => {
    await d.join(body<JoinRequestBody>(req));
    return reply.status(200).send();
  });

  app.post<{ Querystring: { force?: string } }>('/swarm/leave', async (req, reply) => {
    await d.leave(req.query.force === 'true' || req.query.force === '1');
    return reply.status(200).send();
  });

  // This node's containers.
  app.post('/containers/run', async (req, reply) => reply.status(201).send(await d.containers.run(body<RunRequest>(req))));
  app.get<{ Querystring: { all?: string } }>('/containers/json', async (req) => d.containers.list(req.query.all === '1' || req.query.all === 'true'));
  app.get<{ Params: { id: string } }>('/containers/:id/json', async (req) => d.containers.inspect(req.params.id));
  app.post<{ Params: { id: string } }>('/containers/:id/exec', async (req) => d.containers.exec(req.params.id, body<{ Cmd: string[] }>(req).Cmd));
  app.get<{ Params: { id: string } }>('/containers/:id/logs', async (req, reply) => reply.type('text/plain').send(await d.containers.logs(req.params.id)));
  app.post<{ Params: { id: string }; Querystring: { t?: string } }>('/containers/:id/stop', async (req, reply) => {
    const t = Number(req.query.t ?? '10');
    if (!Number.isFinite(t) || t < 0) throw new TsswarmError('Invalid', `invalid stop timeout "${req.query.t}"`);
    await d.containers.stop(req.params.id, t * 1000);
    return reply.status(204).send();
  });
  app.delete<{ Params: { id: string }; Querystring: { force?: string } }>('/containers/:id', async (req, reply) => {
    await d.containers.rm(req.params.id, req.query.force === '1' || req.query.force === 'true');
    return reply.status(204).send();
  });

  // Connecting a container is this node's business (the container is here); the managers only allocate.
  app.post<{ Params: { id: string } }>('/networks/:id/connect', async (req, reply) => {
    const b = body<{ Container?: string; EndpointConfig?: { IPAMConfig?: { IPv4Address?: string }; Aliases?: string[] } }>(req);
    if (!b.Container) throw new TsswarmError('Invalid', 'connect needs a container (Container)');
    const ip4 = b.EndpointConfig?.IPAMConfig?.IPv4Address;
    await d.containers.connect(b.Container, { Target: req.params.id, Aliases: b.EndpointConfig?.Aliases ?? [], ...(ip4 ? { IPv4Address: ip4 } : {}) });
    return reply.status(200).send();
  });
  app.post<{ Params: { id: string } }>('/networks/:id/disconnect', async (req, reply) => {
    const b = body<{ Container?: string; Force?: boolean }>(req);
    if (!b.Container) throw new TsswarmError('Invalid', 'disconnect needs a container (Container)');
    await d.containers.disconnect(b.Container, req.params.id);
    return reply.status(200).send();
  });

  // Everything else belongs to the cluster.
  app.all('/*', async (req, reply) => {
    const raw = req.body as Buffer | undefined;
    const res = await d.clusterCall({
      method: req.method,
      url: req.url,
      body: raw ?? Buffer.alloc(0),
      contentType: String(req.headers['content-type'] ?? ''),
    });
    if (res.contentType) void reply.header('content-type', res.contentType);
    return reply.status(res.status).send(res.body);
  });

  return app;
}

function containerCounts(all: { State: string }[]): Record<string, number> {
  const running = all.filter((c) => c.State === 'running').length;
  return { Containers: all.length, ContainersRunning: running, ContainersPaused: 0, ContainersStopped: all.length - running };
}
