// Where a CLI verb reads and writes, so tests can run verbs in-process and read exactly
// what a user would see. The real process streams are the default.
import { createInterface } from 'node:readline';
import { DaemonError } from './client.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** All of stdin (config create NAME -). */
  readStdin(): Promise<Buffer>;
  /** One line of stdin without its newline, or null at end of input (prompts). */
  readLine(): Promise<string | null>;
  env: Record<string, string | undefined>;
  /** Set when a verb fails; the process exits with it once the verb returns. */
  setExitCode(code: number): void;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
    return Buffer.concat(chunks);
  },
  readLine: () =>
    new Promise((resolve) => {
      const rl = createInterface({ input: process.stdin, terminal: false });
      let answered = false;
      rl.once('line', (line) => {
        answered = true;
        rl.close();
        resolve(line);
      });
      rl.once('close', () => {
        if (!answered) resolve(null);
      });
    }),
  env: process.env,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/**
 * The line docker prints for a failed command: the daemon's own words after "Error
 * response from daemon:", anything that went wrong locally after "tsswarm:".
 */
export function errorLine(e: unknown): string {
  if (e instanceof DaemonError) return `Error response from daemon: ${e.message}`;
  return `tsswarm: ${e instanceof Error ? e.message : String(e)}`;
}

export function reportError(io: CliIo, e: unknown): void {
  io.err(errorLine(e) + '\n');
  io.setExitCode(1);
}

/** docker's prompt: the question, " [y/N] ", then one line; only y or Y agrees. */
export async function confirm(io: CliIo, message: string): Promise<boolean> {
  io.out(`${message} [y/N] `);
  const answer = await io.readLine();
  return answer !== null && answer.trim().toLowerCase() === 'y';
}
