// Go text/template, the subset docker's `--format` accepts, with docker's functions.
// Compile once, execute per row: `compileTemplate(src)(row)`.
import { TsswarmError } from '../../shared/errors.js';
import { isTrue, printValue } from './govalue.js';
import { parseTemplate, where, type BlockNode, type Command, type Operand, type Pipeline, type TemplateNode } from './template_parse.js';

export interface CompiledTemplate {
  (data: unknown): string;
  /**
   * Executes in docker's header mode, used for the first row of a table: each field
   * chain yields the header of its last field name, docker's own functions return
   * their first argument unchanged, and range/with run their body once.
   */
  header(headerOf: (field: string) => string): string;
}

type Func = (args: unknown[], ctx: Ctx) => unknown;

interface Ctx {
  src: string;
  pos: number;
  headerOf: ((field: string) => string) | null;
}

/** The functions docker adds to text/template (cli/templates): in header mode they pass their first argument through. */
const DOCKER_FUNCS: Record<string, Func> = {
  json: ([v]) => jsonString(v),
  split: ([s, sep], ctx) => str(s, ctx, 'split').split(str(sep, ctx, 'split')),
  join: ([list, sep], ctx) => {
    if (!Array.isArray(list)) throw execError(ctx, `join: expected a list, got ${typeName(list)}`);
    return list.map((x) => (typeof x === 'string' ? x : printValue(x))).join(str(sep, ctx, 'join'));
  },
  title: ([s], ctx) => str(s, ctx, 'title').replace(/(?<![\p{L}\p{N}_'])\p{L}/gu, (c) => c.toUpperCase()),
  lower: ([s], ctx) => str(s, ctx, 'lower').toLowerCase(),
  upper: ([s], ctx) => str(s, ctx, 'upper').toUpperCase(),
  pad: ([s, pre, post], ctx) => {
    const v = str(s, ctx, 'pad');
    return v === '' ? v : ' '.repeat(int(pre, ctx, 'pad')) + v + ' '.repeat(int(post, ctx, 'pad'));
  },
  truncate: ([s, n], ctx) => {
    // Counted in characters rather than Go's bytes, so a multi-byte rune is never cut.
    const chars = [...str(s, ctx, 'truncate')];
    return chars.slice(0, Math.max(0, int(n, ctx, 'truncate'))).join('');
  },
};

const ARITY: Record<string, number> = { json: 1, split: 2, join: 2, title: 1, lower: 1, upper: 1, pad: 3, truncate: 2 };

/** text/template's own builtins (those that make sense without Go types). */
const BUILTINS: Record<string, Func> = {
  index: ([v, ...keys], ctx) => {
    let cur = v;
    for (const k of keys) {
      if (cur == null) return undefined;
      if (Array.isArray(cur) || typeof cur === 'string') {
        const i = int(k, ctx, 'index');
        if (i < 0 || i >= cur.length) throw execError(ctx, `index: index out of range: ${i}`);
        cur = cur[i];
      } else if (cur instanceof Map) cur = cur.get(k);
      else if (typeof cur === 'object') cur = own(cur as Record<string, unknown>, String(k));
      else throw execError(ctx, `index: can't index item of type ${typeName(cur)}`);
    }
    return cur;
  },
  len: ([v], ctx) => {
    if (typeof v === 'string') return Buffer.byteLength(v);
    if (Array.isArray(v)) return v.length;
    if (v instanceof Map) return v.size;
    if (v != null && typeof v === 'object') return Object.keys(v).length;
    throw execError(ctx, `len of type ${typeName(v)}`);
  },
  not: ([v]) => !isTrue(v),
  and: (args) => {
    for (const a of args) if (!isTrue(a)) return a;
    return args[args.length - 1];
  },
  or: (args) => {
    for (const a of args) if (isTrue(a)) return a;
    return args[args.length - 1];
  },
  eq: ([a, ...bs], ctx) => {
    if (bs.length === 0) throw execError(ctx, 'eq: missing argument for comparison');
    return bs.some((b) => compare(a, b, ctx, 'eq') === 0);
  },
  ne: ([a, b], ctx) => compare(a, b, ctx, 'ne') !== 0,
  lt: ([a, b], ctx) => compare(a, b, ctx, 'lt', true) < 0,
  le: ([a, b], ctx) => compare(a, b, ctx, 'le', true) <= 0,
  gt: ([a, b], ctx) => compare(a, b, ctx, 'gt', true) > 0,
  ge: ([a, b], ctx) => compare(a, b, ctx, 'ge', true) >= 0,
  print: (args) => goPrint(args),
  println: (args) => args.map(printArg).join(' ') + '\n',
  printf: ([fmt, ...args], ctx) => sprintf(str(fmt, ctx, 'printf'), args),
};

/**
 * Compiles a docker `--format` template. Literal `\t` and `\n` in the source become
 * tab and newline first, as the docker CLI does. Throws TsswarmError('Invalid') with
 * the line:column of the problem, at compile time for syntax and unknown functions,
 * at execution for type errors.
 */
export function compileTemplate(src: string): CompiledTemplate {
  const text = src.replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  const nodes = parseTemplate(text);
  checkFuncs(text, nodes);
  const run = (data: unknown, headerOf: Ctx['headerOf']): string => {
    const out: string[] = [];
    const vars: [string, unknown][] = [['$', data]];
    execList(nodes, data, vars, out, { src: text, pos: 0, headerOf });
    return out.join('');
  };
  const tpl = ((data: unknown) => run(data, null)) as CompiledTemplate;
  tpl.header = (headerOf) => run(undefined, headerOf);
  return tpl;
}

function checkFuncs(src: string, nodes: TemplateNode[]): void {
  const checkPipe = (p: Pipeline): void => {
    for (const c of p.cmds) for (const a of c.args) checkOperand(a);
  };
  const checkOperand = (a: Operand): void => {
    if (a.k === 'func' && !(a.name in DOCKER_FUNCS) && !(a.name in BUILTINS)) {
      throw new TsswarmError('Invalid', `template: ${where(src, a.pos)}: function "${a.name}" not defined`);
    }
    if (a.k === 'pipe') checkPipe(a.pipe);
    if (a.k === 'field' && a.base) checkOperand(a.base);
  };
  const walk = (list: TemplateNode[]): void => {
    for (const n of list) {
      if (n.k === 'text') continue;
      checkPipe(n.pipe);
      if (n.k !== 'action') {
        walk(n.body);
        if (n.alt) walk(n.alt);
      }
    }
  };
  walk(nodes);
}

function execList(nodes: TemplateNode[], dot: unknown, vars: [string, unknown][], out: string[], ctx: Ctx): void {
  for (const n of nodes) {
    switch (n.k) {
      case 'text':
        out.push(n.text);
        break;
      case 'action': {
        const v = evalPipeline(n.pipe, dot, vars, ctx);
        if (n.pipe.decl.length === 0) out.push(printValue(v));
        break;
      }
      case 'if':
      case 'with': {
        const mark = vars.length;
        const v = evalPipeline(n.pipe, dot, vars, ctx);
        const truth = ctx.headerOf ? true : isTrue(v);
        if (truth) execList(n.body, n.k === 'with' ? v : dot, vars, out, ctx);
        else if (n.alt) execList(n.alt, dot, vars, out, ctx);
        vars.length = mark;
        break;
      }
      case 'range':
        execRange(n, dot, vars, out, ctx);
        break;
    }
  }
}

function execRange(n: BlockNode, dot: unknown, vars: [string, unknown][], out: string[], ctx: Ctx): void {
  const mark = vars.length;
  const [kVar, vVar] = n.pipe.decl.length === 2 ? n.pipe.decl : [undefined, n.pipe.decl[0]];
  const pipe = { ...n.pipe, decl: [] };
  const coll = evalPipeline(pipe, dot, vars, ctx);
  const entries: [unknown, unknown][] = [];
  if (ctx.headerOf) entries.push([0, coll]);
  else if (Array.isArray(coll)) coll.forEach((v, i) => entries.push([i, v]));
  else if (coll instanceof Map) for (const k of [...coll.keys()].sort()) entries.push([k, coll.get(k)]);
  else if (typeof coll === 'number' && Number.isInteger(coll)) for (let i = 0; i < coll; i++) entries.push([i, i]);
  else if (coll != null && typeof coll === 'object') {
    const obj = coll as Record<string, unknown>;
    for (const k of Object.keys(obj).sort()) entries.push([k, obj[k]]);
  } else if (coll != null) throw execError({ ...ctx, pos: n.pos }, `range can't iterate over ${printValue(coll)}`);
  if (entries.length === 0) {
    if (n.alt) execList(n.alt, dot, vars, out, ctx);
    return;
  }
  for (const [k, v] of entries) {
    vars.length = mark;
    if (kVar !== undefined) vars.push([kVar, k]);
    if (vVar !== undefined) vars.push([vVar, v]);
    execList(n.body, v, vars, out, ctx);
  }
  vars.length = mark;
}

function evalPipeline(p: Pipeline, dot: unknown, vars: [string, unknown][], ctx: Ctx): unknown {
  let value: unknown;
  let piped = false;
  for (const c of p.cmds) {
    value = evalCommand(c, dot, vars, { ...ctx, pos: c.pos }, piped, value);
    piped = true;
  }
  if (p.decl.length === 1) {
    const name = p.decl[0]!;
    if (p.assign) {
      const slot = findVar(vars, name);
      if (!slot) throw execError({ ...ctx, pos: p.pos }, `undefined variable: ${name}`);
      slot[1] = value;
    } else vars.push([name, value]);
  }
  return value;
}

function evalCommand(c: Command, dot: unknown, vars: [string, unknown][], ctx: Ctx, piped: boolean, prev: unknown): unknown {
  const [head, ...rest] = c.args as [Operand, ...Operand[]];
  if (head.k === 'func') {
    const args = rest.map((a) => evalOperand(a, dot, vars, ctx));
    if (piped) args.push(prev);
    const docker = DOCKER_FUNCS[head.name];
    if (docker) {
      const arity = ARITY[head.name]!;
      if (args.length !== arity) throw execError(ctx, `wrong number of args for ${head.name}: want ${arity} got ${args.length}`);
      return ctx.headerOf ? args[0] : docker(args, ctx);
    }
    if (ctx.headerOf && head.name === 'index') return args[0];
    return BUILTINS[head.name]!(args, ctx);
  }
  if (rest.length > 0 || piped) throw execError(ctx, `can't give argument to non-function ${describe(head)}`);
  return evalOperand(head, dot, vars, ctx);
}

function evalOperand(a: Operand, dot: unknown, vars: [string, unknown][], ctx: Ctx): unknown {
  switch (a.k) {
    case 'dot':
      return dot;
    case 'lit':
      return a.value;
    case 'var': {
      const slot = findVar(vars, a.name);
      if (!slot) throw execError(ctx, `undefined variable "${a.name}"`);
      return slot[1];
    }
    case 'pipe':
      return evalPipeline(a.pipe, dot, vars, ctx);
    case 'func':
      return evalCommand({ args: [a], pos: a.pos }, dot, vars, ctx, false, undefined);
    case 'field': {
      if (ctx.headerOf) return ctx.headerOf(a.names[a.names.length - 1]!);
      let cur = a.base ? evalOperand(a.base, dot, vars, ctx) : dot;
      for (const name of a.names) {
        // A missing link prints `<no value>` rather than failing, as for Go maps.
        if (cur == null) return undefined;
        if (cur instanceof Map) cur = cur.get(name);
        else if (typeof cur === 'object' && !Array.isArray(cur)) cur = own(cur as Record<string, unknown>, name);
        else throw execError(ctx, `can't evaluate field ${name} in type ${typeName(cur)}`);
      }
      return cur;
    }
  }
}

function findVar(vars: [string, unknown][], name: string): [string, unknown] | undefined {
  for (let i = vars.length - 1; i >= 0; i--) if (vars[i]![0] === name) return vars[i];
  return undefined;
}

function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

function execError(ctx: Ctx, msg: string): TsswarmError {
  return new TsswarmError('Invalid', `template: ${where(ctx.src, ctx.pos)}: ${msg}`);
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'map';
  return typeof v === 'number' ? 'number' : typeof v;
}

function describe(a: Operand): string {
  switch (a.k) {
    case 'field':
      return '.' + a.names.join('.');
    case 'var':
      return a.name;
    case 'lit':
      return JSON.stringify(a.value);
    default:
      return a.k;
  }
}

function str(v: unknown, ctx: Ctx, fn: string): string {
  if (typeof v === 'string') return v;
  throw execError(ctx, `${fn}: expected a string, got ${typeName(v)} ${printValue(v)}`);
}

function int(v: unknown, ctx: Ctx, fn: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw execError(ctx, `${fn}: expected an integer, got ${typeName(v)} ${printValue(v)}`);
}

function compare(a: unknown, b: unknown, ctx: Ctx, fn: string, ordered = false): number {
  const ok = (x: unknown): boolean => ['string', 'number', 'boolean'].includes(typeof x) || (!ordered && x == null);
  if (!ok(a) || !ok(b)) throw execError(ctx, `${fn}: incomparable types ${typeName(a)} and ${typeName(b)}`);
  if (a == null || b == null) return a == null && b == null ? 0 : 1;
  if (typeof a !== typeof b) throw execError(ctx, `${fn}: incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
  if (ordered && typeof a === 'boolean') throw execError(ctx, `${fn}: invalid type for comparison`);
  return a === b ? 0 : (a as string | number) < (b as string | number) ? -1 : 1;
}

// Go's json.Encoder with SetEscapeHTML(false), as docker's `json` function uses.
function jsonString(v: unknown): string {
  const s = JSON.stringify(v ?? null, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Map ? Object.fromEntries(x) : x));
  return s ?? 'null';
}

function printArg(v: unknown): string {
  return v == null ? '<nil>' : printValue(v);
}

// fmt.Sprint: spaces only between operands when neither is a string.
function goPrint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += printArg(a);
  });
  return out;
}

// A small fmt.Sprintf: %v %s %d %q %t %%, with optional '-' flag and width.
function sprintf(fmt: string, args: unknown[]): string {
  let i = 0;
  return fmt.replace(/%(-?)(\d*)([vsdqt%])/g, (_m, minus: string, width: string, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const a = args[i++];
    let s: string;
    if (verb === 'q') s = JSON.stringify(typeof a === 'string' ? a : printArg(a));
    else if (verb === 'd' && !(typeof a === 'number' && Number.isInteger(a))) s = `%!d(${typeName(a)}=${printArg(a)})`;
    else s = printArg(a);
    const w = width ? Number(width) : 0;
    const len = [...s].length;
    if (len >= w) return s;
    return minus ? s + ' '.repeat(w - len) : ' '.repeat(w - len) + s;
  });
}
