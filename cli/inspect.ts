// `inspect` as docker prints it: a JSON array indented by four spaces (the daemon's own
// JSON text, re-indented as Go's json.Indent does), compact with --format json, or a
// template run per object. Objects that fail are reported after the ones found.
import type { Inspected } from './api-types.js';
import { compileTemplate } from './format/template.js';
import { reportError, type CliIo } from './io.js';

export type GetRef = (ref: string) => Promise<Inspected<unknown>>;

export async function printInspect(io: CliIo, refs: readonly string[], format: string, getRef: GetRef): Promise<void> {
  // A bad template fails before any request, as in docker.
  const tpl = format === '' || format === 'json' ? null : compileTemplate(format);
  const found: Inspected<unknown>[] = [];
  const errors: unknown[] = [];
  for (const ref of refs) {
    try {
      found.push(await getRef(ref));
    } catch (e) {
      errors.push(e);
    }
  }
  let text = '';
  if (!tpl) {
    if (found.length === 0) text = '[]\n';
    else if (format === 'json') text = JSON.stringify(found.map((f) => f.value)) + '\n';
    else text = indentJson(`[${found.map((f) => f.raw).join(',')}]`) + '\n';
  } else {
    for (const f of found) {
      try {
        text += tpl(f.value) + '\n';
      } catch (e) {
        errors.push(e);
      }
    }
    if (text === '') text = '\n';
  }
  io.out(text);
  for (const e of errors) reportError(io, e);
}

/**
 * Go's json.Indent(dst, src, "", "    "): whitespace between tokens dropped, a newline
 * and indent after each opening bracket and comma, "key": value with one space, empty
 * objects and arrays kept as {} and []. Strings and numbers are copied as sent.
 */
export function indentJson(src: string): string {
  const INDENT = '    ';
  let out = '';
  let depth = 0;
  let inString = false;
  let pendingOpen = false; // just wrote { or [; the line break waits to see if it is empty
  const newline = (): string => '\n' + INDENT.repeat(depth);
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += src[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (pendingOpen && c !== '}' && c !== ']') {
      out += newline();
      pendingOpen = false;
    }
    switch (c) {
      case '{':
      case '[':
        out += c;
        depth++;
        pendingOpen = true;
        break;
      case '}':
      case ']':
        depth--;
        if (pendingOpen) pendingOpen = false;
        else out += newline();
        out += c;
        break;
      case ',':
        out += ',' + newline();
        break;
      case ':':
        out += ': ';
        break;
      case '"':
        inString = true;
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}
