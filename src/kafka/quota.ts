/**
 * Client quotas as Kafka defines them (KIP-546), the one vocabulary the admin client, the bundled
 * broker, the collectors and the throttle loop share: entities made of user / client-id / ip
 * components (each a name, or the default entity), the quota keys, an entity's key as Kafka's
 * tools print it, and the precedence by which a quota applies to a client.
 */

/** One component of a quota entity as the protocol carries it; name null is the default entity. */
export interface EntityComponent {
  readonly entityType: string;
  readonly entityName: string | null;
}

/** One component of a user / client-id quota entity; name null is the default entity. */
export interface QuotaEntityComponent extends EntityComponent {
  readonly entityType: 'user' | 'client-id';
}

/** One configured quota entity and its values. */
export interface ClientQuotaEntry { readonly entity: readonly QuotaEntityComponent[]; readonly values: Readonly<Record<string, number>> }

/** One change: set `value`, or remove the key with `value: null`. */
export interface ClientQuotaAlteration { readonly entity: readonly QuotaEntityComponent[]; readonly key: string; readonly value: number | null }

/** Quota keys Kafka accepts for user and client-id entities. */
export const CLIENT_QUOTA_KEYS: ReadonlySet<string> = new Set(['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate']);
/** Quota key Kafka accepts for ip entities. */
export const IP_QUOTA_KEYS: ReadonlySet<string> = new Set(['connection_creation_rate']);
/** Kafka's default quota.window.num: samples in a client quota window. */
export const KAFKA_QUOTA_WINDOW_NUM = 11;
/** Kafka's default quota.window.size.seconds: the length of one sample. */
export const KAFKA_QUOTA_WINDOW_SIZE_SECONDS = 1;
/** The byte-rate quota key of each direction of client traffic. */
export const QUOTA_KEY = { produce: 'producer_byte_rate', consume: 'consumer_byte_rate' } as const;

/** The entity as Kafka's tools print it: `user=alice,client-id=etl` (`<default>` for a default entity). */
export function entityKey(entity: readonly EntityComponent[]): string {
  return entity.map((c) => `${c.entityType}=${c.entityName ?? '<default>'}`).join(',');
}

/**
 * The entities whose quota may apply to a (user, client-id) pair, first match wins, with Kafka's
 * precedence (https://kafka.apache.org/documentation/#design_quotasconfig): user+client-id,
 * user+default client-id, user, default user+client-id, default user+default client-id, default
 * user, client-id, default client-id.
 */
export function quotaPrecedence(user: string, clientId: string): QuotaEntityComponent[][] {
  const U = (n: string | null): QuotaEntityComponent => ({ entityType: 'user', entityName: n });
  const C = (n: string | null): QuotaEntityComponent => ({ entityType: 'client-id', entityName: n });
  return [
    [U(user), C(clientId)], [U(user), C(null)], [U(user)],
    [U(null), C(clientId)], [U(null), C(null)], [U(null)],
    [C(clientId)], [C(null)],
  ];
}

/** A stored entity with its values. */
export interface QuotaEntry {
  readonly entity: readonly EntityComponent[];
  readonly values: Map<string, number>;
}

/**
 * Quota values by entity. An entity is the same whatever the order of its components, and names
 * are compared exactly (a name may hold `,` or `=`, or read `<default>`).
 */
export class QuotaTable {
  private readonly byEntity = new Map<string, QuotaEntry>();

  /** A table holding `entries` (DescribeClientQuotas answers). */
  static of(entries: readonly ClientQuotaEntry[]): QuotaTable {
    const table = new QuotaTable();
    for (const e of entries) table.alter(e.entity, Object.entries(e.values).map(([key, value]) => ({ key, value, remove: false })));
    return table;
  }

  /** Applies one entity's ops (set or remove); an entity left without values is dropped. */
  alter(entity: readonly EntityComponent[], ops: readonly { key: string; value: number; remove: boolean }[]): void {
    const k = identity(entity);
    const entry = this.byEntity.get(k) ?? { entity: entity.map((c) => ({ ...c })), values: new Map<string, number>() };
    for (const op of ops) {
      if (op.remove) entry.values.delete(op.key);
      else entry.values.set(op.key, op.value);
    }
    if (entry.values.size === 0) this.byEntity.delete(k);
    else this.byEntity.set(k, entry);
  }

  /** Every entity with values. */
  entries(): IterableIterator<QuotaEntry> {
    return this.byEntity.values();
  }

  /** The value stored for exactly this entity and key, if any. */
  get(entity: readonly EntityComponent[], key: string): number | undefined {
    return this.byEntity.get(identity(entity))?.values.get(key);
  }

  /** The quota that applies to a (user, client-id) pair by Kafka's precedence, and the entity it came from. */
  lookup(user: string, clientId: string, key: string): { value: number; entity: readonly QuotaEntityComponent[] } | undefined {
    for (const entity of quotaPrecedence(user, clientId)) {
      const v = this.get(entity, key);
      if (v !== undefined) return { value: v, entity };
    }
    return undefined;
  }
}

/** An entity's exact identity, components in type order. */
function identity(entity: readonly EntityComponent[]): string {
  return JSON.stringify([...entity].sort((a, b) => (a.entityType < b.entityType ? -1 : a.entityType > b.entityType ? 1 : 0)).map((c) => [c.entityType, c.entityName]));
}
