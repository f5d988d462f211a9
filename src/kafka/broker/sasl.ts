import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { ConnectionState } from './connection.ts';

/**
 * SASL/PLAIN credential checking, shared by the SaslAuthenticate handler and the raw tokens that
 * follow SaslHandshake v0 on the listener.
 */

/** The configured PLAIN users (name → password) and where outcomes are logged. */
export interface PlainAuth {
  readonly users: ReadonlyMap<string, string> | null;
  readonly logger: Logger;
}

/**
 * Checks a SASL/PLAIN token (RFC 4616: authzid NUL authcid NUL passwd) against the configured
 * users; returns the principal or null.
 */
export function authenticatePlain(users: ReadonlyMap<string, string> | null, token: Buffer): string | null {
  if (!users) return null;
  const parts = token.toString('utf8').split('\u0000');
  if (parts.length !== 3) return null;
  const [authzid, user, password] = parts as [string, string, string];
  if (authzid !== '' && authzid !== user) return null;
  const expected = users.get(user);
  if (expected === undefined) return null;
  const a = Buffer.from(password);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b) ? `User:${user}` : null;
}

/** Applies a PLAIN token to a connection; logs the outcome without the password. */
export function applyPlainToken(auth: PlainAuth, conn: ConnectionState, token: Buffer): boolean {
  const principal = authenticatePlain(auth.users, token);
  if (principal) {
    conn.principal = principal;
    auth.logger.debug({ conn: conn.id, principal }, 'SASL/PLAIN authenticated');
    return true;
  }
  auth.logger.info({ conn: conn.id, clientHost: conn.clientHost }, 'SASL/PLAIN authentication failed');
  return false;
}
