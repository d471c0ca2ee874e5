// Docker's filters for `network ls` and `network prune`, applied to stored networks.
// Values arrive as lists (manager/api/filters.ts turns both of Docker's JSON forms into that).

import { TsswarmError } from '../../shared/errors.js';
import type { Labels, Network } from '../store/index.js';

export type NetworkFilters = Readonly<Record<string, readonly string[]>>;

const LIST_FILTERS = new Set(['driver', 'name', 'id', 'label', 'scope', 'type', 'dangling']);
const PRUNE_FILTERS = new Set(['label', 'label!', 'until']);

function refuse(message: string): never {
  throw new TsswarmError('Invalid', message);
}

function checkKeys(f: NetworkFilters, accepted: ReadonlySet<string>): void {
  for (const k of Object.keys(f)) if (!accepted.has(k)) refuse(`invalid filter '${k}'`);
}

/**
 * Docker's MatchKVList: every "key" or "key=value" given must be among the labels. With
 * nothing given it matches; a network without labels matches nothing given.
 */
function labelsMatch(wanted: readonly string[], labels: Labels): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    const k = eq < 0 ? w : w.slice(0, eq);
    return Object.hasOwn(labels, k) && (eq < 0 || labels[k] === w.slice(eq + 1));
  });
}

function danglingValue(values: readonly string[]): boolean {
  if (values.length > 1) refuse('got more than one value for filter key "dangling"');
  switch (values[0]) {
    case 'true': case '1': return true;
    case 'false': case '0': return false;
    default: return refuse('invalid value for filter \'dangling\', must be "true" (or "1"), or "false" (or "0")');
  }
}

/**
 * A predicate for `network ls`; throws Invalid for an unknown filter or value. `inUse`
 * is only consulted for the dangling filter. Docker matches name and id as regular
 * expressions; here a value matches when it is contained, which is what plain names and
 * id prefixes need and keeps user text out of the regex engine.
 */
export function listFilter(f: NetworkFilters): (n: Network, inUse: () => boolean) => boolean {
  checkKeys(f, LIST_FILTERS);
  for (const t of f.type ?? []) if (t !== 'custom' && t !== 'builtin') refuse(`invalid filter: 'type'='${t}'`);
  const dangling = f.dangling && f.dangling.length > 0 ? danglingValue(f.dangling) : undefined;
  const has = (k: string): readonly string[] | undefined => (f[k] && f[k].length > 0 ? f[k] : undefined);
  const driver = has('driver');
  const name = has('name');
  const id = has('id');
  const label = has('label');
  const scope = has('scope');
  // Every swarm network is a custom one: the built-ins (bridge, host, none) are local to a host.
  const type = has('type');
  return (n, inUse) => {
    if (driver && !driver.includes(n.driverState?.name ?? n.spec.driverConfiguration.name)) return false;
    if (name && !name.some((v) => n.spec.name.includes(v))) return false;
    if (id && !id.some((v) => n.id.includes(v))) return false;
    if (label && !labelsMatch(label, n.spec.labels ?? {})) return false;
    if (scope && !scope.includes('swarm')) return false;
    if (type && !type.includes('custom')) return false;
    if (dangling !== undefined && inUse() === dangling) return false;
    return true;
  };
}

/** Whether a `list` with these filters needs to know which networks are in use. */
export function needsUsage(f: NetworkFilters): boolean {
  return (f.dangling?.length ?? 0) > 0;
}

const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/**
 * Docker's `until`: a Go duration before `now` ("24h", "1h30m"), Unix seconds
 * ("1700000000", fractions allowed) or a date-time ("2024-05-01T10:00:00Z"). Milliseconds.
 */
export function parseUntil(value: string, now: number): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  if (GO_DURATION.test(value)) {
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]];
    return Math.round(now - (value.startsWith('-') ? -ms : ms));
  }
  const t = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) {
    refuse(`invalid filter 'until=${value}': give a duration (24h), a date-time (2024-05-01T10:00:00Z) or Unix seconds`);
  }
  return t;
}

/**
 * A predicate for `network prune`: label (all must match), label! (not all of them), until
 * (created at or before). Throws Invalid for other filters. Docker never prunes the ingress
 * network (removing the routing mesh takes an explicit `network rm`); the caller skips it.
 */
export function pruneFilter(f: NetworkFilters, now: number): (n: Network) => boolean {
  checkKeys(f, PRUNE_FILTERS);
  const until = f.until ?? [];
  if (until.length > 1) refuse('more than one until filter specified');
  const before = until.length === 1 ? parseUntil(until[0], now) : undefined;
  const label = f.label ?? [];
  const notLabel = f['label!'] ?? [];
  return (n) => {
    const labels = n.spec.labels ?? {};
    if (before !== undefined && Date.parse(n.createdAt) > before) return false;
    if (label.length > 0 && !labelsMatch(label, labels)) return false;
    if (notLabel.length > 0 && labelsMatch(notLabel, labels)) return false;
    return true;
  };
}
