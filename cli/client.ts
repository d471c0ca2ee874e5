// The local daemon's HTTP API (Docker Engine API shapes) over a unix socket or TCP.
// One method per endpoint; each returns the typed answer or throws: DaemonError when
// the daemon answered with an error, TsswarmError when it could not be reached.
import http from 'node:http';
import { TsswarmError, type ErrorCode } from '../shared/errors.js';
import type {
  Config, ConfigSpec, Inspected, Network, NetworkCreateRequest, Node, NodeSpec, Swarm, SwarmInitRequest,
  SwarmJoinRequest, SwarmRotate, SwarmSpec, SystemInfo,
} from './api-types.js';
import { encodeFilters, type Filters } from './opts.js';

/** Where the daemon listens unless -H or TSSWARM_HOST says otherwise. */
export const DEFAULT_HOST = 'unix:///run/tsswarm/tsswarm.sock';

export type Endpoint =
  | { kind: 'unix'; socketPath: string; url: string }
  | { kind: 'tcp'; host: string; port: number; url: string };

/** -H wins over TSSWARM_HOST, which wins over the default socket. */
export function resolveHost(flag: string | undefined, env: Record<string, string | undefined>): string {
  return flag || env.TSSWARM_HOST || DEFAULT_HOST;
}

/** Parses `unix:///path`, `tcp://host:port` or `http://host:port`. */
export function parseHost(url: string): Endpoint {
  const bad = (why: string): never => {
    throw new TsswarmError('Invalid', `invalid host "${url}": ${why}; use unix:///path/to/socket or tcp://HOST:PORT`);
  };
  if (url.startsWith('unix://')) {
    const socketPath = url.slice('unix://'.length);
    if (!socketPath) bad('no socket path');
    return { kind: 'unix', socketPath, url };
  }
  const m = /^(?:tcp|http):\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d+)\/?$/.exec(url);
  if (!m) return bad(/^(tcp|http):\/\//.test(url) ? 'expected HOST:PORT after the scheme' : 'unknown scheme');
  const port = Number(m[2]);
  if (port < 1 || port > 65535) bad(`port ${m[2]} is out of range`);
  return { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port, url };
}

/** An error answer from the daemon; `message` is the daemon's own text. */
export class DaemonError extends TsswarmError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(codeFor(status), message);
    this.name = 'DaemonError';
  }
}

function codeFor(status: number): ErrorCode {
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 403) return 'Refused';
  if (status === 413) return 'TooLarge';
  if (status >= 400 && status < 500) return 'Invalid';
  return 'Unavailable';
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

export interface RequestOptions {
  query?: Record<string, string>;
  body?: unknown;
}

export class ApiClient {
  readonly endpoint: Endpoint;

  constructor(host: string) {
    this.endpoint = parseHost(host);
  }

  // ---- system and swarm ----

  info(): Promise<SystemInfo> {
    return this.json('GET', '/info');
  }

  swarmInspect(): Promise<Swarm> {
    return this.json('GET', '/swarm');
  }

  /** The new node's ID. */
  swarmInit(req: SwarmInitRequest): Promise<string> {
    return this.json('POST', '/swarm/init', { body: req });
  }

  async swarmJoin(req: SwarmJoinRequest): Promise<void> {
    await this.call('POST', '/swarm/join', { body: req });
  }

  async swarmLeave(force: boolean): Promise<void> {
    await this.call('POST', '/swarm/leave', { query: { force: String(force) } });
  }

  async swarmUpdate(version: number, spec: SwarmSpec, rotate: SwarmRotate = {}): Promise<void> {
    await this.call('POST', '/swarm/update', {
      query: {
        version: String(version),
        rotateWorkerToken: String(rotate.worker === true),
        rotateManagerToken: String(rotate.manager === true),
        rotateManagerUnlockKey: String(rotate.unlockKey === true),
      },
      body: spec,
    });
  }

  /** The key, or '' when autolock is off. */
  async swarmUnlockKey(): Promise<string> {
    const r = await this.json<{ UnlockKey?: string }>('GET', '/swarm/unlockkey');
    return r.UnlockKey ?? '';
  }

  // ---- nodes ----

  nodeList(filters?: Filters): Promise<Node[]> {
    return this.json('GET', '/nodes', { query: filterQuery(filters) });
  }

  async nodeInspect(ref: string): Promise<Inspected<Node>> {
    return this.inspect('GET', `/nodes/${objectId('node', ref)}`);
  }

  async nodeUpdate(id: string, version: number, spec: NodeSpec): Promise<void> {
    await this.call('POST', `/nodes/${objectId('node', id)}/update`, { query: { version: String(version) }, body: spec });
  }

  async nodeRemove(ref: string, force: boolean): Promise<void> {
    await this.call('DELETE', `/nodes/${objectId('node', ref)}`, { query: { force: String(force) } });
  }

  // ---- networks ----

  networkCreate(req: NetworkCreateRequest): Promise<{ Id: string; Warning?: string }> {
    return this.json('POST', '/networks/create', { body: req });
  }

  networkList(filters?: Filters): Promise<Network[]> {
    return this.json('GET', '/networks', { query: filterQuery(filters) });
  }

  async networkInspect(ref: string): Promise<Inspected<Network>> {
    return this.inspect('GET', `/networks/${objectId('network', ref)}`);
  }

  async networkRemove(ref: string): Promise<void> {
    await this.call('DELETE', `/networks/${objectId('network', ref)}`);
  }

  /** Names of the networks removed. */
  async networkPrune(filters?: Filters): Promise<string[]> {
    const r = await this.json<{ NetworksDeleted?: string[] | null }>('POST', '/networks/prune', { query: filterQuery(filters) });
    return r.NetworksDeleted ?? [];
  }

  // ---- configs ----

  configCreate(spec: ConfigSpec): Promise<{ ID: string }> {
    return this.json('POST', '/configs/create', { body: spec });
  }

  configList(filters?: Filters): Promise<Config[]> {
    return this.json('GET', '/configs', { query: filterQuery(filters) });
  }

  async configInspect(ref: string): Promise<Inspected<Config>> {
    return this.inspect('GET', `/configs/${objectId('config', ref)}`);
  }

  async configRemove(ref: string): Promise<void> {
    await this.call('DELETE', `/configs/${objectId('config', ref)}`);
  }

  // ---- plumbing ----

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return (await this.inspect<T>(method, path, opts)).value;
  }

  async inspect<T>(method: string, path: string, opts: RequestOptions = {}): Promise<Inspected<T>> {
    const a = await this.call(method, path, opts);
    try {
      return { value: JSON.parse(a.text) as T, raw: a.text };
    } catch {
      throw new TsswarmError('Invalid', `the daemon answered ${method} ${path} with something other than JSON: ${a.text.slice(0, 200)}`);
    }
  }

  /** Sends one request; a 4xx/5xx answer becomes a DaemonError. */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
    const a = await this.send(method, path, opts);
    if (a.status >= 400) throw answerError(a);
    return a;
  }

  private send(method: string, path: string, opts: RequestOptions): Promise<Answer> {
    const query = opts.query && Object.keys(opts.query).length > 0 ? `?${new URLSearchParams(opts.query).toString()}` : '';
    // No content-type without a body: fastify refuses an empty body declared as JSON.
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { host: 'tsswarm', connection: 'close' };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    const ep = this.endpoint;
    const target = ep.kind === 'unix' ? { socketPath: ep.socketPath } : { host: ep.host, port: ep.port };
    return new Promise((resolve, reject) => {
      // agent: false, so no kept-alive socket holds the CLI process open after the verb.
      const req = http.request({ ...target, method, path: path + query, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => reject(connectError(ep.url, e)));
      req.end(body);
    });
  }
}

function filterQuery(filters: Filters | undefined): Record<string, string> {
  const encoded = filters ? encodeFilters(filters) : '';
  return encoded ? { filters: encoded } : {};
}

/** docker refuses an empty reference before asking the daemon. */
function objectId(kind: string, ref: string): string {
  const id = ref.trim();
  if (!id) throw new TsswarmError('Invalid', `invalid ${kind} name or ID: value is empty`);
  return encodeURIComponent(id);
}

function answerError(a: Answer): TsswarmError {
  const statusText = http.STATUS_CODES[a.status] ?? 'Unknown';
  if (a.text.trim() === '') {
    return new TsswarmError(codeFor(a.status), `request returned ${a.status} ${statusText}; check if the daemon supports this API route`);
  }
  if (a.contentType.startsWith('application/json')) {
    let message = '';
    try {
      const parsed = JSON.parse(a.text) as { message?: unknown };
      if (typeof parsed.message === 'string') message = parsed.message.trim();
    } catch {
      return new DaemonError(a.status, a.text.trim());
    }
    return new DaemonError(a.status, message || `API returned a ${a.status} (${statusText}) but provided no error-message`);
  }
  return new DaemonError(a.status, a.text.trim());
}

function connectError(url: string, e: NodeJS.ErrnoException): TsswarmError {
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
    return new TsswarmError('Unavailable', `Cannot connect to the tsswarm daemon at ${url}. Is the daemon running? (tsswarm daemon)`);
  }
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return new TsswarmError('Refused', `permission denied while trying to connect to the tsswarm daemon at ${url}`);
  }
  return new TsswarmError('Unavailable', `error during connect to ${url}: ${e.message}`);
}
