// The two clusters the Raft benchmark compares: the etcd anchor (as
// ../shared/anchors/etcd3.sh starts it) and three tsswarm managers, each
// started, measured and stopped in the same invocation.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request, sleep, type Target } from './loadgen.js';
import { ManagerCluster, freePort } from '../test/harness/managers.js';

export interface Running {
  target: Target;
  stop(): Promise<void>;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function killAll(procs: ChildProcess[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          const t = setTimeout(() => p.kill('SIGKILL'), 5000);
          p.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          p.kill('SIGTERM');
        }),
    ),
  );
}

export async function startEtcd(): Promise<Running> {
  if (spawnSync('etcd', ['--version']).status !== 0) {
    throw new Error('etcd is not installed: run `bash scripts/setup.sh` first (Debian package etcd-server)');
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsswarm-bench-etcd-'));
  const members = [];
  for (let i = 1; i <= 3; i++) members.push({ name: `e${i}`, client: await freePort(), peer: await freePort() });
  const cluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const procs = members.map((m) => {
    const log = createWriteStream(path.join(dir, `${m.name}.log`));
    const p = spawn(
      'etcd',
      [
        '--name', m.name,
        '--data-dir', path.join(dir, m.name),
        '--listen-client-urls', `http://127.0.0.1:${m.client}`,
        '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
        '--listen-peer-urls', `http://127.0.0.1:${m.peer}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
        '--initial-cluster', cluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', `bench-${process.pid}`,
        '--logger', 'zap',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    p.stdout.pipe(log);
    p.stderr.pipe(log);
    return p;
  });
  const endpoints = members.map((m) => `http://127.0.0.1:${m.client}`);
  const target: Target = {
    name: 'etcd',
    endpoints,
    pids: procs.map((p) => p.pid!),
    async put(a, ep, key, valueB64, timeoutMs) {
      const r = await request(a, ep, 'POST', '/v3/kv/put', { key: b64(key), value: valueB64 }, timeoutMs);
      if (r.status !== 200) throw new Error(`HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
    },
    async leader(a, timeoutMs) {
      const sts = await Promise.all(
        endpoints.map((ep) =>
          request(a, ep, 'POST', '/v3/maintenance/status', {}, timeoutMs)
            .then((r) => r.json as { leader?: string; header?: { member_id?: string } })
            .catch(() => null),
        ),
      );
      for (let i = 0; i < sts.length; i++) {
        const s = sts[i];
        if (s?.leader && s.leader !== '0' && s.header?.member_id === s.leader) return { idx: i, id: s.leader };
      }
      return null;
    },
  };
  return {
    target,
    async stop() {
      await killAll(procs);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startTsswarm(): Promise<Running> {
  const c = new ManagerCluster('tsswarm-bench');
  await c.prepare(3);
  c.startAll();
  const endpoints = c.members.map((m) => m.api);
  const target: Target = {
    name: 'tsswarm',
    endpoints,
    get pids() {
      return c.members.map((m) => m.proc?.pid ?? 0);
    },
    async put(a, ep, key, valueB64, timeoutMs) {
      const r = await request(a, ep, 'POST', '/configs/create', { Name: key, Data: valueB64 }, timeoutMs);
      if (r.status !== 201) throw new Error(`HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
    },
    async leader(a, timeoutMs) {
      const sts = await Promise.all(
        endpoints.map((ep) =>
          request(a, ep, 'GET', '/raft/status', undefined, timeoutMs)
            .then((r) => r.json as { id?: string; leader?: string; role?: string })
            .catch(() => null),
        ),
      );
      for (let i = 0; i < sts.length; i++) {
        const s = sts[i];
        if (s?.role === 'leader' && s.leader === s.id) return { idx: i, id: `${s.id}` };
      }
      return null;
    },
  };
  // Wait until the API answers everywhere before measuring anything.
  for (let i = 0; i < 100; i++) {
    const ok = await Promise.all(
      endpoints.map((ep) =>
        fetch(`${ep}/_ping`)
          .then((r) => r.ok)
          .catch(() => false),
      ),
    );
    if (ok.every(Boolean)) break;
    await sleep(100);
  }
  return { target, stop: () => c.cleanup() };
}
