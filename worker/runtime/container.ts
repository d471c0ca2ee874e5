// A container without a container engine: a process in its own network namespace
// (made with `ip netns add`, so the overlay can plug a veth into it), its own mount
// namespace (`ip netns exec` gives one, and bind-mounts /etc/netns/NAME/{hosts,
// resolv.conf} over /etc, which is exactly the per-container /etc we want) and its own
// UTS namespace (`unshare --uts`, for the hostname). `exec` enters all three with
// nsenter. No image: the process sees the host's filesystem.
//
// The container outlives a crash of the daemon that started it (it runs in its own
// session), so a restarted daemon adopts it by pid. A small shell shim stays as the
// container's first process: it forwards SIGTERM/SIGINT to the command and writes the
// command's exit status to a file, so the status is known even when the daemon that
// started the container is not the one that sees it end (containerd's shim does the same).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
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
  /** Where the shim writes the command's exit status; default beside the log. */
  exitFile?: string;
}

export type ContainerState = { status: 'running'; pid: number } | { status: 'exited'; exitCode: number | null; signal: string | null };

/** What identifies a running container's first process across daemon restarts (pids are reused; start times are not). */
export interface ProcessId {
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks since boot at which the process started. */
  startTime: string;
}

/** Where `ip netns exec` looks for per-namespace files to bind over /etc. */
const NETNS_ETC = '/etc/netns';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/**
 * An adopted container is not our child, so its end is noticed by looking: twice a
 * second costs nothing and shows an exit in `ps` well within a human's patience.
 */
const ADOPTED_POLL_MS = 500;

/** Only SIGKILL stops the shim before it writes the status file; report it as a shell would. */
const KILLED_EXIT_CODE = 128 + 9;

// $0 hostname, $1 exit file, then the command. The command runs in the background so the
// shim can forward signals (a shell defers traps while it waits in the foreground); `wait`
// returns early when a trap runs, hence the loop until the command is really gone.
const SHIM = [
  'hostname "$0" || exit 125',
  'f=$1; shift',
  'echo ready >&3; exec 3>&-',
  '"$@" & c=$!',
  'trap \'kill -TERM $c 2>/dev/null\' TERM',
  'trap \'kill -INT $c 2>/dev/null\' INT',
  'wait $c; s=$?',
  'while kill -0 $c 2>/dev/null; do wait $c; s=$?; done',
  'echo $s > "$f"',
  'exit $s',
].join('\n');

async function ip(args: string[]): Promise<void> {
  const r = await run(['ip', ...args], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new TsswarmError('Refused', `ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** The start time of `pid`, or undefined if no such process is running (zombies count as gone). */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

function exitFileOf(spec: ContainerSpec): string {
  return spec.exitFile ?? path.join(path.dirname(spec.logFile), 'exit');
}

export class Container {
  private child: ChildProcess | undefined;
  private poller: NodeJS.Timeout | undefined;
  private state: ContainerState = { status: 'exited', exitCode: null, signal: null };
  private startTime = '';
  /** It was running here and has ended. */
  private ended = false;
  private readonly exited: Promise<void>;
  private markExited!: () => void;
  private readonly exitListeners: ((st: ContainerState) => void)[] = [];

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
      await rm(exitFileOf(spec), { force: true });
      const log = await open(spec.logFile, 'a');
      try {
        const argv = ['netns', 'exec', spec.netns, 'unshare', '--uts', '--', 'sh', '-c', SHIM, spec.hostname, exitFileOf(spec), ...spec.cmd];
        // Its own session: a signal to the daemon's process group (Ctrl-C, a service
        // manager stopping the daemon) does not reach containers, and a stop can signal
        // the container's whole group.
        const child = spawn('ip', argv, { detached: true, stdio: ['ignore', log.fd, log.fd, 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...spec.env } });
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
        c.startTime = (await processStartTime(child.pid!)) ?? '';
        child.once('exit', (code, signal) => {
          // Killed by a signal: 128 + its number, as a shell (and docker) reports it.
          const exitCode = code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : null);
          c.finish({ status: 'exited', exitCode, signal });
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

  /**
   * Takes over a container a previous daemon started: running if its first process is
   * still the one recorded, else exited with the status its shim wrote.
   */
  static async adopt(spec: ContainerSpec, proc: ProcessId): Promise<Container> {
    const c = new Container(spec);
    c.startTime = proc.startTime;
    if ((await processStartTime(proc.pid)) === proc.startTime && proc.startTime !== '') {
      c.state = { status: 'running', pid: proc.pid };
      c.poller = setInterval(() => {
        void processStartTime(proc.pid).then(async (t) => {
          if (t === proc.startTime || c.state.status !== 'running') return;
          clearInterval(c.poller);
          c.finish({ status: 'exited', exitCode: await c.readExitFile(), signal: null });
        });
      }, ADOPTED_POLL_MS);
    } else {
      c.state = { status: 'exited', exitCode: await c.readExitFile(), signal: null };
      c.markExited();
    }
    return c;
  }

  private async readExitFile(): Promise<number> {
    const text = await readFile(exitFileOf(this.spec), 'utf8').catch(() => '');
    const n = Number.parseInt(text.trim(), 10);
    return Number.isInteger(n) ? n : KILLED_EXIT_CODE;
  }

  private finish(st: ContainerState): void {
    if (this.state.status !== 'running') return;
    this.ended = true;
    this.state = st;
    this.markExited();
    for (const fn of this.exitListeners) fn(st);
  }

  /** Called once when the container's process ends, also if it ended already (not when it was adopted already exited). */
  onExit(fn: (st: ContainerState) => void): void {
    if (this.ended) queueMicrotask(() => fn(this.state));
    else this.exitListeners.push(fn);
  }

  status(): ContainerState {
    return this.state;
  }

  /** What a later daemon needs to adopt this container. */
  processId(): ProcessId | undefined {
    return this.state.status === 'running' ? { pid: this.state.pid, startTime: this.startTime } : undefined;
  }

  /** Rewrites the container's /etc/hosts in place (the file is bind-mounted, so a new inode would not be seen). */
  async setHosts(hosts: string): Promise<void> {
    this.spec.hosts = hosts;
    await writeFile(path.join(NETNS_ETC, this.spec.netns, 'hosts'), hosts);
  }

  /** Runs a command inside the container's namespaces (`tsswarm exec`). */
  async exec(cmd: string[], opts: { timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    if (this.state.status !== 'running') throw new TsswarmError('Refused', `container ${this.spec.hostname} is not running`);
    const pid = String(this.state.pid);
    return run(['nsenter', '--target', pid, '--net', '--mount', '--uts', '--', ...cmd], { timeoutMs: opts.timeoutMs ?? 30_000 });
  }

  private signal(sig: NodeJS.Signals, group: boolean): void {
    if (this.state.status !== 'running') return;
    try {
      process.kill(group ? -this.state.pid : this.state.pid, sig);
    } catch {
      // Gone already: the exit is on its way.
    }
  }

  /** SIGTERM (forwarded by the shim to the command), then SIGKILL to the whole group after `graceMs`, as `docker stop`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.state.status !== 'running') return;
    this.signal('SIGTERM', false);
    const timer = setTimeout(() => this.signal('SIGKILL', true), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Stops it and removes its namespace and /etc files; idempotent. */
  async remove(): Promise<void> {
    await this.stop(2_000);
    if (this.poller) clearInterval(this.poller);
    const r = await run(['ip', 'netns', 'del', this.spec.netns], { timeoutMs: 10_000 });
    if (r.code !== 0 && !/No such file|Invalid argument|does not exist/.test(r.stderr)) {
      throw new TsswarmError('Refused', `removing namespace ${this.spec.netns}: ${r.stderr.trim()}`);
    }
    await rm(path.join(NETNS_ETC, this.spec.netns), { recursive: true, force: true });
  }

  /** Forgets the container without touching it (daemon shutdown that leaves containers running). */
  release(): void {
    if (this.poller) clearInterval(this.poller);
    this.child?.unref();
  }
}
