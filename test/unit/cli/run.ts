// Runs `tsswarm ARGS...` in-process against a host, capturing what a user would see.
import { Command, CommanderError } from 'commander';
import { registerClusterCommands } from '../../../cli/commands/index.js';
import type { CliIo } from '../../../cli/io.js';

export interface RunResult {
  out: string;
  err: string;
  code: number;
}

export interface RunOptions {
  /** TSSWARM_HOST for the run. */
  host?: string;
  /** Everything on stdin; absent means stdin is already at end. */
  stdin?: string;
}

export async function runCli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const res: RunResult = { out: '', err: '', code: 0 };
  let stdin = opts.stdin ?? '';
  const io: CliIo = {
    out: (t) => void (res.out += t),
    err: (t) => void (res.err += t),
    readStdin: async () => {
      const b = Buffer.from(stdin);
      stdin = '';
      return b;
    },
    readLine: async () => {
      if (stdin === '') return null;
      const nl = stdin.indexOf('\n');
      const line = nl < 0 ? stdin : stdin.slice(0, nl);
      stdin = nl < 0 ? '' : stdin.slice(nl + 1);
      return line;
    },
    env: { TSSWARM_HOST: opts.host },
    setExitCode: (c) => void (res.code = c),
  };
  // Settings made before registering are inherited by every subcommand.
  const program = new Command('tsswarm')
    .exitOverride()
    .configureOutput({ writeOut: (t) => void (res.out += t), writeErr: (t) => void (res.err += t) });
  registerClusterCommands(program, io);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    res.code = e.exitCode;
  }
  return res;
}
