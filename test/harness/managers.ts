// Starts bare tsswarm managers as real OS processes on 127.0.0.1, with real TLS
// certificates and real LevelDB data dirs, for the process tests and the benchmark.
// Everything it makes lives under one temp dir and dies with cleanup().

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCA, issueCert } from '../../shared/pki/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/cli/tsswarm.js, from dist/test/harness/. */
export const CLI = path.resolve(here, '../../cli/tsswarm.js');

export interface ManagerProc {
  id: string;
  raftAddr: string;
  api: string; // http://127.0.0.1:PORT
  dataDir: string;
  tlsDir: string;
  proc: ChildProcess | null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export class ManagerCluster {
  readonly dir: string;
  readonly clusterId: string;
  readonly members: ManagerProc[] = [];
  private bootstrap = '';
  private founders = 0;

  constructor(prefix = 'tsswarm-proc') {
    this.dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    this.clusterId = `c${process.pid.toString(36)}${Date.now().toString(36)}`;
  }

  /**
   * Makes a CA, certificates and ports for n members; starts none. The first
   * `founders` members bootstrap the cluster; the rest start with `--peers` and
   * wait to be added.
   */
  async prepare(n: number, founders = n): Promise<void> {
    const ca = await generateCA(`tsswarm-test-ca ${this.clusterId}`);
    for (let i = 1; i <= n; i++) {
      const id = `m${i}`;
      const tlsDir = path.join(this.dir, id, 'tls');
      const dataDir = path.join(this.dir, id, 'data');
      mkdirSync(tlsDir, { recursive: true });
      const leaf = await issueCert(ca, { cn: id, ou: 'swarm-manager', o: this.clusterId, days: 30 });
      writeFileSync(path.join(tlsDir, 'ca.pem'), ca.certPem);
      writeFileSync(path.join(tlsDir, 'cert.pem'), leaf.certPem);
      writeFileSync(path.join(tlsDir, 'key.pem'), leaf.keyPem, { mode: 0o600 });
      const raftAddr = `127.0.0.1:${await freePort()}`;
      const api = `http://127.0.0.1:${await freePort()}`;
      this.members.push({ id, raftAddr, api, dataDir, tlsDir, proc: null });
    }
    this.bootstrap = this.members
      .slice(0, founders)
      .map((m) => `${m.id}=${m.raftAddr}`)
      .join(',');
    this.founders = founders;
  }

  start(m: ManagerProc, extraArgs: string[] = []): void {
    const log = createWriteStream(path.join(this.dir, m.id, 'manager.log'), { flags: 'a' });
    const args = [
      CLI,
      'manager',
      '--id', m.id,
      '--cluster-id', this.clusterId,
      '--data-dir', m.dataDir,
      '--listen-addr', m.raftAddr,
      '--api-addr', m.api.replace('http://', ''),
      '--tls-dir', m.tlsDir,
      ...(this.members.indexOf(m) < this.founders ? ['--bootstrap', this.bootstrap] : ['--peers', this.bootstrap]),
      ...extraArgs,
    ];
    const nodeFlags = process.env.TSSWARM_NODE_FLAGS ? process.env.TSSWARM_NODE_FLAGS.split(" ") : [];
    const p = spawn(process.execPath, [...nodeFlags, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.pipe(log);
    p.stderr.pipe(log);
    p.on('exit', () => {
      if (m.proc === p) m.proc = null;
    });
    m.proc = p;
  }

  startAll(extraArgs: string[] = []): void {
    for (const m of this.members) this.start(m, extraArgs);
  }

  async kill(m: ManagerProc, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = m.proc;
    if (!p) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill(signal);
    });
    m.proc = null;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.members.map((m) => this.kill(m)));
    if (!process.env.KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** GET /raft/status of a manager, or null while it does not answer. */
export interface RaftStatus {
  id: string;
  leader: string;
  role: string;
  term: number;
  commit: number;
  applied: number;
  voters: string[];
  learners: string[];
}

export async function raftStatus(m: ManagerProc): Promise<RaftStatus | null> {
  try {
    const r = await fetch(`${m.api}/raft/status`, { signal: AbortSignal.timeout(1000) });
    return (await r.json()) as RaftStatus;
  } catch {
    return null;
  }
}

/** Polls `f` until it returns something truthy; throws naming `what` after the timeout. */
export async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await f();
    if (v) return v;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The member among `ms` that says it leads. */
export function leaderAmong(ms: ManagerProc[], timeoutMs = 15_000): Promise<ManagerProc> {
  return until(
    'a leader',
    async () => {
      for (const m of ms) if ((await raftStatus(m))?.role === 'leader') return m;
      return null;
    },
    timeoutMs,
  );
}
