import { ApiKey } from '../../protocol/messages.ts';
import { KafkaError } from '../../protocol/error-codes.ts';
import type { Handler } from '../node.ts';
import { applyPlainToken } from '../sasl.ts';

const MECHANISMS = ['PLAIN'];

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
    if (!applyPlainToken({ users: node.options.saslUsers, logger: node.logger }, ctx.conn, req.authBytes)) {
      ctx.conn.closeAfterResponse = true;
      return { errorCode: KafkaError.SASL_AUTHENTICATION_FAILED, errorMessage: 'Authentication failed: Invalid username or password', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    return { errorCode: KafkaError.NONE, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
  },
};
