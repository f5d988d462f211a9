import { timingSafeEqual } from 'node:crypto';
import { ApiKey } from '../../protocol/messages.ts';
import { KafkaError } from '../../protocol/error-codes.ts';
import type { Handler, BrokerNode } from '../node.ts';
import type { ConnectionState } from '../connection.ts';

const MECHANISMS = ['PLAIN'];

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
export function applyPlainToken(node: BrokerNode, conn: ConnectionState, token: Buffer): boolean {
  const principal = authenticatePlain(node.options.saslUsers, token);
  if (principal) {
    conn.principal = principal;
    node.logger.debug({ conn: conn.id, principal }, 'SASL/PLAIN authenticated');
    return true;
  }
  node.logger.info({ conn: conn.id, clientHost: conn.clientHost }, 'SASL/PLAIN authentication failed');
  return false;
}

/** SaslHandshake: v0 is followed by raw tokens, v1 by SaslAuthenticate. */
export const saslHandshake: Handler = {
  apiKey: ApiKey.SaslHandshake,
  versions: [0, 1],
  handle(node, ctx, req) {
    if (node.options.saslUsers === null) return { errorCode: KafkaError.ILLEGAL_SASL_STATE, mechanisms: [] };
    if (!MECHANISMS.includes(req.mechanism)) return { errorCode: KafkaError.UNSUPPORTED_SASL_MECHANISM, mechanisms: MECHANISMS };
    ctx.conn.saslMechanism = req.mechanism;
    if (ctx.apiVersion === 0) ctx.conn.rawSaslNext = true;
    return { errorCode: KafkaError.NONE, mechanisms: MECHANISMS };
  },
};

/** SaslAuthenticate (KIP-152): a failed attempt is answered, then the connection is closed. */
export const saslAuthenticate: Handler = {
  apiKey: ApiKey.SaslAuthenticate,
  versions: [0, 2],
  handle(node, ctx, req) {
    if (ctx.conn.saslMechanism === null) {
      ctx.conn.closeAfterResponse = true;
      return { errorCode: KafkaError.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate before SaslHandshake', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    if (!applyPlainToken(node, ctx.conn, req.authBytes)) {
      ctx.conn.closeAfterResponse = true;
      return { errorCode: KafkaError.SASL_AUTHENTICATION_FAILED, errorMessage: 'Authentication failed: Invalid username or password', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    return { errorCode: KafkaError.NONE, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
  },
};
