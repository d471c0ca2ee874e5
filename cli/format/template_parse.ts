// Parser for the subset of Go's text/template that docker's `--format` users write:
// actions, pipelines, variables, parentheses, if/else if/else, range, with, comments
// and trim markers. Anything else is rejected at compile time with its position.
import { TsswarmError } from '../../shared/errors.js';

export type Operand =
  | { k: 'dot' }
  | { k: 'field'; base: Operand | null; names: string[] } // base null: relative to dot
  | { k: 'var'; name: string }
  | { k: 'func'; name: string; pos: number }
  | { k: 'lit'; value: string | number | boolean | null }
  | { k: 'pipe'; pipe: Pipeline };

export interface Command {
  args: Operand[];
  pos: number;
}

export interface Pipeline {
  decl: string[]; // `$x :=` or `$k, $v :=`
  assign: boolean; // `$x =` rather than `:=`
  cmds: Command[];
  pos: number;
}

export interface BlockNode {
  k: 'if' | 'with' | 'range';
  pipe: Pipeline;
  body: TemplateNode[];
  alt: TemplateNode[] | null; // the {{else}} branch
  pos: number;
}

export type TemplateNode = { k: 'text'; text: string } | { k: 'action'; pipe: Pipeline } | BlockNode;

type TokKind = 'field' | 'var' | 'dot' | 'str' | 'num' | 'ident' | 'bar' | 'lparen' | 'rparen' | 'decl' | 'assign' | 'comma';

interface Tok {
  t: TokKind;
  v: string;
  pos: number;
  end: number;
}

type Item = { k: 'text'; text: string } | { k: 'action'; toks: Tok[]; pos: number };

/** "line:col" of an offset, 1-based, for error messages. */
export function where(src: string, pos: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < pos && i < src.length; i++) {
    if (src[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return `${line}:${col}`;
}

export function parseTemplate(src: string): TemplateNode[] {
  return new Parser(src, lex(src)).parseAll();
}

function fail(src: string, pos: number, msg: string): never {
  throw new TsswarmError('Invalid', `template: ${where(src, pos)}: ${msg}`);
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isIdentStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_]/.test(c);
const isIdentChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

// Splits the source into literal text and the tokens of each action.
function lex(src: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) items.push({ k: 'text', text });
      break;
    }
    let p = open + 2;
    if (src[p] === '-' && isSpace(src[p + 1])) {
      text = text.replace(/[ \t\r\n]+$/, '');
      p += 2;
    }
    if (text) items.push({ k: 'text', text });
    const toks: Tok[] = [];
    let closed = false;
    // A comment must fill the whole action, as in Go.
    while (isSpace(src[p])) p++;
    if (src.startsWith('/*', p)) {
      const endComment = src.indexOf('*/', p + 2);
      if (endComment < 0) fail(src, open, 'unclosed comment');
      p = endComment + 2;
      if (src.startsWith(' -}}', p)) {
        trimNext = true;
        p += 4;
      } else if (src.startsWith('}}', p)) p += 2;
      else fail(src, p, 'comment ends before closing delimiter');
      i = p;
      continue;
    }
    while (p < src.length) {
      const c = src[p];
      if (isSpace(c)) {
        if (src[p + 1] === '-' && src.startsWith('}}', p + 2)) {
          trimNext = true;
          p += 4;
          closed = true;
          break;
        }
        p++;
        continue;
      }
      if (src.startsWith('}}', p)) {
        p += 2;
        closed = true;
        break;
      }
      const start = p;
      const push = (t: TokKind, v: string): void => {
        toks.push({ t, v, pos: start, end: p });
      };
      if (c === '.' && isIdentStart(src[p + 1])) {
        while (src[p] === '.' && isIdentStart(src[p + 1])) {
          p++;
          while (isIdentChar(src[p])) p++;
        }
        push('field', src.slice(start, p));
      } else if (c === '.') {
        p++;
        push('dot', '.');
      } else if (c === '$') {
        p++;
        while (isIdentChar(src[p])) p++;
        push('var', src.slice(start, p));
        // `$x.Field` is a variable followed by a field chain.
        if (src[p] === '.' && isIdentStart(src[p + 1])) {
          const fs = p;
          while (src[p] === '.' && isIdentStart(src[p + 1])) {
            p++;
            while (isIdentChar(src[p])) p++;
          }
          toks.push({ t: 'field', v: src.slice(fs, p), pos: fs, end: p });
        }
      } else if (c === '"') {
        p++;
        let s = '';
        for (;;) {
          const ch = src[p];
          if (ch === undefined) fail(src, start, 'unterminated quoted string');
          if (ch === '"') break;
          if (ch === '\\') {
            const e = src[p + 1];
            const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
            if (e !== undefined && simple[e] !== undefined) {
              s += simple[e];
              p += 2;
            } else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(p + 2, p + 4))) {
              s += String.fromCharCode(parseInt(src.slice(p + 2, p + 4), 16));
              p += 4;
            } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(p + 2, p + 6))) {
              s += String.fromCharCode(parseInt(src.slice(p + 2, p + 6), 16));
              p += 6;
            } else fail(src, p, `unknown escape sequence \\${e ?? ''} in string`);
            continue;
          }
          s += ch;
          p++;
        }
        p++;
        push('str', s);
      } else if (c === '`') {
        const close = src.indexOf('`', p + 1);
        if (close < 0) fail(src, start, 'unterminated raw quoted string');
        p = close + 1;
        push('str', src.slice(start + 1, close));
      } else if (/[0-9]/.test(c!) || ((c === '-' || c === '+') && /[0-9]/.test(src[p + 1] ?? ''))) {
        const m = /^[-+]?(0[xX][0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)/.exec(src.slice(p))!;
        p += m[0].length;
        if (isIdentChar(src[p])) fail(src, start, `bad number syntax: "${src.slice(start, p + 1)}"`);
        push('num', m[0]);
      } else if (isIdentStart(c)) {
        while (isIdentChar(src[p])) p++;
        push('ident', src.slice(start, p));
      } else if (c === '|') {
        p++;
        push('bar', '|');
      } else if (c === '(') {
        p++;
        push('lparen', '(');
      } else if (c === ')') {
        p++;
        push('rparen', ')');
      } else if (c === ',') {
        p++;
        push('comma', ',');
      } else if (src.startsWith(':=', p)) {
        p += 2;
        push('decl', ':=');
      } else if (c === '=') {
        p++;
        push('assign', '=');
      } else {
        fail(src, p, `unexpected "${c}" in action`);
      }
    }
    if (!closed) fail(src, open, 'unclosed action: missing "}}"');
    if (toks.length === 0) fail(src, open, 'missing value for command');
    items.push({ k: 'action', toks, pos: open });
    i = p;
  }
  return items;
}

type Stop = { kw: 'end' | 'else' | 'eof'; rest: Tok[]; pos: number };

class Parser {
  private at = 0;
  constructor(
    private readonly src: string,
    private readonly items: Item[],
  ) {}

  parseAll(): TemplateNode[] {
    const { nodes, stop } = this.list();
    if (stop.kw !== 'eof') fail(this.src, stop.pos, `unexpected {{${stop.kw}}}`);
    return nodes;
  }

  private list(): { nodes: TemplateNode[]; stop: Stop } {
    const nodes: TemplateNode[] = [];
    while (this.at < this.items.length) {
      const item = this.items[this.at++]!;
      if (item.k === 'text') {
        nodes.push(item);
        continue;
      }
      const [first, ...rest] = item.toks as [Tok, ...Tok[]];
      if (first.t === 'ident') {
        switch (first.v) {
          case 'end':
            if (rest.length) fail(this.src, rest[0]!.pos, 'unexpected token after end');
            return { nodes, stop: { kw: 'end', rest, pos: item.pos } };
          case 'else':
            return { nodes, stop: { kw: 'else', rest, pos: item.pos } };
          case 'if':
          case 'with':
          case 'range':
            nodes.push(this.block(first.v, rest, item.pos));
            continue;
          case 'define':
          case 'template':
          case 'block':
          case 'break':
          case 'continue':
            fail(this.src, first.pos, `{{${first.v}}} is not supported`);
            break;
          default:
            break;
        }
      }
      const pipe = this.pipeline(item.toks, item.pos, true);
      nodes.push({ k: 'action', pipe });
    }
    return { nodes, stop: { kw: 'eof', rest: [], pos: this.src.length } };
  }

  private block(kind: 'if' | 'with' | 'range', toks: Tok[], pos: number): TemplateNode {
    if (toks.length === 0) fail(this.src, pos, `missing value for ${kind}`);
    const pipe = this.pipeline(toks, pos, kind === 'range' ? 'range' : true);
    const { nodes: body, stop } = this.list();
    let alt: TemplateNode[] | null = null;
    if (stop.kw === 'eof') fail(this.src, pos, `missing {{end}} for {{${kind}}}`);
    if (stop.kw === 'else') {
      const [kw, ...rest] = stop.rest;
      if (kw && kw.t === 'ident' && (kw.v === 'if' || kw.v === 'with') && kind !== 'range') {
        // `else if` is an if nested in the else branch, sharing the outer {{end}}.
        alt = [this.block(kw.v, rest, stop.pos)];
      } else {
        if (kw) fail(this.src, kw.pos, 'unexpected token after else');
        const tail = this.list();
        if (tail.stop.kw !== 'end') fail(this.src, pos, `missing {{end}} for {{${kind}}}`);
        alt = tail.nodes;
      }
    }
    return { k: kind, pipe, body, alt, pos };
  }

  private pipeline(toks: Tok[], pos: number, declOk: boolean | 'range'): Pipeline {
    let i = 0;
    const decl: string[] = [];
    let assign = false;
    // `$x :=`, `$x =`, and for range `$k, $v :=`.
    const t0 = toks[0];
    const t1 = toks[1];
    if (t0?.t === 'var' && declOk) {
      if (t1?.t === 'decl' || t1?.t === 'assign') {
        decl.push(t0.v);
        assign = t1.t === 'assign';
        i = 2;
      } else if (declOk === 'range' && t1?.t === 'comma' && toks[2]?.t === 'var' && toks[3]?.t === 'decl') {
        decl.push(t0.v, toks[2].v);
        i = 4;
      }
    }
    const cmds = this.commands(toks.slice(i), pos);
    if (cmds.length === 0) fail(this.src, pos, 'missing value for command');
    return { decl, assign, cmds, pos };
  }

  private commands(toks: Tok[], pos: number): Command[] {
    const cmds: Command[] = [];
    let i = 0;
    let cur: Command = { args: [], pos: toks[0]?.pos ?? pos };
    while (i < toks.length) {
      const t = toks[i]!;
      if (t.t === 'bar') {
        if (cur.args.length === 0) fail(this.src, t.pos, 'missing command before "|"');
        cmds.push(cur);
        cur = { args: [], pos: toks[i + 1]?.pos ?? t.pos };
        i++;
        continue;
      }
      const [operand, next] = this.operand(toks, i);
      cur.args.push(operand);
      i = next;
    }
    if (cur.args.length === 0) {
      if (cmds.length) fail(this.src, toks[toks.length - 1]!.pos, 'missing command after "|"');
      return cmds;
    }
    cmds.push(cur);
    return cmds;
  }

  private operand(toks: Tok[], i: number): [Operand, number] {
    const t = toks[i]!;
    let op: Operand;
    let next = i + 1;
    switch (t.t) {
      case 'dot':
        op = { k: 'dot' };
        break;
      case 'field':
        return [{ k: 'field', base: null, names: t.v.slice(1).split('.') }, next];
      case 'var':
        op = { k: 'var', name: t.v };
        break;
      case 'str':
        op = { k: 'lit', value: t.v };
        break;
      case 'num':
        op = { k: 'lit', value: Number(t.v) };
        break;
      case 'ident':
        if (t.v === 'true' || t.v === 'false') op = { k: 'lit', value: t.v === 'true' };
        else if (t.v === 'nil') op = { k: 'lit', value: null };
        else if (['if', 'else', 'end', 'range', 'with'].includes(t.v)) fail(this.src, t.pos, `unexpected keyword "${t.v}" in operand`);
        else op = { k: 'func', name: t.v, pos: t.pos };
        break;
      case 'lparen': {
        let depth = 1;
        let j = i + 1;
        for (; j < toks.length; j++) {
          if (toks[j]!.t === 'lparen') depth++;
          else if (toks[j]!.t === 'rparen' && --depth === 0) break;
        }
        if (j >= toks.length) fail(this.src, t.pos, 'unclosed left paren');
        const inner = toks.slice(i + 1, j);
        if (inner.length === 0) fail(this.src, t.pos, 'missing value in parentheses');
        op = { k: 'pipe', pipe: { decl: [], assign: false, cmds: this.commands(inner, t.pos), pos: t.pos } };
        next = j + 1;
        break;
      }
      case 'rparen':
        fail(this.src, t.pos, 'unexpected right paren');
        break;
      default:
        fail(this.src, t.pos, `unexpected "${t.v}" in operand`);
    }
    // A field chain glued to a variable or a parenthesized pipeline applies to it.
    const after = toks[next];
    const prevEnd = toks[next - 1]!.end;
    if (after && after.t === 'field' && after.pos === prevEnd && op.k !== 'lit' && op.k !== 'func') {
      return [{ k: 'field', base: op, names: after.v.slice(1).split('.') }, next + 1];
    }
    return [op, next];
  }
}
