/**
 * The Go text/template subset alert labels and annotations use
 * (https://pkg.go.dev/text/template): text and `{{ pipeline }}` actions with `{{-`/`-}}` trimming,
 * fields (`.Labels.job`), variables (`$labels`, `$value`, `$externalLabels`, `$externalURL`,
 * `$x := …`), strings, numbers, `|` pipelines, function calls, parentheses, `if`/`else if`/
 * `else`/`end`, `with`, `range` (over maps by sorted key, and lists), `query` and comments. Missing map
 * keys read as "" (Prometheus sets `missingkey=zero`). Parsing and expansion are pure: a
 * template is data, expansion a function.
 */
import { SluiceError } from '../errors.ts';
import { formatValue } from './go-format.ts';
import { TEMPLATE_FUNCS, truthy } from './template-funcs.ts';

type Arg =
  | { readonly t: 'lit'; readonly value: unknown; readonly text: string }
  | { readonly t: 'field'; readonly base: 'dot' | string; readonly path: readonly string[] }
  | { readonly t: 'call'; readonly name: string; readonly args: readonly Arg[]; readonly pos: number }
  | { readonly t: 'pipe'; readonly pipe: Pipeline };

interface Pipeline {
  readonly decl: string | undefined;
  /** Each command: a function call or a single operand; the previous result is appended as the last argument. */
  readonly cmds: readonly Arg[];
}

type Node =
  | { readonly t: 'text'; readonly text: string }
  | { readonly t: 'action'; readonly pipe: Pipeline; readonly line: number }
  | { readonly t: 'if' | 'with'; readonly pipe: Pipeline; readonly then: readonly Node[]; readonly else: readonly Node[]; readonly line: number }
  | { readonly t: 'range'; readonly pipe: Pipeline; readonly vars: readonly string[]; readonly then: readonly Node[]; readonly else: readonly Node[]; readonly line: number };

/** A parsed template. */
export interface Template {
  readonly name: string;
  /** The text it was parsed from, for error positions. */
  readonly source: string;
  readonly nodes: readonly Node[];
}

/** What a template reads: Prometheus's alert template data. */
export interface TemplateData {
  readonly labels: Readonly<Record<string, string>>;
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly value: number;
  /** Runs a PromQL query for the `query` function, at the evaluation's time; without it `query` fails. */
  readonly query?: (expr: string) => Promise<readonly QuerySample[]>;
}

/** One element of a `query` result, as Prometheus's templates see it (`.Labels`, `.Value`). */
export interface QuerySample {
  readonly Labels: Readonly<Record<string, string>>;
  readonly Value: number;
}

/** How a pipeline reports a failure, and what `query` runs. */
interface Env {
  readonly fail: (m: string) => never;
  readonly query: TemplateData['query'];
  readonly template: Template;
}

/**
 * Prometheus runs alert templates behind
 * `{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}`,
 * so columns on a template's first line are counted after those 112 characters.
 */
const PROMETHEUS_PREAMBLE_LENGTH = 112;

/** A failed function call worded as Prometheus words it: template, line:col, the command, the cause. */
function callError(template: Template, cmd: { name: string; args: readonly Arg[]; pos: number }, message: string): SluiceError {
  const line = lineOf(template.source, cmd.pos);
  const col = cmd.pos - (template.source.lastIndexOf('\n', cmd.pos - 1) + 1) + (line === 1 ? PROMETHEUS_PREAMBLE_LENGTH : 0);
  const name = template.name;
  const at = [cmd.name, ...cmd.args.map(argText)].join(' ');
  return new SluiceError('SLUICE_ERR_RULES_TEMPLATE', `error executing template ${name}: template: ${name}:${line}:${col}: executing ${JSON.stringify(name)} at <${at}>: error calling ${cmd.name}: ${message}`, { path: `${name}:${line}:${col}` });
}

/** An operand as Go's template parser prints it. */
function argText(arg: Arg): string {
  switch (arg.t) {
    case 'lit':
      return arg.text;
    case 'field':
      return (arg.base === 'dot' ? (arg.path.length === 0 ? '.' : '') : arg.base) + arg.path.map((p) => `.${p}`).join('');
    case 'call':
      return [arg.name, ...arg.args.map(argText)].join(' ');
    case 'pipe':
      return `(${arg.pipe.cmds.map(argText).join(' | ')})`;
  }
}

function templateError(name: string, line: number, message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_RULES_TEMPLATE', `template: ${name}:${line}: ${message}`, { path: `${name}:${line}` });
}

interface Token {
  readonly kind: 'ident' | 'field' | 'var' | 'string' | 'number' | 'bool' | 'pipe' | 'lparen' | 'rparen' | 'declare';
  readonly text: string;
  readonly value?: unknown;
  /** Offset in the action's text. */
  readonly at: number;
}

const TOKEN = /\s+|(\$[A-Za-z0-9_]*)|((?:\.[A-Za-z0-9_]+)+|\.)|("(?:[^"\\\n]|\\.)*"|`[^`]*`)|(-?(?:0x[0-9a-fA-F]+|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))|([A-Za-z_][A-Za-z0-9_]*)|(\|)|(\()|(\))|(:?=)/y;

function lexAction(src: string, fail: (m: string) => never): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (m === null) fail(`unexpected ${JSON.stringify(src[at])} in command`);
    const [, v, f, s, n, id, pipe, lp, rp, decl] = m;
    const push = (t: Omit<Token, 'at'>): void => void tokens.push({ ...t, at });
    if (v !== undefined) {
      const fieldAfter = /^(?:\.[A-Za-z0-9_]+)+/.exec(src.slice(TOKEN.lastIndex));
      if (fieldAfter !== null) TOKEN.lastIndex += fieldAfter[0].length;
      push({ kind: 'var', text: v + (fieldAfter?.[0] ?? '') });
    } else if (f !== undefined) push({ kind: 'field', text: f });
    else if (s !== undefined) push({ kind: 'string', text: s, value: s.startsWith('`') ? s.slice(1, -1) : (JSON.parse(s) as string) });
    else if (n !== undefined) push({ kind: 'number', text: n, value: Number(n) });
    else if (id !== undefined) push(id === 'true' || id === 'false' ? { kind: 'bool', text: id, value: id === 'true' } : { kind: 'ident', text: id });
    else if (pipe !== undefined) push({ kind: 'pipe', text: pipe });
    else if (lp !== undefined) push({ kind: 'lparen', text: lp });
    else if (rp !== undefined) push({ kind: 'rparen', text: rp });
    else if (decl !== undefined) push({ kind: 'declare', text: decl });
  }
  return tokens;
}

/** The variables Prometheus defines for alert templates, and `$` (the data itself). */
const PREDEFINED_VARIABLES = ['$', '$labels', '$externalLabels', '$externalURL', '$value'];

/** Parses `text` as the template `name`; throws SLUICE_ERR_RULES_TEMPLATE naming the template and line. */
export function parseTemplate(text: string, name: string): Template {
  const root: Node[] = [];
  type Frame = { kind: 'if' | 'with' | 'range'; pipe: Pipeline; vars: string[]; then: Node[]; else: Node[]; inElse: boolean; line: number; chained: boolean };
  const stack: Frame[] = [];
  const out = (): Node[] => {
    const top = stack.at(-1);
    return top === undefined ? root : top.inElse ? top.else : top.then;
  };
  // Variables are checked when parsed, as Go does; a declaration is visible to the text after it.
  const variables = new Set(PREDEFINED_VARIABLES);
  let pos = 0;
  let trimNext = false;
  while (pos < text.length) {
    const open = text.indexOf('{{', pos);
    let chunk = open < 0 ? text.slice(pos) : text.slice(pos, open);
    if (trimNext) chunk = chunk.replace(/^\s+/, '');
    const trimBefore = open >= 0 && /^\{\{-[\s]/.test(text.slice(open, open + 4));
    if (trimBefore) chunk = chunk.replace(/\s+$/, '');
    if (chunk !== '') out().push({ t: 'text', text: chunk });
    if (open < 0) break;
    const line = lineOf(text, open);
    const fail = (m: string): never => { throw templateError(name, line, m); };
    const close = text.indexOf('}}', open + 2);
    if (close < 0) fail('unclosed action');
    const trimAfter = close > open + 2 && /[\s]-$/.test(text.slice(close - 2, close));
    const rawBody = text.slice(open + (trimBefore ? 3 : 2), trimAfter ? close - 1 : close);
    const body = rawBody.trim();
    const bodyAt = open + (trimBefore ? 3 : 2) + rawBody.length - rawBody.trimStart().length;
    pos = close + 2;
    trimNext = trimAfter;
    if (body.startsWith('/*')) {
      if (!body.endsWith('*/')) fail('unclosed comment');
      continue;
    }
    const keyword = /^(if|else|end|with|range|define|template|block)\b/.exec(body)?.[1];
    const rest = keyword === undefined ? body : body.slice(keyword.length).trim();
    const restAt = keyword === undefined ? bodyAt : bodyAt + keyword.length + body.slice(keyword.length).length - body.slice(keyword.length).trimStart().length;
    if (keyword === 'range') {
      // `range $k, $v := pipeline` or `range $v := pipeline` or `range pipeline`
      const decl = /^(\$[A-Za-z0-9_]+)\s*(?:,\s*(\$[A-Za-z0-9_]+)\s*)?:=\s*([\s\S]*)$/.exec(rest);
      const vars = decl === null ? [] : [decl[1]!, ...(decl[2] === undefined ? [] : [decl[2]])];
      const frame: Frame = { kind: 'range', pipe: parsePipeline(decl === null ? rest : decl[3]!, fail, variables, decl === null ? restAt : restAt + rest.length - decl[3]!.length), vars, then: [], else: [], inElse: false, line, chained: false };
      for (const v of vars) variables.add(v);
      out().push(frame as unknown as Node);
      stack.push(frame);
    } else if (keyword === 'if' || keyword === 'with') {
      const frame: Frame = { kind: keyword, pipe: parsePipeline(rest, fail, variables, restAt), vars: [], then: [], else: [], inElse: false, line, chained: false };
      out().push(frame as unknown as Node);
      stack.push(frame);
    } else if (keyword === 'else') {
      const top = stack.at(-1);
      if (top === undefined || top.inElse) fail('unexpected {{else}}');
      top!.inElse = true;
      const chain = /^(if|with)\b/.exec(rest)?.[1] as 'if' | 'with' | undefined;
      if (chain !== undefined) {
        const frame: Frame = { kind: chain, pipe: parsePipeline(rest.slice(chain.length).trim(), fail, variables, restAt + chain.length + rest.slice(chain.length).length - rest.slice(chain.length).trimStart().length), vars: [], then: [], else: [], inElse: false, line, chained: true };
        top!.else.push(frame as unknown as Node);
        stack.push(frame);
      } else if (rest !== '') fail(`unexpected ${JSON.stringify(rest)} after else`);
    } else if (keyword === 'end') {
      if (rest !== '') fail(`unexpected ${JSON.stringify(rest)} in end`);
      let frame = stack.pop();
      if (frame === undefined) fail('unexpected {{end}}');
      while (frame!.chained) frame = stack.pop();
    } else if (keyword !== undefined) {
      fail(`{{${keyword}}} is not supported in alert templates`);
    } else {
      out().push({ t: 'action', pipe: parsePipeline(body, fail, variables, bodyAt), line });
    }
  }
  if (stack.length > 0) throw templateError(name, lineOf(text, text.length), `unexpected EOF`);
  return { name, source: text, nodes: freezeFrames(root) };
}

/** Turns the parser's frames into plain nodes. */
function freezeFrames(nodes: readonly Node[]): Node[] {
  return nodes.map((n) => {
    const f = n as unknown as { kind?: 'if' | 'with' | 'range'; pipe: Pipeline; vars: string[]; then: Node[]; else: Node[]; line: number };
    if (f.kind === undefined) return n;
    if (f.kind === 'range') return { t: 'range', pipe: f.pipe, vars: f.vars, then: freezeFrames(f.then), else: freezeFrames(f.else), line: f.line };
    return { t: f.kind, pipe: f.pipe, then: freezeFrames(f.then), else: freezeFrames(f.else), line: f.line };
  });
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Parses one action's pipeline; `base` is where `src` starts in the template text. */
function parsePipeline(src: string, fail: (m: string) => never, variables: Set<string>, base: number): Pipeline {
  const tokens = lexAction(src, fail);
  if (tokens.length === 0) fail('missing value for command');
  let decl: string | undefined;
  if (tokens.length >= 2 && tokens[0]!.kind === 'var' && tokens[1]!.kind === 'declare') {
    decl = tokens[0]!.text;
    tokens.splice(0, 2);
  }
  let i = 0;
  const pipeline = (): Pipeline => {
    const cmds: Arg[] = [];
    for (;;) {
      const args: Arg[] = [];
      while (i < tokens.length && tokens[i]!.kind !== 'pipe' && tokens[i]!.kind !== 'rparen') args.push(operand());
      if (args.length === 0) fail('missing command');
      const [first, ...more] = args;
      if (first!.t === 'call') cmds.push({ t: 'call', name: first!.name, args: [...first!.args, ...more], pos: first!.pos });
      else if (more.length > 0) fail(`can't give argument to non-function ${describe(first!)}`);
      else cmds.push(first!);
      if (i < tokens.length && tokens[i]!.kind === 'pipe') {
        i++;
        continue;
      }
      return { decl: undefined, cmds };
    }
  };
  const operand = (): Arg => {
    const tok = tokens[i++]!;
    switch (tok.kind) {
      case 'string':
      case 'number':
      case 'bool':
        return { t: 'lit', value: tok.value, text: tok.kind === 'string' ? JSON.stringify(tok.value) : tok.text };
      case 'field':
        return { t: 'field', base: 'dot', path: tok.text === '.' ? [] : tok.text.slice(1).split('.') };
      case 'var': {
        const [base, ...path] = tok.text.split('.');
        if (!variables.has(base!)) fail(`undefined variable ${JSON.stringify(base)}`);
        return { t: 'field', base: base!, path };
      }
      case 'ident':
        if (tok.text === 'nil') return { t: 'lit', value: undefined, text: 'nil' };
        if (!Object.hasOwn(TEMPLATE_FUNCS, tok.text)) fail(`function ${JSON.stringify(tok.text)} not defined`);
        return { t: 'call', name: tok.text, args: [], pos: base + tok.at };
      case 'lparen': {
        const inner = pipeline();
        if (tokens[i]?.kind !== 'rparen') fail('unclosed left paren');
        i++;
        return { t: 'pipe', pipe: inner };
      }
      default:
        return fail(`unexpected ${JSON.stringify(tok.text)} in operand`);
    }
  };
  const result = pipeline();
  if (i < tokens.length) fail(`unexpected ${JSON.stringify(tokens[i]!.text)} in operand`);
  if (decl !== undefined) variables.add(decl);
  return { decl, cmds: result.cmds };
}

function describe(arg: Arg): string {
  if (arg.t === 'lit') return formatValue(arg.value);
  if (arg.t === 'field') return (arg.base === 'dot' ? '' : arg.base) + arg.path.map((p) => `.${p}`).join('');
  return 'pipeline';
}

/**
 * Expands `template` over `data` (the alert's labels, value and external labels). Rejects with
 * SLUICE_ERR_RULES_TEMPLATE naming the template, line and column when a function fails. Asynchronous only
 * because `query` is; without it nothing waits on anything.
 */
export async function expandTemplate(template: Template, data: TemplateData): Promise<string> {
  const root = { Labels: data.labels, ExternalLabels: data.externalLabels, ExternalURL: data.externalURL, Value: data.value };
  const vars = new Map<string, unknown>([
    ['$', root],
    ['$labels', data.labels],
    ['$externalLabels', data.externalLabels],
    ['$externalURL', data.externalURL],
    ['$value', data.value],
  ]);
  let out = '';
  const run = async (nodes: readonly Node[], dot: unknown, scope: Map<string, unknown>): Promise<void> => {
    for (const node of nodes) {
      if (node.t === 'text') {
        out += node.text;
        continue;
      }
      const env: Env = { fail: (m) => { throw templateError(template.name, node.line, m); }, query: data.query, template };
      const value = await evalPipeline(node.pipe, dot, scope, env);
      if (node.t === 'action') {
        if (node.pipe.decl === undefined) out += formatValue(value);
      } else if (node.t === 'range') {
        const items = rangeItems(value, env.fail);
        if (items.length === 0) await run(node.else, dot, new Map(scope));
        for (const [key, item] of items) {
          const inner = new Map(scope);
          if (node.vars.length === 1) inner.set(node.vars[0]!, item);
          if (node.vars.length === 2) {
            inner.set(node.vars[0]!, key);
            inner.set(node.vars[1]!, item);
          }
          await run(node.then, item, inner);
        }
      } else if (truthy(value)) {
        await run(node.then, node.t === 'with' ? value : dot, new Map(scope));
      } else {
        await run(node.else, dot, new Map(scope));
      }
    }
  };
  await run(template.nodes, root, vars);
  return out;
}

/** What `range` iterates: a map's entries by sorted key (as Go does), a list's by index. */
function rangeItems(value: unknown, fail: (m: string) => never): [unknown, unknown][] {
  if (Array.isArray(value)) return value.map((v, i) => [i, v]);
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'object') return Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]]);
  return fail(`range can't iterate over ${formatValue(value)}`);
}

async function evalPipeline(pipe: Pipeline, dot: unknown, scope: Map<string, unknown>, env: Env): Promise<unknown> {
  const fail = env.fail;
  let prev: unknown;
  let first = true;
  for (const cmd of pipe.cmds) {
    const extra = first ? [] : [prev];
    if (cmd.t === 'call') {
      const args: unknown[] = [];
      for (const a of cmd.args) args.push(await evalArg(a, dot, scope, env));
      args.push(...extra);
      try {
        prev = cmd.name === 'query' ? await runQuery(env, args[0]) : TEMPLATE_FUNCS[cmd.name]!(...args);
      } catch (err) {
        throw callError(env.template, cmd, (err as Error).message);
      }
    } else {
      if (!first) fail(`can't give argument to non-function ${describe(cmd)}`);
      prev = await evalArg(cmd, dot, scope, env);
    }
    first = false;
  }
  if (pipe.decl !== undefined) scope.set(pipe.decl, prev);
  return prev;
}

async function runQuery(env: Env, expr: unknown): Promise<readonly QuerySample[]> {
  if (env.query === undefined) throw new Error('no query engine is available here');
  if (typeof expr !== 'string') throw new Error('expected a query string');
  return env.query(expr);
}

async function evalArg(arg: Arg, dot: unknown, scope: Map<string, unknown>, env: Env): Promise<unknown> {
  const fail = env.fail;
  switch (arg.t) {
    case 'lit':
      return arg.value;
    case 'pipe':
      return evalPipeline(arg.pipe, dot, scope, env);
    case 'call':
      return evalPipeline({ decl: undefined, cmds: [arg] }, dot, scope, env);
    case 'field': {
      let value: unknown;
      if (arg.base === 'dot') value = dot;
      else if (scope.has(arg.base)) value = scope.get(arg.base);
      else fail(`undefined variable: ${arg.base}`);
      for (const key of arg.path) {
        if (typeof value !== 'object' || value === null) fail(`can't evaluate field ${key} in type ${typeof value === 'number' ? 'float64' : typeof value}`);
        value = Object.hasOwn(value as object, key) ? (value as Record<string, unknown>)[key] : '';
      }
      return value;
    }
  }
}
