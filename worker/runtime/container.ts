// A container without a container engine: a process in its own network namespace
// (made with `ip netns add`, so the overlay can plug a veth into it), its own mount
// namespace (`ip netns exec` gives one, and bind-mounts /etc/netns/NAME/{hosts,
// resolv.conf} over /etc, which is exactly the per-container /etc we want) and its own
// UTS namespace (`unshare --uts`, for the hostname). `exec` enters all three with
// nsenter. No image: the process sees the host's filesystem.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../shared/run.js';
import { TsswarmError } from '../../shared/errors.js';

export interface ContainerSpec {
  /** Network namespace name; carries the caller's prefix so leftovers are traceable. */
  netns: string;
  hostname: string;
  /** Content of the container's /etc/hosts and /etc/resolv.conf. */
  hosts: string;
  resolvConf: string;
  cmd: string[];
  env?: Record<string, string>;
  /** Where the process's stdout and stderr go (`tsswarm logs`). */
  logFile: string;
}

export type ContainerState = { status: 'running'; pid: number } | { status: 'exited'; exitCode: number | null; signal: string | null };

/** Where `ip netns exec` looks for per-namespace files to bind over /etc. */
const NETNS_ETC = '/etc/netns';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

async function ip(args: string[]): Promise<void> {
  const r = await run(['ip', ...args], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new TsswarmError('Refused', `ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

export class Container {
  private child: ChildProcess | undefined;
  private state: ContainerState = { status: 'exited', exitCode: null, signal: null };
  private readonly exited: Promise<void>;
  private markExited!: () => void;

  private constructor(readonly spec: ContainerSpec) {
    this.exited = new Promise((r) => (this.markExited = r));
  }

  /** Creates the namespaces and starts the process; the network namespace has only `lo` until the overlay attaches it. */
  static async start(spec: ContainerSpec): Promise<Container> {
    if (!NAME.test(spec.netns)) throw new TsswarmError('Invalid', `invalid namespace name "${spec.netns}"`);
    if (!NAME.test(spec.hostname)) throw new TsswarmError('Invalid', `invalid hostname "${spec.hostname}"`);
    if (spec.cmd.length === 0) throw new TsswarmError('Invalid', 'a container needs a command');
    const c = new Container(spec);
    const etc = path.join(NETNS_ETC, spec.netns);
    await mkdir(etc, { recursive: true });
    await writeFile(path.join(etc, 'hosts'), spec.hosts);
    await writeFile(path.join(etc, 'resolv.conf'), spec.resolvConf);
    await ip(['netns', 'add', spec.netns]);
    try {
      await ip(['-n', spec.netns, 'link', 'set', 'lo', 'up']);
      await mkdir(path.dirname(spec.logFile), { recursive: true });
      const log = await open(spec.logFile, 'a');
      try {
        // sh sets the hostname inside the new UTS namespace, says so on fd 3 (so that an
        // exec right after start finds the container complete), then becomes the command.
        const script = 'hostname "$0" && echo ready >&3 && exec 3>&- && exec "$@"';
        const argv = ['netns', 'exec', spec.netns, 'unshare', '--uts', '--', 'sh', '-c', script, spec.hostname, ...spec.cmd];
        const child = spawn('ip', argv, { stdio: ['ignore', log.fd, log.fd, 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...spec.env } });
        c.child = child;
        await new Promise<void>((resolve, reject) => {
          const ready = child.stdio[3] as NodeJS.ReadableStream | null;
          let said = '';
          ready?.on('data', (b: Buffer) => {
            said += b.toString();
            if (said.includes('ready')) resolve();
          });
          child.once('error', reject);
          child.once('exit', (code) => reject(new TsswarmError('Refused', `container ${spec.hostname} did not start (exit ${code}); see ${spec.logFile}`)));
        });
        c.state = { status: 'running', pid: child.pid! };
        child.once('exit', (code, signal) => {
          // Killed by a signal: 128 + its number, as a shell (and docker) reports it.
          const exitCode = code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : null);
          c.state = { status: 'exited', exitCode, signal };
          c.markExited();
        });
      } finally {
        await log.close();
      }
    } catch (e) {
      await c.remove();
      throw e;
    }
    return c;
  }

  status(): ContainerState {
    return this.state;
  }

  /** Runs a command inside the container's namespaces (`tsswarm exec`). */
  async exec(cmd: string[], opts: { timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    if (this.state.status !== 'running') throw new TsswarmError('Refused', `container ${this.spec.hostname} is not running`);
    const pid = String(this.state.pid);
    return run(['nsenter', '--target', pid, '--net', '--mount', '--uts', '--', ...cmd], { timeoutMs: opts.timeoutMs ?? 30_000 });
  }

  /** SIGTERM, then SIGKILL after `graceMs`, as `docker stop`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.state.status !== 'running' || !this.child) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Stops it and removes its namespace and /etc files; idempotent. */
  async remove(): Promise<void> {
    await this.stop(2_000);
    const r = await run(['ip', 'netns', 'del', this.spec.netns], { timeoutMs: 10_000 });
    if (r.code !== 0 && !/No such file|Invalid argument|does not exist/.test(r.stderr)) {
      throw new TsswarmError('Refused', `removing namespace ${this.spec.netns}: ${r.stderr.trim()}`);
    }
    await rm(path.join(NETNS_ETC, this.spec.netns), { recursive: true, force: true });
  }
}
