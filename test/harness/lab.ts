// A lab for tests: hosts in network namespaces on a private underlay, one daemon each,
// built and torn down through the `tsswarm lab` CLI, with commands run on hosts through
// the same lab/ code that `tsswarm lab exec` uses.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { down as libraryDown, execCommand, labLeftovers } from '../../lab/lab.js';
import { run, type RunResult } from '../../lab/run.js';
import { CLI_JS, REPO_ROOT, readState, type LabState, type Role } from '../../lab/state.js';

export type { RunResult as LabRunResult } from '../../lab/run.js';

export interface LabHost {
  name: string;
  role: Role;
  /** Underlay address. */
  ip: string;
  netns: string;
  /** Path of the daemon's API socket (reachable from the test, which is outside the namespaces). */
  socket: string;
  dataDir: string;
  log: string;
}

export interface LabUpOptions {
  managers?: number;
  workers?: number;
  /** Default: "ts" + 6 random hex digits, so each run's names are its own. */
  name?: string;
  /** Namespaces and underlay only, no daemons. */
  bare?: boolean;
  /** false: start the daemons but leave forming the swarm to the test. Default true. */
  form?: boolean;
  /** The daemons' --dns-upstream; default "none". */
  dnsUpstream?: string;
  /** The daemons' --gossip-key-rotation. */
  gossipKeyRotation?: string;
}

export interface LabExecOptions {
  /** Default 60 s; a command still running then is killed and reported with code 124. */
  timeoutMs?: number;
  /** Written to the command's stdin. */
  input?: string;
}

const EXEC_TIMEOUT_MS = 60_000;
/** `lab up` of a full lab: daemons (15 s each at worst, in parallel) and a join per host. */
const UP_TIMEOUT_MS = 180_000;
/** `lab down`: a 3 s grace per group of processes, plus ip calls. */
const DOWN_TIMEOUT_MS = 60_000;

/**
 * The `tsswarm lab` command line: the real entry once it has the lab verbs, else a
 * two-line stand-in that registers them on a fresh commander program the same way.
 */
function labArgv(args: string[]): string[] {
  if (readFileSync(CLI_JS, 'utf8').includes('registerLabCommand')) return [process.execPath, CLI_JS, 'lab', ...args];
  const commander = pathToFileURL(createRequire(import.meta.url).resolve('commander')).href;
  const labCli = pathToFileURL(path.join(REPO_ROOT, 'dist', 'cli', 'lab.js')).href;
  const entry = [
    `import { Command } from ${JSON.stringify(commander)};`,
    `import { registerLabCommand } from ${JSON.stringify(labCli)};`,
    `const program = new Command('tsswarm');`,
    `registerLabCommand(program);`,
    `program.parseAsync(process.argv.slice(1), { from: 'user' }).catch((e) => { console.error('tsswarm: ' + (e instanceof Error ? e.message : String(e))); process.exit(1); });`,
  ].join('\n');
  return [process.execPath, '--input-type=module', '-e', entry, '--', 'lab', ...args];
}

/** Runs `tsswarm lab ARGS...` as a user would and captures what it prints. */
export function labCli(args: string[], opts: LabExecOptions = {}): Promise<RunResult> {
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  return run(labArgv(args), { env, timeoutMs: opts.timeoutMs ?? EXEC_TIMEOUT_MS, input: opts.input });
}

export class Lab {
  private state: LabState;
  private gone = false;

  private constructor(state: LabState) {
    this.state = state;
  }

  /**
   * Brings a lab up through `tsswarm lab up`. If that fails, whatever it made is
   * removed before the error is thrown (unless the name belonged to a lab that was
   * already there, which is left alone).
   */
  static async up(opts: LabUpOptions = {}): Promise<Lab> {
    const name = opts.name ?? `ts${randomBytes(3).toString('hex')}`;
    const before = await labLeftovers(name);
    const existed = before.dir || before.netns.length > 0;
    const args = ['up', '--name', name, '--managers', String(opts.managers ?? 3), '--workers', String(opts.workers ?? 2)];
    if (opts.bare) args.push('--bare');
    if (opts.form === false) args.push('--no-form');
    if (opts.dnsUpstream) args.push('--dns-upstream', opts.dnsUpstream);
    if (opts.gossipKeyRotation) args.push('--gossip-key-rotation', opts.gossipKeyRotation);
    const r = await labCli(args, { timeoutMs: UP_TIMEOUT_MS });
    if (r.code !== 0) {
      const cleanup = existed ? '' : await removeAll(name).then(() => '', (e: unknown) => `\nand cleaning up failed: ${(e as Error).message}`);
      throw new Error(`tsswarm lab ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}${cleanup}`);
    }
    try {
      return new Lab(await readState(name));
    } catch (e) {
      await removeAll(name);
      throw e;
    }
  }

  get name(): string {
    return this.state.name;
  }

  /** The lab's directory (state, logs, data dirs). */
  get dir(): string {
    return this.state.dir;
  }

  get subnet(): string {
    return this.state.subnet;
  }

  get hosts(): LabHost[] {
    return this.state.hosts.map((h) => ({ name: h.name, role: h.role, ip: h.ip, netns: h.netns, socket: h.socket, dataDir: h.dataDir, log: h.log }));
  }

  host(name: string): LabHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`lab ${this.name} has no host ${name}`);
    return h;
  }

  /** Runs argv on a host: in its namespace, TSSWARM_HOST/DOCKER_HOST at its daemon, the `tsswarm` shim on PATH. */
  async exec(host: string, argv: string[], opts: LabExecOptions = {}): Promise<RunResult> {
    const c = await execCommand(this.name, host, argv);
    return run(c.argv, { env: c.env, input: opts.input, timeoutMs: opts.timeoutMs ?? EXEC_TIMEOUT_MS });
  }

  /** Starts argv on a host in the background (same environment as exec); `down` kills it if the test does not. */
  async spawn(host: string, argv: string[]): Promise<ChildProcess> {
    const c = await execCommand(this.name, host, argv);
    const [cmd, ...args] = c.argv;
    return spawn(cmd!, args, { env: c.env, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  tsswarm(host: string, args: string[], opts: LabExecOptions = {}): Promise<RunResult> {
    return this.exec(host, ['tsswarm', ...args], opts);
  }

  docker(host: string, args: string[], opts: LabExecOptions = {}): Promise<RunResult> {
    return this.exec(host, ['docker', ...args], opts);
  }

  /** `tsswarm lab ls` for this lab. */
  ls(): Promise<RunResult> {
    return labCli(['ls', '--name', this.name]);
  }

  private async verb(verb: string, host: string): Promise<void> {
    const r = await labCli([verb, '--name', this.name, host], { timeoutMs: UP_TIMEOUT_MS });
    if (r.code !== 0) throw new Error(`tsswarm lab ${verb} ${host} exited ${r.code}: ${r.stderr.trim()}`);
  }

  /** SIGKILL the host's daemon. */
  kill(host: string): Promise<void> {
    return this.verb('kill', host);
  }

  /** Start the host's daemon again (same data dir) and wait until it answers /_ping. */
  async restart(host: string): Promise<void> {
    await this.verb('restart', host);
    this.state = await readState(this.name);
  }

  /** Cut the host off the underlay; its daemon keeps running. */
  partition(host: string): Promise<void> {
    return this.verb('partition', host);
  }

  heal(host: string): Promise<void> {
    return this.verb('heal', host);
  }

  /** Removes everything the lab made; safe to call more than once. Throws if anything is left. */
  async down(): Promise<void> {
    if (this.gone) return;
    this.gone = true;
    await removeAll(this.name);
  }
}

/** `tsswarm lab down`, then the library directly if the CLI could not finish; throws if anything with the lab's prefix remains. */
async function removeAll(name: string): Promise<void> {
  const r = await labCli(['down', '--name', name], { timeoutMs: DOWN_TIMEOUT_MS }).catch((e: unknown) => ({ code: -1, stdout: '', stderr: (e as Error).message }));
  let problems = r.code === 0 ? '' : `tsswarm lab down exited ${r.code}: ${r.stderr.trim()}`;
  if (r.code !== 0) {
    const again = await libraryDown(name);
    if (again.failures.length > 0) problems += `\nthen: ${again.failures.join('; ')}`;
  }
  const left = await labLeftovers(name);
  if (left.dir || left.netns.length > 0) {
    throw new Error(`lab ${name} not fully removed (${[left.dir ? 'its directory' : '', ...left.netns].filter(Boolean).join(', ')})${problems ? `: ${problems}` : ''}`);
  }
}
