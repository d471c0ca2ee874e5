// Forms the lab's swarm the way a user would: the tsswarm CLI, run inside each host's
// namespace against that host's daemon.
import { TsswarmError } from '../shared/errors.js';
import { FORM_STEP_TIMEOUT_MS, SWARM_PORT } from './defaults.js';
import { baseEnv } from './daemon.js';
import { inNetns } from './netns.js';
import { run } from './run.js';
import { hostEnv } from './shim.js';
import type { HostState, LabState } from './state.js';

async function tsswarm(s: LabState, h: HostState, args: string[]): Promise<string> {
  const r = await run(inNetns(h.netns, [process.execPath, s.cli, ...args]), { env: hostEnv(s, h, baseEnv()), timeoutMs: FORM_STEP_TIMEOUT_MS });
  if (r.code !== 0) {
    // Tokens are secrets; keep them out of the message.
    const shown = args.map((a, i) => (args[i - 1] === '--token' ? '<token>' : a)).join(' ');
    throw new TsswarmError('Unavailable', `\`tsswarm ${shown}\` on ${h.name} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

/** init on the first manager, then the other managers one at a time (each join is a raft change), then the workers. */
export async function formSwarm(s: LabState, log: (line: string) => void): Promise<void> {
  const [first, ...rest] = s.hosts;
  if (!first || first.role !== 'manager') throw new TsswarmError('Invalid', 'a swarm needs a manager to start on');
  log(`swarm init on ${first.name}`);
  await tsswarm(s, first, ['swarm', 'init', '--advertise-addr', first.ip]);
  const token = {
    manager: (await tsswarm(s, first, ['swarm', 'join-token', '-q', 'manager'])).trim(),
    worker: (await tsswarm(s, first, ['swarm', 'join-token', '-q', 'worker'])).trim(),
  };
  for (const h of rest) {
    log(`swarm join on ${h.name} as ${h.role}`);
    await tsswarm(s, h, ['swarm', 'join', '--token', token[h.role], '--advertise-addr', h.ip, '--listen-addr', `${h.ip}:${SWARM_PORT}`, `${first.ip}:${SWARM_PORT}`]);
  }
}
