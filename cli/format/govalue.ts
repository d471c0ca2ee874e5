// How Go's text/template prints and tests values, so `--format` output matches the
// docker CLI for the same data. JS objects play the role of Go maps (keys sorted).

/** What text/template prints for a missing or nil value at the top of an action. */
export const NO_VALUE = '<no value>';

/** fmt's %v for a value reached by a template action. */
export function printValue(v: unknown): string {
  return v == null ? NO_VALUE : goValue(v);
}

/** fmt's %v: nested nil shows as `<nil>`, as fmt does inside slices and maps. */
export function goValue(v: unknown): string {
  if (v == null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return goNumber(v);
    case 'bigint':
    case 'boolean':
      return String(v);
    case 'function':
      return '<func>';
    case 'symbol':
      return v.toString();
    default:
      break;
  }
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (v instanceof Date) return goTime(v);
  if (v instanceof Map) {
    const keys = [...v.keys()].sort(compareKeys);
    return `map[${keys.map((k) => `${goValue(k)}:${goValue(v.get(k))}`).join(' ')}]`;
  }
  if (v instanceof Uint8Array) return `[${[...v].join(' ')}]`;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  return `map[${keys.map((k) => `${k}:${goValue(obj[k])}`).join(' ')}]`;
}

/** Go's truthiness for `if`, `with`, `and`, `or`, `not`. */
export function isTrue(v: unknown): boolean {
  if (v == null) return false;
  switch (typeof v) {
    case 'string':
      return v.length > 0;
    case 'number':
      return v !== 0 && !Number.isNaN(v);
    case 'bigint':
      return v !== 0n;
    case 'boolean':
      return v;
    default:
      break;
  }
  if (Array.isArray(v) || v instanceof Uint8Array) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (v instanceof Date) return true;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = goValue(a);
  const sb = goValue(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

// Integers print as Go ints do (JSON numbers are ints in the Engine API). Other
// numbers follow fmt's %v for float64, strconv's shortest 'g': exponent form when
// the decimal exponent is < -4 or >= 6.
function goNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const [mant, expStr] = n.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    const digits = String(Math.abs(exp)).padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  return String(n);
}

// time.Time's String(), in UTC: "2006-01-02 15:04:05.999999999 +0000 UTC".
function goTime(d: Date): string {
  if (Number.isNaN(d.getTime())) return '<invalid time>';
  const iso = d.toISOString(); // 2006-01-02T15:04:05.123Z
  const date = iso.slice(0, 10);
  const clock = iso.slice(11, 19);
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${date} ${clock}${frac ? '.' + frac : ''} +0000 UTC`;
}
