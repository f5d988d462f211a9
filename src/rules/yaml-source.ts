/**
 * YAML documents that remember where each node sits, for rule and rule-test files: problems are
 * reported as `file:line:col: path: message`, and a PromQL error inside an `expr` string is
 * moved from the expression's own line:col to the file's.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document } from 'yaml';
import type * as z from 'zod';
import { describeIssues } from '../config/validate.ts';
import { formatPath, sluiceErrorMap, type PathSegment } from '../config/issues.ts';

/** A parsed YAML file and the means to locate its nodes. */
export interface YamlSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

/** One problem of a file, ready to print. */
export interface FileProblem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** `groups[0].rules[2].expr` */
  readonly path: string;
  readonly message: string;
}

/** The problem as one line: `file:line:col: path: message`. */
export function formatFileProblem(p: FileProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path}: ${p.message}`;
}

/** Parses `text`; YAML syntax problems come back as problems, with no value. */
export function parseYamlSource(text: string, file: string): { source: YamlSource; value: unknown; problems: FileProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source = { file, text, doc, lines };
  const problems = doc.errors.map((err) => {
    const { line, col } = lines.linePos(err.pos[0]);
    return { file, line, col, path: '(YAML)', message: err.code === 'MULTIPLE_DOCS' ? 'expected a single YAML document' : err.message.split('\n')[0]! };
  });
  if (problems.length > 0) return { source, value: undefined, problems };
  try {
    return { source, value: doc.toJS({ maxAliasCount: 100 }), problems };
  } catch (err) {
    return { source, value: undefined, problems: [{ file, line: 1, col: 1, path: '(YAML)', message: (err as Error).message }] };
  }
}

/** Checks `value` (found at `prefix`) against `schema`, returning the problems with their file positions. */
export function checkShape<S extends z.ZodType>(source: YamlSource, schema: S, value: unknown, prefix: readonly PathSegment[] = []): { data?: z.output<S>; problems: FileProblem[] } {
  const result = schema.safeParse(value, { error: sluiceErrorMap, reportInput: true });
  if (result.success) return { data: result.data, problems: [] };
  const described = describeIssues(result.error.issues.map((i) => ({ ...i, path: [...prefix, ...i.path] })), {
    locate: (path, key) => locate(source, path, key),
  });
  return {
    problems: described.map((p) => ({ file: source.file, line: p.position?.line ?? 1, col: p.position?.col ?? 1, path: p.label, message: p.message })),
  };
}

/** A problem at `path` (at its key when `key`). */
export function problemAt(source: YamlSource, path: readonly PathSegment[], message: string, key = false): FileProblem {
  const { line, col } = locate(source, path, key);
  return { file: source.file, line, col, path: formatPath(path), message };
}

/**
 * A problem at `inner` (line:col inside the string value at `path`): moved into the file when the
 * string is a single-line plain or quoted scalar or a literal block (`|`), else reported at the
 * string's start. Escapes before the position in a quoted string are counted as written.
 */
export function problemInString(source: YamlSource, path: readonly PathSegment[], inner: { line: number; col: number }, message: string): FileProblem {
  const node = nodeAt(source, path);
  const start = locate(source, path, false);
  let { line, col } = start;
  if (isScalar(node)) {
    const type = node.type;
    if (type === Scalar.PLAIN && inner.line === 1) {
      col = start.col + inner.col - 1;
    } else if ((type === Scalar.QUOTE_DOUBLE || type === Scalar.QUOTE_SINGLE) && inner.line === 1 && node.range) {
      col = start.col + 1 + rawLength(source.text, node.range[0] + 1, inner.col - 1, type === Scalar.QUOTE_DOUBLE);
    } else if (type === Scalar.BLOCK_LITERAL) {
      const indent = lineIndent(source, start.line + inner.line);
      if (indent !== undefined) {
        line = start.line + inner.line;
        col = indent + inner.col;
      }
    }
  }
  return { file: source.file, line, col, path: formatPath(path), message };
}

/**
 * How many source characters, from `from`, spell the first `chars` characters of a quoted
 * scalar's value: `\"` or `\x41` (double quotes) and `''` (single quotes) are several.
 */
function rawLength(text: string, from: number, chars: number, double: boolean): number {
  let i = from;
  for (let n = 0; n < chars && i < text.length; n++) {
    if (double && text[i] === '\\') {
      const e = text[i + 1];
      i += e === 'x' ? 4 : e === 'u' ? 6 : e === 'U' ? 10 : 2;
    } else if (!double && text[i] === "'" && text[i + 1] === "'") {
      i += 2;
    } else {
      i++;
    }
  }
  return i - from;
}

/** Indentation (in columns) of line `line` of the source, or undefined past its end. */
function lineIndent(source: YamlSource, line: number): number | undefined {
  const from = source.lines.lineStarts[line - 1];
  if (from === undefined) return undefined;
  let i = from;
  while (source.text[i] === ' ') i++;
  return i - from;
}

/** The node at `path`, if it exists. */
export function nodeAt(source: YamlSource, path: readonly PathSegment[]): unknown {
  let node: unknown = source.doc.contents;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(source.doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) return undefined;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      return undefined;
    }
  }
  return node;
}

/** Line and column of the node at `path`, or of its deepest existing ancestor. */
export function locate(source: YamlSource, path: readonly PathSegment[], key: boolean): { line: number; col: number } {
  let node: unknown = source.doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(source.doc);
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) break;
      if ((i === path.length - 1 && key) || pair.value === null) {
        offset = rangeStart(pair.key) ?? offset;
        break;
      }
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment];
    } else {
      break;
    }
    offset = rangeStart(node) ?? offset;
  }
  return source.lines.linePos(offset);
}

function rangeStart(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
}
