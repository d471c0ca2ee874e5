// One tsswarm daemon per lab host: started detached inside the host's namespace,
// found again later by pid (checked against its command line before any signal).
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { TsswarmError } from '../shared/errors.js';
import { KILL_WAIT_MS, LOG_TAIL_LINES, PING_INTERVAL_MS, PING_TIMEOUT_MS, READY_TIMEOUT_MS, STOP_GRACE_MS } from './defaults.js';
import type { HostState } from './state.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The environment variable that marks a lab daemon, so a pid can be recognised as ours even if it renames itself. */
const MARKER = 'TSSWARM_LAB_DAEMON';

function marker(lab: string, host: string): string {
  return `${MARKER}=${lab}/${host}`;
}

/** The exact command that runs a host's daemon; the only place it is spelled out. */
export function daemonArgv(netns: string, cli: string, host: { name: string; dataDir: string; socket: string }, dnsUpstream = 'none', gossipKeyRotation?: string): string[] {
  // Namespaces the daemon makes (sandboxes, containers) carry the host's own prefix, so
  // hosts sharing /run/netns do not collide and `lab down` finds them by the lab's.
  // nsenter enters only the network namespace: `ip netns exec` would also give the daemon
  // a private mount namespace, where the namespaces it makes with `ip netns add` would be
  // bind-mounted out of everyone else's sight (and out of `lab down`'s reach).
  return ['nsenter', `--net=/run/netns/${netns}`, '--',
    process.execPath, cli, 'daemon', '--data-dir', host.dataDir, '--host', `unix://${host.socket}`, '--hostname', host.name, '--netns-prefix', `${netns}-`,
    // A lab has no resolver of its own: by default nothing a container asks leaves the lab.
    '--dns-upstream', dnsUpstream, ...(gossipKeyRotation ? ['--gossip-key-rotation', gossipKeyRotation] : [])];
}

/** The environment lab programs run with: ours, minus what would confuse a nested node. */
export function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // Set by `node --test` for its children; a daemon or CLI is not a test file.
  delete env['NODE_TEST_CONTEXT'];
  return env;
}

/**
 * Starts the daemon in its own session (it must outlive the `lab up` that starts it),
 * output appended to the host's log. Resolves with its pid once it is running.
 */
export async function startDaemon(lab: string, host: HostState): Promise<number> {
  const [cmd, ...args] = host.daemonArgv;
  if (!cmd) throw new TsswarmError('Corrupt', `no daemon command recorded for ${host.name}`);
  const fd = openSync(host.log, 'a');
  try {
    const child = spawn(cmd, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...baseEnv(), [MARKER]: `${lab}/${host.name}` },
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', (e) => reject(new TsswarmError('Unavailable', `cannot start the daemon of ${host.name}: ${e.message}`)));
    });
    child.unref();
    return pid;
  } finally {
    closeSync(fd);
  }
}

/** Whether a daemon answers GET /_ping with 200 on its socket. */
export function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: PING_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export async function logTail(file: string, lines = LOG_TAIL_LINES): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Waits until the host's daemon answers /_ping; fails early if the process dies. */
export async function waitReady(lab: string, host: HostState, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ping(host.socket)) return;
    const alive = host.pid !== null && (await isLabDaemon(lab, host, host.pid));
    if (!alive || Date.now() > deadline) {
      const why = alive ? `did not answer /_ping on ${host.socket} within ${timeoutMs} ms` : 'exited';
      const tail = await logTail(host.log);
      throw new TsswarmError(alive ? 'Timeout' : 'Unavailable', `the daemon of ${host.name} ${why}; last lines of ${host.log}:\n${tail || '(empty)'}`);
    }
    await sleep(PING_INTERVAL_MS);
  }
}

/** Whether pid is a live (not zombie) process. */
export async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return false;
  // "pid (comm) S ..." — comm may hold spaces or parens, so read after the last ")".
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/**
 * Whether pid is still this host's daemon and alive: its command line is the recorded
 * one (after the `nsenter … --` that execs it), or, should it have renamed itself,
 * its environment carries the lab's marker. A recycled pid matches neither.
 */
export async function isLabDaemon(lab: string, host: HostState, pid: number): Promise<boolean> {
  if (!(await isAlive(pid))) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  // What follows the wrapper, which execs it: `nsenter … --` (or `ip netns exec NS` in older records).
  const sep = host.daemonArgv.indexOf('--');
  const expected = host.daemonArgv.slice(sep >= 0 ? sep + 1 : 4).join('\0');
  if (cmdline.replace(/\0$/, '') === expected) return true;
  const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
  return environ.split('\0').includes(marker(lab, host.name));
}

async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left: number[] = [];
    for (const p of pids) if (await isAlive(p)) left.push(p);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(50);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    // Gone between the check and the signal: that is what we wanted.
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** SIGTERM, then SIGKILL for whatever is left after the grace period. Returns pids that would not die. */
export async function terminate(pids: number[], graceMs = STOP_GRACE_MS): Promise<number[]> {
  if (pids.length === 0) return [];
  for (const p of pids) signal(p, 'SIGTERM');
  const stubborn = await waitGone(pids, graceMs);
  for (const p of stubborn) signal(p, 'SIGKILL');
  return waitGone(stubborn, KILL_WAIT_MS);
}

/** SIGKILL at once, as a crash; returns pids still there afterwards. */
export async function killHard(pids: number[]): Promise<number[]> {
  for (const p of pids) signal(p, 'SIGKILL');
  return waitGone(pids, KILL_WAIT_MS);
}
