// Docker's list filters, as the client sends them in the `filters` query parameter.
import { TsswarmError } from '../../shared/errors.js';

export type Filters = Record<string, string[]>;

/** Docker sends filters as JSON: {"name":{"x":true}} (or the older {"name":["x"]}). */
export function parseFilters(raw: string | undefined): Filters {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new TsswarmError('Invalid', `invalid filters: ${raw}`);
  }
  const out: Filters = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    out[k] = Array.isArray(v) ? v.map(String) : Object.keys(v as Record<string, unknown>);
  }
  return out;
}
