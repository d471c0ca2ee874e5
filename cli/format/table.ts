// docker's table output: a header row, then one row per item, aligned by tabwriter.
import { compileTemplate } from './template.js';
import { tabwrite } from './tabwriter.js';

export interface Column<Row> {
  header: string;
  get(row: Row): string;
}

/** Whether a `--format` value asks for a table, as docker tests it (prefix "table"). */
export function isTableFormat(format: string): boolean {
  return format.startsWith('table');
}

/**
 * Header text for a field name in docker's style: upper case, words split at case
 * changes, acronyms kept whole. `ID` → `ID`, `CreatedAt` → `CREATED AT`,
 * `TLSStatus` → `TLS STATUS`, `IPv6` → `IPV6`, `NodeID` → `NODE ID`.
 */
export function headerFor(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    // An acronym ends where a capitalized word of two or more lower-case letters starts.
    .replace(/([A-Z])([A-Z][a-z]{2,})/g, '$1 $2')
    .replace(/_/g, ' ')
    .toUpperCase();
}

/** Aligns already-extracted columns; the last column is not padded. */
export function renderTable<Row>(columns: Column<Row>[], rows: Row[]): string {
  const line = (cells: string[]): string => cells.join('\t') + '\n';
  let text = line(columns.map((c) => c.header));
  for (const r of rows) text += line(columns.map((c) => c.get(r)));
  return tabwrite(text);
}

/**
 * Renders a `table ...` format for rows: the header row is the same template run in
 * header mode (each field replaced by its header), then each row, then tabwriter.
 * `headers` overrides the derived header of a field name (e.g. {ID: 'NODE ID'}).
 */
export function renderTemplateTable(format: string, rows: unknown[], headers: Record<string, string> = {}): string {
  const body = isTableFormat(format) ? format.slice('table'.length) : format;
  const tpl = compileTemplate(trimSpaces(body));
  let text = tpl.header((f) => headers[f] ?? headerFor(f)) + '\n';
  for (const r of rows) text += tpl(r) + '\n';
  return tabwrite(text);
}

/** docker trims spaces (only spaces) around a format before using it. */
export function trimSpaces(s: string): string {
  return s.replace(/^ +| +$/g, '');
}
