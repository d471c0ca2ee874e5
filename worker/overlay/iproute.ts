// iproute2 calls of the overlay: argv only (no shell), optionally inside a named
// namespace with `-n`, so the daemon's own namespace and a lab host's work the same way.
import { TsswarmError } from '../../shared/errors.js';
import { run, type RunResult } from '../../shared/run.js';

/** A stuck `ip` is a kernel or lock problem; 10 s is far above the milliseconds a call takes. */
const IPROUTE_TIMEOUT_MS = 10_000;

function argv(tool: 'ip' | 'bridge', ns: string | undefined, args: string[]): string[] {
  return ns === undefined ? [tool, ...args] : [tool, '-n', ns, ...args];
}

/** Runs `ip [-n NS] ARGS`, returning the raw result (for callers that expect some failures). */
export function tryIp(ns: string | undefined, args: string[], input?: string): Promise<RunResult> {
  return run(argv('ip', ns, args), { input, timeoutMs: IPROUTE_TIMEOUT_MS });
}

function failure(tool: string, ns: string | undefined, args: string[], r: RunResult): TsswarmError {
  const where = ns === undefined ? '' : ` (in namespace ${ns})`;
  return new TsswarmError('Unavailable', `${tool} ${args.join(' ')}${where} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
}

/** Runs `ip [-n NS] ARGS` and returns stdout; a failure throws with ip's own message. */
export async function ip(ns: string | undefined, args: string[]): Promise<string> {
  const r = await tryIp(ns, args);
  if (r.code !== 0) throw failure('ip', ns, args, r);
  return r.stdout;
}

export async function bridge(ns: string | undefined, args: string[]): Promise<string> {
  const r = await run(argv('bridge', ns, args), { timeoutMs: IPROUTE_TIMEOUT_MS });
  if (r.code !== 0) throw failure('bridge', ns, args, r);
  return r.stdout;
}

/**
 * Feeds `lines` to one `ip -batch -` or `bridge -batch -` process: one fork per change
 * set instead of one per entry. Without -force the batch stops at the first failing
 * line, and the error quotes it.
 */
export async function batch(tool: 'ip' | 'bridge', ns: string | undefined, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const args = ['-batch', '-'];
  const r = await run(argv(tool, ns, args), { input: `${lines.join('\n')}\n`, timeoutMs: IPROUTE_TIMEOUT_MS });
  if (r.code !== 0) throw failure(tool, ns, args, r);
}

/** Names of the namespaces in /run/netns. */
export async function listNetns(): Promise<string[]> {
  const out = await ip(undefined, ['netns', 'list']);
  // Lines look like "name (id: 3)" or just "name".
  return out.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n !== '');
}

/** The link names of a namespace. */
export async function linkNames(ns: string | undefined): Promise<string[]> {
  return jsonArray(await ip(ns, ['-j', 'link', 'show'])).map((l) => str(l, 'ifname')).filter((n): n is string => n !== undefined);
}

/** Parses iproute2 `-j` output, which is a JSON array (empty output means no entries). */
export function jsonArray(text: string): Record<string, unknown>[] {
  if (text.trim() === '') return [];
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v)) throw new TsswarmError('Corrupt', `iproute2 printed JSON that is not an array: ${text.slice(0, 200)}`);
  return v.filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null && !Array.isArray(e));
}

export function str(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

export function num(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' ? v : undefined;
}
