/** PromQL parse errors with the position of the bad input inside the expression text. */
import { SluiceError } from '../../errors.ts';

/** Where in the expression text a problem is: 1-based line and column, 0-based offset. */
export interface PromQLPosition {
  readonly line: number;
  readonly col: number;
  readonly offset: number;
}

/** A SLUICE_ERR_PROMQL_PARSE error whose message starts with `line:col:`. */
export class PromQLError extends SluiceError {
  /** Where the problem is. */
  readonly position: PromQLPosition;

  constructor(text: string, offset: number, message: string, cause?: unknown) {
    const position = positionOf(text, offset);
    super('SLUICE_ERR_PROMQL_PARSE', `${position.line}:${position.col}: ${message}`, { cause, path: `${position.line}:${position.col}` });
    this.name = 'PromQLError';
    this.position = position;
  }
}

/** The 1-based line and column of `offset` in `text`. */
export function positionOf(text: string, offset: number): PromQLPosition {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: clamped - lineStart + 1, offset: clamped };
}

/** A SLUICE_ERR_PROMQL_EVAL error. */
export function evalError(message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_PROMQL_EVAL', message);
}

/** A SLUICE_ERR_PROMQL_TIMEOUT error, worded as Prometheus words it, with why when there is more to say. */
export function timeoutError(why?: string): SluiceError {
  return new SluiceError('SLUICE_ERR_PROMQL_TIMEOUT', `query timed out in expression evaluation${why === undefined ? '' : `: ${why}`}`);
}
