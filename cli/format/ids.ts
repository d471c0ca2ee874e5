// Output selection for list commands, as docker's `--format`, `-q` and `--no-trunc`.
import { compileTemplate } from './template.js';
import { isTableFormat, renderTemplateTable, trimSpaces } from './table.js';

const SHORT_ID_LENGTH = 12;

/** docker's stringid.TruncateID: drop an algorithm prefix ("sha256:"), keep 12 chars. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  const bare = colon >= 0 ? id.slice(colon + 1) : id;
  return bare.length > SHORT_ID_LENGTH ? bare.slice(0, SHORT_ID_LENGTH) : bare;
}

export interface OutputOptions {
  /** `--format`: '', 'table', 'json', 'table <template>' or any template. */
  format?: string;
  /** `-q`: IDs only; wins over `format`, as in `docker ps` (the caller may warn). */
  quiet?: boolean;
  /** `--no-trunc`: keep full IDs. */
  noTrunc?: boolean;
  /** The command's table, used when `format` is empty or just 'table'. */
  defaultTable: string;
  /** The row field holding the ID; default 'ID'. */
  idField?: string;
  /** False for objects docker never shortens (node IDs); default true. */
  truncateIds?: boolean;
  /** Header overrides by field name, e.g. {ID: 'NODE ID'}. */
  headers?: Record<string, string>;
}

/**
 * The full text a list command prints for rows (each line ends with '\n'; nothing for
 * no rows except a table's header). Throws TsswarmError('Invalid') for a bad template.
 */
export function formatOutput(opts: OutputOptions, rows: Record<string, unknown>[]): string {
  const idField = opts.idField ?? 'ID';
  const shown = opts.noTrunc || opts.truncateIds === false ? rows : rows.map((r) => shortenId(r, idField));
  if (opts.quiet) return shown.map((r) => `${String(r[idField] ?? '')}\n`).join('');
  const format = opts.format ?? '';
  if (format === '' || format === 'table') return renderTemplateTable(opts.defaultTable, shown, opts.headers);
  if (isTableFormat(format)) return renderTemplateTable(format, shown, opts.headers);
  const tpl = compileTemplate(format === 'json' ? '{{json .}}' : trimSpaces(format));
  return shown.map((r) => tpl(r) + '\n').join('');
}

function shortenId(row: Record<string, unknown>, idField: string): Record<string, unknown> {
  const id = row[idField];
  return typeof id === 'string' ? { ...row, [idField]: truncateId(id) } : row;
}
