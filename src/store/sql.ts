/**
 * Small SQL helpers shared by the backends and queries: identifier quoting, time conversion and
 * the classification of database errors into "try again later" and "this will never work".
 */
import { isSluiceError } from '../errors.ts';

/** SQLSTATE for a unique-constraint violation. */
export const UNIQUE_VIOLATION = '23505';
/** SQLSTATE for "no partition of relation found for row" (a check violation). */
export const CHECK_VIOLATION = '23514';
/** SQLSTATE for "relation already exists". */
export const DUPLICATE_TABLE = '42P07';

/** Quotes an identifier for SQL text (doubling any `"`). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A timestamp parameter: ms since the epoch as an ISO string, unambiguous in any time zone;
 * ±Infinity become PostgreSQL's `infinity` and `-infinity`, so open ranges need no special case.
 */
export function toTimestamp(ms: number): string {
  if (ms === Number.POSITIVE_INFINITY) return 'infinity';
  if (ms === Number.NEGATIVE_INFINITY) return '-infinity';
  return new Date(ms).toISOString();
}

/** SQL for a timestamptz column read back as ms since the epoch (a float8, exact to the µs). */
export function msOf(column: string): string {
  return `(extract(epoch from ${column}) * 1000)::float8`;
}

/** The SQLSTATE of a server error, or undefined for anything the server did not send. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  // Node's network codes (EPIPE) can look like a SQLSTATE: five upper-case characters.
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || NETWORK_CODES.has(code)) return undefined;
  return code;
}

/** True when `err` was sent by the server with a SQLSTATE (so the connection itself is fine). */
export function hasSqlState(err: unknown): boolean {
  return sqlState(err) !== undefined;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** What `pg` says, without a code, when a connection dies or cannot be made. */
const CONNECTION_MESSAGE = /connection terminated|connection error|not queryable|timeout exceeded when trying to connect|socket|connection ended/i;

/**
 * True when retrying later may succeed because the database was unreachable or shut down, as
 * opposed to rejecting the statement itself: connection failures (SQLSTATE class 08), server
 * shutdown (57P01–57P03), too many connections (53300), serialization failures and deadlocks,
 * network errors and timeouts. An error of any other kind will fail the same way again.
 */
export function isTransientDbError(err: unknown): boolean {
  if (isSluiceError(err)) return err.canRetry;
  const state = sqlState(err);
  if (state !== undefined) {
    return state.startsWith('08') || state.startsWith('57P') || state === '53300' || state === '40001' || state === '40P01';
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return err instanceof Error && CONNECTION_MESSAGE.test(err.message);
}
