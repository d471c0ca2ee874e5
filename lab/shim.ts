// The `tsswarm` command inside lab hosts: a shim on PATH that runs this repository's CLI.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostState, LabState } from './state.js';

/** Single-quotes a path for sh; the shim is ours, but the repo path could hold anything. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function writeShim(binDir: string, cli: string): Promise<void> {
  await mkdir(binDir, { recursive: true });
  const file = path.join(binDir, 'tsswarm');
  await writeFile(file, `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(cli)} "$@"\n`);
  await chmod(file, 0o755);
}

/** What a command run on a host sees: both clients pointed at that host's daemon, the shim first on PATH. */
export function hostEnv(s: LabState, h: HostState, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const host = `unix://${h.socket}`;
  return {
    ...base,
    TSSWARM_HOST: host,
    DOCKER_HOST: host,
    PATH: `${s.binDir}${base['PATH'] ? `:${base['PATH']}` : ''}`,
  };
}
