// Durations as docker reads and prints them: Go's time.ParseDuration for flags such as
// --cert-expiry 2160h0m0s, and go-units' HumanDuration for "About a minute ago".
import { InvalidArgumentError } from 'commander';
import { TsswarmError } from '../shared/errors.js';

const NS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek small mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_INT64 = (1n << 63n) - 1n;

/**
 * Go's time.ParseDuration, in nanoseconds: "2160h0m0s", "1.5h", "90s", "-1m", "0".
 * Throws TsswarmError('Invalid') with Go's message for anything else.
 */
export function parseDuration(text: string): number {
  const quoted = JSON.stringify(text);
  const invalid = (): never => {
    throw new TsswarmError('Invalid', `time: invalid duration ${quoted}`);
  };
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') invalid();
  let total = 0n;
  while (s !== '') {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const [whole = '', frac] = [num[1], num[2]];
    if (whole === '' && (frac === undefined || frac === '')) invalid();
    s = s.slice(num[0].length);
    const unitText = /^[^\d.]*/.exec(s)![0];
    if (unitText === '') throw new TsswarmError('Invalid', `time: missing unit in duration ${quoted}`);
    const unit = NS_PER_UNIT[unitText];
    if (unit === undefined) throw new TsswarmError('Invalid', `time: unknown unit ${JSON.stringify(unitText)} in duration ${quoted}`);
    s = s.slice(unitText.length);
    let part = BigInt(whole || '0') * unit;
    // The fraction is truncated to whole nanoseconds, as Go does.
    if (frac) part += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    total += part;
    if (total > MAX_INT64) invalid();
  }
  return Number(negative ? -total : total);
}

/** parseDuration as a commander flag parser. */
export function durationFlag(value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** go-units' HumanDuration: "Less than a second", "About a minute", "3 weeks"… */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}

/** "<human duration> ago" for an RFC 3339 timestamp, as docker's list tables show it. */
export function ago(timestamp: string | undefined, now: number = Date.now()): string {
  const t = timestamp ? Date.parse(timestamp) : NaN;
  // Go's zero time is thousands of years back; an unparsable time reads the same way.
  const elapsed = Number.isNaN(t) ? now - Date.parse('0001-01-01T00:00:00Z') : now - t;
  return `${humanDuration(elapsed)} ago`;
}
