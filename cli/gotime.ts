// Go's time.Time.String() for a timestamp decoded from the API's RFC 3339 text, which
// docker prints in pretty inspect output and in `network ls --format {{.CreatedAt}}`.
// Parsed from text rather than a Date so nanoseconds and the zone survive.

const RFC3339 = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/;

/**
 * "2006-01-02 15:04:05.999999999 -0700 MST": fraction without trailing zeros, "+0000
 * UTC" for Z; a numeric offset has no zone name, so Go prints the offset twice.
 * Text that is not RFC 3339 is returned unchanged.
 */
export function goTimeString(rfc3339: string | undefined): string {
  const text = rfc3339 ?? '0001-01-01T00:00:00Z';
  const m = RFC3339.exec(text);
  if (!m) return text;
  const [, date, clock, frac = '', zone] = m;
  const nanos = frac.slice(0, 9).replace(/0+$/, '');
  const offset = zone === 'Z' ? '+0000 UTC' : `${zone!.replace(':', '')} ${zone!.replace(':', '')}`;
  return `${date} ${clock}${nanos ? '.' + nanos : ''} ${offset}`;
}

/**
 * docker's formatter.PrettyPrint: first letter upper case, the rest lower case (so a
 * time reads "... +0000 utc"), a single letter lower case; nil reads "None".
 */
export function prettyPrint(v: string | undefined | null): string {
  if (v == null) return 'None';
  if (v.length === 0) return v;
  if (v.length === 1) return v.toLowerCase();
  return v[0]!.toUpperCase() + v.slice(1).toLowerCase();
}
