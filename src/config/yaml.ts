/**
 * YAML config files: parse, validate against a schema, freeze. Problems are reported with the
 * file, line and column of the offending node, so an operator can go straight to it.
 */
import { readFile } from 'node:fs/promises';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type * as z from 'zod';
import { SluiceError } from '../errors.ts';
import { deepFreeze, type DeepReadonly } from './freeze.ts';
import type { PathSegment } from './issues.ts';
import { validate, type SourcePosition } from './validate.ts';

/** How a YAML text is named in messages. */
export interface ParseYamlOptions {
  /** The file name shown before each problem; default `<input>`. */
  readonly file?: string;
}

/**
 * Reads the YAML file at `path`, validates it against `schema` and returns the parsed value
 * deeply frozen. Throws SLUICE_ERR_CONFIG_FILE when the file cannot be read and
 * SLUICE_ERR_CONFIG_INVALID, naming `path:line:col`, when its content is wrong.
 */
export async function loadYamlFile<S extends z.ZodType>(path: string, schema: S): Promise<DeepReadonly<z.output<S>>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new SluiceError('SLUICE_ERR_CONFIG_FILE', `${path}: ${reason}`, { cause: err, path });
  }
  return parseYaml(text, schema, { file: path });
}

/** Parses one YAML document from `text`, validates it and returns it deeply frozen. */
export function parseYaml<S extends z.ZodType>(
  text: string,
  schema: S,
  options: ParseYamlOptions = {},
): DeepReadonly<z.output<S>> {
  const file = options.file ?? '<input>';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = [...doc.errors, ...doc.warnings].map((err) => {
    const position = toPosition(lineCounter, err.pos[0]);
    const message = err.code === 'MULTIPLE_DOCS' ? 'expected a single YAML document' : err.message;
    return `${file}:${position.line}:${position.col}: YAML: ${message}`;
  });
  if (syntax.length > 0) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', syntax.join('\n'), { path: file });
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // e.g. an alias expanding past maxAliasCount ("billion laughs").
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `${file}: YAML: ${(err as Error).message}`, { cause: err, path: file });
  }
  const parsed = validate(schema, value, {
    source: file,
    locate: (path, key) => toPosition(lineCounter, offsetOf(doc, path, key)),
  });
  return deepFreeze(parsed);
}

function toPosition(lineCounter: LineCounter, offset: number): SourcePosition {
  const { line, col } = lineCounter.linePos(offset);
  return { line, col };
}

/**
 * Source offset of the node at `path`: its key when `key` is set or its value is empty, and the
 * deepest existing ancestor when the path does not exist (a missing key is reported at the
 * object that should hold it).
 */
function offsetOf(doc: Document, path: readonly PathSegment[], key: boolean): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    node = resolve(doc, node);
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyMatches(item.key, segment));
      if (pair === undefined) return offset;
      const value = pair.value;
      if ((last && key) || value === null || isEmptyScalar(value)) return rangeStart(pair.key) ?? offset;
      node = value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment];
    } else {
      return offset;
    }
    offset = rangeStart(node) ?? offset;
  }
  return offset;
}

function resolve(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function keyMatches(key: unknown, segment: PathSegment | undefined): boolean {
  const value = isScalar(key) ? key.value : key;
  return value !== null && value !== undefined && String(value) === String(segment);
}

function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && node.value === null && node.source === '';
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0] ?? undefined;
}
