// Flag values as the docker CLI reads them: repeatable lists, "k=v" maps, filters,
// node addresses. Parsers throw commander's InvalidArgumentError so a bad value is
// reported like any other bad flag.
import { InvalidArgumentError } from 'commander';

/** Repeatable flag: each use appends (a fresh array, never the shared default). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** pflag's StringSlice: each use may hold several comma-separated values. */
export function collectCommaList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').filter((v) => v !== '')];
}

/** "k=v" → k:v and a bare "k" → k:"" (docker's ConvertKVStringsToMap); later wins. */
export function kvToMap(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** docker's ValidateLabel, as a repeatable flag parser. */
export function collectLabel(value: string, previous: string[] | undefined): string[] {
  const key = value.split('=', 1)[0]!.replace(/^[ \t]+/, '');
  if (key === '') throw new InvalidArgumentError(`invalid label '${value}': empty name`);
  if (/[ \t]/.test(key)) throw new InvalidArgumentError(`label '${key}' contains whitespaces`);
  return collect(value, previous);
}

/** Filter terms by name, in the order given. */
export type Filters = Record<string, string[]>;

/** docker's FilterOpt.Set: "name=value", name lower-cased, both trimmed. */
export function collectFilter(value: string, previous: Filters | undefined): Filters {
  const out: Filters = { ...(previous ?? {}) };
  if (value === '') return out;
  const eq = value.indexOf('=');
  if (eq < 0) throw new InvalidArgumentError('bad format of filter (expected name=value)');
  const name = value.slice(0, eq).trim().toLowerCase();
  out[name] = [...(out[name] ?? []), value.slice(eq + 1).trim()];
  return out;
}

/**
 * The `filters` query parameter as the docker client sends it: a JSON object of name →
 * {value: true}, names and values sorted as Go's encoder sorts map keys. '' for none.
 */
export function encodeFilters(filters: Filters): string {
  const names = Object.keys(filters).filter((n) => filters[n]!.length > 0).sort();
  if (names.length === 0) return '';
  const obj: Record<string, Record<string, boolean>> = {};
  for (const n of names) {
    obj[n] = {};
    for (const v of [...new Set(filters[n])].sort()) obj[n][v] = true;
  }
  return JSON.stringify(obj);
}

/** A non-negative integer flag (pflag's Uint32). */
export function parseUint(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) {
    throw new InvalidArgumentError(`strconv.ParseUint: parsing "${value}": invalid syntax`);
  }
  return Number(value);
}

/** A signed integer flag (pflag's Int64). */
export function parseInt64(value: string): number {
  if (!/^[-+]?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`strconv.ParseInt: parsing "${value}": invalid syntax`);
  }
  return Number(value);
}

export const DEFAULT_LISTEN_ADDR = '0.0.0.0:2377';

/**
 * docker's NodeAddrOption: "<ip|interface>[:port]", the missing half taken from the
 * default, so "10.0.0.1" → "10.0.0.1:2377" and ":4000" → "0.0.0.0:4000".
 */
export function parseNodeAddr(value: string, defaultAddr = DEFAULT_LISTEN_ADDR): string {
  if (value === '' || value === 'tcp://') return defaultAddr;
  const addr = value.replace(/^tcp:\/\//, '');
  if (addr === '' || addr.includes('://')) throw new InvalidArgumentError(`invalid proto, expected tcp: ${value}`);
  const [defHost, defPort] = splitHostPort(defaultAddr) ?? ['', ''];
  const withoutPath = addr.replace(/\/.*$/, '');
  const split = splitHostPort(withoutPath) ?? (withoutPath.includes('[') ? null : ([withoutPath, ''] as [string, string]));
  if (!split) throw new InvalidArgumentError(`invalid bind address format: ${value}`);
  const host = split[0] || defHost;
  const port = split[1] || defPort;
  if (!/^\d+$/.test(port)) throw new InvalidArgumentError(`invalid bind address format: ${value}`);
  return joinHostPort(host, port);
}

/** Go's net.SplitHostPort for "host:port" and "[v6]:port"; null when it has no port. */
export function splitHostPort(addr: string): [string, string] | null {
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(addr);
  if (v6) return [v6[1]!, v6[2]!];
  const colon = addr.lastIndexOf(':');
  if (colon < 0 || addr.indexOf(':') !== colon) return null;
  return [addr.slice(0, colon), addr.slice(colon + 1)];
}

export function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** --availability for init/join: docker accepts any case. */
export function parseAvailability(value: string): string {
  const a = value.toLowerCase();
  if (a !== 'active' && a !== 'pause' && a !== 'drain') {
    throw new InvalidArgumentError(`invalid availability "${value}", only active, pause and drain are supported`);
  }
  return a;
}
