/**
 * Wording of validation problems. Zod's default messages ("Invalid input: expected number,
 * received string") are written for developers; these say what the user must write instead, in
 * the words a config file uses (list, object, integer), and show what was found.
 */
import type * as z from 'zod';

/** One step of a path into the validated input: an object key or a list index. */
export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const SECRET_KEY = /password|secret|token|credential/i;
const MAX_SHOWN_CHARS = 60;

/** The label used when the problem is the input as a whole. */
export const TOP_LEVEL = '(top level)';

/**
 * Writes a path the way a user reads it: `broker.topics[2].partitions`, with keys that are not
 * plain identifiers quoted (`configs["retention.ms"]`).
 */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? TOP_LEVEL : out;
}

/** Turns Zod's path (which may hold symbols) into plain segments. */
export function toSegments(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((key) => (typeof key === 'number' || typeof key === 'string' ? key : String(key)));
}

/** True when the last key of `path` names a secret, whose value must never be echoed. */
export function isSecretPath(path: readonly PathSegment[]): boolean {
  const last = path.at(-1);
  return typeof last === 'string' && SECRET_KEY.test(last);
}

/**
 * Describes a found value briefly: strings quoted and cut to 60 characters, containers named by
 * kind (`a list`, `an object`), nothing for a missing value.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}…` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Whether `value` is shown after "got": primitives and type mismatches only, not whole objects. */
export function isShownValue(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function' && value !== undefined);
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  bigint: 'an integer',
  array: 'a list',
  tuple: 'a list',
  object: 'an object',
  record: 'an object',
  map: 'an object',
  set: 'a list',
  date: 'a date',
  null: 'null',
  undefined: 'nothing',
  never: 'nothing',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? `a ${expected}`;
}

interface Bound {
  readonly value: number;
  readonly inclusive: boolean;
}

const INTEGER_FORMATS = new Set(['safeint', 'int32', 'uint32']);

/**
 * The whole rule of a number schema ("an integer from 0 to 65535"), read from its checks, so that
 * any failure of it (wrong type, too small, too big) tells the user every bound at once.
 * `fallback` supplies the bound of the failing check when the schema's checks cannot be read.
 */
function numberRule(schema: unknown, fallback: { low?: Bound; high?: Bound } = {}): string {
  const def = (schema as { _zod?: { def?: { format?: string; checks?: unknown[] } } } | undefined)?._zod?.def;
  const integer = def?.format !== undefined && INTEGER_FORMATS.has(def.format);
  let { low, high } = fallback;
  for (const check of def?.checks ?? []) {
    const c = (check as { _zod?: { def?: { check?: string; value?: unknown; inclusive?: boolean } } })._zod?.def;
    if (typeof c?.value !== 'number') continue;
    if (c.check === 'greater_than') low = { value: c.value, inclusive: c.inclusive === true };
    if (c.check === 'less_than') high = { value: c.value, inclusive: c.inclusive === true };
  }
  if (!integer) {
    const parts = [low && `${low.inclusive ? '>=' : '>'} ${low.value}`, high && `${high.inclusive ? '<=' : '<'} ${high.value}`];
    const range = parts.filter((p) => p !== undefined).join(' and ');
    return range === '' ? 'expected a number' : `expected a number ${range}`;
  }
  const min = low && (low.inclusive ? Math.ceil(low.value) : Math.floor(low.value) + 1);
  const max = high && (high.inclusive ? Math.floor(high.value) : Math.ceil(high.value) - 1);
  if (min !== undefined && max !== undefined && max !== Number.MAX_SAFE_INTEGER) return `expected an integer from ${min} to ${max}`;
  if (min === 1) return 'expected a positive integer';
  if (min === 0) return 'expected a non-negative integer';
  if (min !== undefined) return `expected an integer >= ${min}`;
  if (max !== undefined && max !== Number.MAX_SAFE_INTEGER) return `expected an integer <= ${max}`;
  return 'expected an integer';
}

function sizeRule(origin: string, bound: number | bigint, side: 'least' | 'most'): string {
  if (origin === 'string') {
    if (side === 'least' && bound === 1) return 'expected a non-empty string';
    return `expected at ${side} ${bound} character${bound === 1 ? '' : 's'}`;
  }
  if (side === 'least' && bound === 1) return 'expected a non-empty list';
  return `expected at ${side} ${bound} item${bound === 1 ? '' : 's'}`;
}

function outOfRange(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, schema: unknown): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  if (issue.origin === 'string' || issue.origin === 'array' || issue.origin === 'set') {
    const count = inclusive ? bound : small ? bound + 1 : bound - 1;
    return sizeRule(issue.origin, count, small ? 'least' : 'most');
  }
  if (issue.origin === 'number' || issue.origin === 'int') {
    return numberRule(schema, small ? { low: { value: bound, inclusive } } : { high: { value: bound, inclusive } });
  }
  return `expected ${issue.origin} ${small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<'} ${bound}`;
}

function invalidFormat(issue: z.core.$ZodIssueInvalidStringFormat): string {
  const detail = issue as z.core.$ZodIssueInvalidStringFormat & Record<string, unknown>;
  switch (issue.format) {
    case 'regex':
      return `expected a string matching ${issue.pattern}`;
    case 'starts_with':
      return `expected a string starting with ${JSON.stringify(detail.prefix)}`;
    case 'ends_with':
      return `expected a string ending with ${JSON.stringify(detail.suffix)}`;
    case 'includes':
      return `expected a string containing ${JSON.stringify(detail.includes)}`;
    default:
      return `expected a valid ${issue.format}`;
  }
}

function oneOf(values: readonly unknown[]): string {
  const shown = values.map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v)));
  return shown.length === 1 ? `expected ${shown[0]}` : `expected one of ${shown.join(', ')}`;
}

function invalidUnion(issue: z.core.$ZodIssueInvalidUnion & Record<string, unknown>): string {
  if (Array.isArray(issue.options)) return oneOf(issue.options);
  const types = issue.errors.map((branch) =>
    branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0 ? branch[0].expected : undefined,
  );
  if (types.length > 0 && types.every((t) => t !== undefined)) {
    return `expected ${[...new Set(types.map((t) => typeName(t as string)))].join(' or ')}`;
  }
  return 'does not match any of the allowed forms';
}

/**
 * The error map Sluice validates with: it words every built-in Zod issue as "expected …".
 * Messages a schema sets itself take precedence over this map, so a field can say
 * `expected a positive integer` in its own words.
 */
export const sluiceErrorMap: z.core.$ZodErrorMap = (raw) => {
  const issue = raw as unknown as z.core.$ZodIssue;
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'int' ? numberRule(raw.schema) : `expected ${typeName(issue.expected)}`;
    case 'too_small':
    case 'too_big':
      return outOfRange(issue, raw.schema);
    case 'invalid_format':
      return invalidFormat(issue);
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return 'unknown key';
    case 'invalid_value':
      return oneOf(issue.values);
    case 'invalid_union':
      return invalidUnion(issue as z.core.$ZodIssueInvalidUnion & Record<string, unknown>);
    case 'invalid_key': {
      const inner = issue.issues[0];
      const reason = inner === undefined ? undefined : sluiceErrorMap(inner as unknown as z.core.$ZodRawIssue);
      return typeof reason === 'string' ? `invalid key, ${reason}` : 'invalid key';
    }
    case 'invalid_element':
      return 'invalid entry';
    default:
      return undefined;
  }
};
