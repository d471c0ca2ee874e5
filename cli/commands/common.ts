// What every verb shares: the client for -H/TSSWARM_HOST, and the wrapper that turns a
// thrown error into docker's one line on stderr and exit code 1.
import type { Command } from 'commander';
import { ApiClient, resolveHost } from '../client.js';
import { reportError, type CliIo } from '../io.js';

export function clientFor(cmd: Command, io: CliIo): ApiClient {
  const { host } = cmd.optsWithGlobals<{ host?: string }>();
  return new ApiClient(resolveHost(host, io.env));
}

/** Wraps a commander action so failures are printed, not thrown to the entry point. */
export function verb<A extends unknown[]>(io: CliIo, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      reportError(io, e);
    }
  };
}

/**
 * docker's list commands apply -q only to the default table: an explicit --format
 * (other than "table") wins over -q.
 */
export function quietApplies(quiet: boolean | undefined, format: string | undefined): boolean {
  return quiet === true && (!format || format === 'table');
}

/** docker's Labels column: "k=v" pairs sorted and joined by commas; '' for none. */
export function labelsText(labels: Record<string, string> | null | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
}
