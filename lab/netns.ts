// Network namespaces through iproute2: one per lab host plus the lab's hub.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ip } from './run.js';

/** The names of all network namespaces `ip netns` knows. */
export async function listNetns(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  // Lines look like "tslab-m1 (id: 3)" or just "tslab-m1".
  return out.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n !== '');
}

export async function addNetns(name: string): Promise<void> {
  await ip(['netns', 'add', name]);
  // Loopback starts down in a new namespace; daemons listen on it.
  await ip(['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function delNetns(name: string): Promise<void> {
  await ip(['netns', 'del', name]);
  // A container's namespace has per-namespace /etc files (see worker/runtime); a daemon
  // killed before removing its containers leaves them for us.
  await rm(path.join('/etc/netns', name), { recursive: true, force: true });
}

/** Pids of every process whose network namespace is `name`. */
export async function netnsPids(name: string): Promise<number[]> {
  const out = await ip(['netns', 'pids', name]);
  return out.split('\n').map((l) => Number(l.trim())).filter((n) => Number.isInteger(n) && n > 0);
}

/** The argv that runs argv inside namespace `ns`; `ip netns exec` execs it, so the pid is the program's own. */
export function inNetns(ns: string, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}
