import { ApiKey } from '../../protocol/messages.ts';
import { KafkaError } from '../../protocol/error-codes.ts';
import { CLIENT_QUOTA_KEYS, IP_QUOTA_KEYS, type EntityComponent } from '../../quota.ts';
import { entityError } from '../quotas.ts';
import type { Handler } from '../node.ts';
import type { Message } from '../../protocol/codec.ts';

/** DescribeClientQuotas (KIP-546). */
export const describeClientQuotas: Handler = {
  apiKey: ApiKey.DescribeClientQuotas,
  versions: [0, 1],
  handle(node, _ctx, req) {
    const components = req.components as { entityType: string; matchType: number; match: string | null }[];
    for (const c of components) {
      if (!['user', 'client-id', 'ip'].includes(c.entityType) || c.matchType < 0 || c.matchType > 2) {
        return { throttleTimeMs: 0, errorCode: KafkaError.INVALID_REQUEST, errorMessage: `Invalid filter component ${c.entityType}/${c.matchType}`, entries: null };
      }
    }
    const entries = node.quotas.describe(components, req.strict === true).map((e) => ({
      entity: e.entity,
      values: [...e.values].map(([key, value]) => ({ key, value })),
    }));
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE, errorMessage: null, entries };
  },
};

function checkOps(entity: readonly EntityComponent[], ops: readonly { key: string; value: number; remove: boolean }[]): string | null {
  const isIp = entity.some((c) => c.entityType === 'ip');
  const allowed = isIp ? IP_QUOTA_KEYS : CLIENT_QUOTA_KEYS;
  for (const op of ops) {
    if (!allowed.has(op.key)) return `Invalid configuration key ${op.key}`;
    if (!op.remove && !(op.value > 0 && Number.isFinite(op.value))) return `Invalid value ${op.value} for ${op.key}: quotas must be positive`;
  }
  return null;
}

/** AlterClientQuotas (KIP-546): each entity is validated, then applied as a whole or not at all. */
export const alterClientQuotas: Handler = {
  apiKey: ApiKey.AlterClientQuotas,
  versions: [0, 1],
  handle(node, _ctx, req) {
    const entries = (req.entries as Message[]).map((e) => {
      const entity = e.entity as EntityComponent[];
      const ops = e.ops as { key: string; value: number; remove: boolean }[];
      const bad = entityError(entity);
      if (bad) return { errorCode: KafkaError.INVALID_REQUEST, errorMessage: bad, entity };
      const badOp = checkOps(entity, ops);
      if (badOp) return { errorCode: KafkaError.INVALID_REQUEST, errorMessage: badOp, entity };
      if (!req.validateOnly) {
        node.quotas.alter(entity, ops);
        node.logger.info({ entity, ops }, 'altered client quotas');
      }
      return { errorCode: KafkaError.NONE, errorMessage: null, entity };
    });
    return { throttleTimeMs: 0, entries };
  },
};
