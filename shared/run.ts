// Runs programs without a shell: argv arrays only, so names from the user are never
// parsed as shell syntax. Shared by the lab and by the worker (overlay, runtime).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { TsswarmError } from './errors.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to the program's stdin, which is then closed. */
  input?: string;
  /** The program is killed (SIGKILL) after this long and the result has code 124, like timeout(1). */
  timeoutMs?: number;
}

/** Runs argv to completion and captures its output. A signal death gives 128 + signal number, as a shell reports it. */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new TsswarmError('Invalid', 'nothing to run: the command is empty');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    // A program that exits without reading its stdin makes the write fail; that is not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new TsswarmError('Unavailable', `cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}killed after ${opts.timeoutMs} ms\n`;
      resolve({
        code: timedOut ? 124 : code ?? 128 + signalNumber(signal),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr,
      });
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? os.constants.signals[signal] : 0;
}

/** Runs `ip ARGS...` and returns its stdout; a failure throws with ip's own message. */
export async function ip(args: string[]): Promise<string> {
  const r = await run(['ip', ...args]);
  if (r.code !== 0) throw new TsswarmError('Unavailable', `ip ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}
