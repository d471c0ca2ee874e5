// A stand-in daemon for CLI tests: fastify on a unix socket in a fresh temp dir,
// answering canned Docker-shaped bodies and recording every request it gets.
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body; undefined when none was sent. */
  body: unknown;
  contentType: string | undefined;
}

export interface Reply {
  status?: number;
  body?: unknown;
}

/** Routes by "METHOD /path" (no query); a function sees the request. */
export type Routes = Record<string, Reply | ((req: Recorded) => Reply)>;

export class FakeDaemon {
  readonly requests: Recorded[] = [];

  private constructor(
    private readonly app: FastifyInstance,
    private readonly dir: string,
    readonly socketPath: string,
    public routes: Routes,
  ) {}

  get host(): string {
    return `unix://${this.socketPath}`;
  }

  static async start(routes: Routes): Promise<FakeDaemon> {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsswarm-cli-'));
    const socketPath = path.join(dir, 'tsswarm.sock');
    const app = Fastify({ logger: false });
    const daemon = new FakeDaemon(app, dir, socketPath, routes);
    // Keep the body as text so the test sees exactly what was sent.
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    app.all('/*', async (req, reply) => {
      const url = new URL(req.url, 'http://x');
      const rec: Recorded = {
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: typeof req.body === 'string' && req.body !== '' ? JSON.parse(req.body) : undefined,
        contentType: req.headers['content-type'],
      };
      daemon.requests.push(rec);
      const route = daemon.routes[`${rec.method} ${rec.path}`];
      const r = typeof route === 'function' ? route(rec) : route;
      if (!r) return reply.status(404).send({ message: `page not found: ${rec.method} ${rec.path}` });
      if (r.body === undefined) return reply.status(r.status ?? 200).send();
      // A JSON string body (swarm init's node ID) must go out as JSON, not as text.
      return reply.status(r.status ?? 200).type('application/json').send(JSON.stringify(r.body));
    });
    try {
      await app.listen({ path: socketPath });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return daemon;
  }

  /** "METHOD /path?query" of each request, for order checks. */
  lines(): string[] {
    return this.requests.map((r) => {
      const q = new URLSearchParams(r.query).toString();
      return `${r.method} ${r.path}${q ? '?' + q : ''}`;
    });
  }

  async stop(): Promise<void> {
    try {
      await this.app.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Runs `fn` against a fresh fake daemon and always stops it. */
export async function withDaemon(routes: Routes, fn: (d: FakeDaemon) => Promise<void>): Promise<void> {
  const d = await FakeDaemon.start(routes);
  try {
    await fn(d);
  } finally {
    await d.stop();
  }
}
