/**
 * Validation of any outside input (config files, command-line options, API bodies) against a Zod
 * schema, failing with one SluiceError whose message names every bad path. Schemas should use
 * `z.strictObject` so that a misspelt key is an error rather than silently ignored.
 */
import type * as z from 'zod';
import { SluiceError, type ErrorCode } from '../errors.ts';
import {
  describeValue,
  formatPath,
  isSecretPath,
  isShownValue,
  sluiceErrorMap,
  toSegments,
  type PathSegment,
} from './issues.ts';

/** A line and column in a source text, both counted from 1. */
export interface SourcePosition {
  readonly line: number;
  readonly col: number;
}

/** One thing wrong with the input, ready to show to a user. */
export interface ConfigProblem {
  /** Where in the input, as segments: ['broker', 'topics', 2, 'partitions']. */
  readonly path: readonly PathSegment[];
  /** The path as shown: `broker.topics[2].partitions` (or a flag name for CLI input). */
  readonly label: string;
  /** What was expected and what was found: `expected a positive integer, got "x"`. */
  readonly message: string;
  /** Where in the source file, when the input came from one. */
  readonly position?: SourcePosition;
}

/** How `validate` reports problems. */
export interface ValidateOptions {
  /** Error code thrown; default SLUICE_ERR_CONFIG_INVALID. */
  readonly code?: ErrorCode;
  /** Name of the input's source (a file path), shown before each problem. */
  readonly source?: string;
  /** Shows a path to the user; default `formatPath`. */
  readonly label?: (path: readonly PathSegment[]) => string;
  /**
   * Finds where a path sits in the source text. `key` is true when the problem is the key
   * itself (an unknown key), not its value.
   */
  readonly locate?: (path: readonly PathSegment[], key: boolean) => SourcePosition | undefined;
}

/** Problems listed in one error before the rest are only counted. */
export const MAX_LISTED_PROBLEMS = 20;

/**
 * Checks `input` against `schema` and returns the parsed output, or throws a SluiceError whose
 * message lists each problem on its own line as `[file:line:col: ]path: expected …, got …`.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, options: ValidateOptions = {}): z.output<S> {
  const result = schema.safeParse(input, { error: sluiceErrorMap, reportInput: true });
  if (result.success) return result.data;
  throw problemsError(describeIssues(result.error.issues, options), options);
}

/** Turns Zod issues into user-facing problems, one per unknown key, sorted by source position. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], options: ValidateOptions = {}): ConfigProblem[] {
  const label = options.label ?? formatPath;
  const problems: ConfigProblem[] = [];
  const add = (path: PathSegment[], message: string, key: boolean): void => {
    const position = options.locate?.(path, key);
    problems.push({ path, label: label(path), message, ...(position === undefined ? {} : { position }) });
  };
  for (const issue of issues) {
    const path = toSegments(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...path, key], issue.message, true);
    } else if (issue.code === 'invalid_key') {
      add(path, issue.message, true);
    } else {
      add(path, withFoundValue(issue, path), false);
    }
  }
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => comparePositions(a.problem.position, b.problem.position) || a.index - b.index)
    .map(({ problem }) => problem);
}

/** Builds the error thrown for a non-empty list of problems. */
export function problemsError(problems: readonly ConfigProblem[], options: ValidateOptions = {}): SluiceError {
  const lines = problems.slice(0, MAX_LISTED_PROBLEMS).map((problem) => formatProblem(problem, options.source));
  if (problems.length > MAX_LISTED_PROBLEMS) lines.push(`… and ${problems.length - MAX_LISTED_PROBLEMS} more problems`);
  return new SluiceError(options.code ?? 'SLUICE_ERR_CONFIG_INVALID', lines.join('\n'), { path: problems[0]?.label });
}

/** One problem as a line: `file:line:col: path: message`. */
export function formatProblem(problem: ConfigProblem, source?: string): string {
  let where = source ?? '';
  if (problem.position !== undefined) where += `${where === '' ? '' : ':'}${problem.position.line}:${problem.position.col}`;
  return `${where === '' ? '' : `${where}: `}${problem.label}: ${problem.message}`;
}

/**
 * Appends what was found to a built-in issue's message. A custom issue (a refinement or
 * transform) words its whole message itself, since only it knows which part of the input matters
 * and whether the input may be shown at all.
 */
function withFoundValue(issue: z.core.$ZodIssue, path: readonly PathSegment[]): string {
  if (issue.code === 'custom') return issue.message;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `missing, ${issue.message}`;
  const input = foundValue(issue);
  const typeMismatch = issue.code === 'invalid_type';
  if (!typeMismatch && !isShownValue(input)) return issue.message;
  if (isSecretPath(path) && typeof input === 'string') return `${issue.message}, got a string of ${input.length} characters`;
  return `${issue.message}, got ${describeValue(input)}`;
}

/** The value the issue is about: for a discriminated union, the discriminator, not the object. */
function foundValue(issue: z.core.$ZodIssue): unknown {
  const discriminator = (issue as { discriminator?: unknown }).discriminator;
  const input = issue.input;
  if (issue.code === 'invalid_union' && typeof discriminator === 'string' && typeof input === 'object' && input !== null) {
    return (input as Record<string, unknown>)[discriminator];
  }
  return input;
}

function comparePositions(a: SourcePosition | undefined, b: SourcePosition | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 1 : 0) - (b === undefined ? 1 : 0);
  return a.line - b.line || a.col - b.col;
}
