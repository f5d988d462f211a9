/**
 * Client quota configuration as Kafka stores it (KIP-546): values keyed by an entity made of
 * user / client-id / ip components, each either a name or the default (null). Enforcement reads
 * these through `lookup` with Kafka's precedence.
 */

/** Quota keys Kafka accepts for user and client-id entities. */
export const CLIENT_QUOTA_KEYS = new Set(['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate']);
/** Quota key Kafka accepts for ip entities. */
export const IP_QUOTA_KEYS = new Set(['connection_creation_rate']);
const ENTITY_TYPES = ['user', 'client-id', 'ip'] as const;

/** One component of a quota entity; name null is the default entity. */
export interface EntityComponent {
  readonly entityType: string;
  readonly entityName: string | null;
}

/** A stored entity with its values. */
export interface QuotaEntry {
  readonly entity: readonly EntityComponent[];
  readonly values: Map<string, number>;
}

/** DescribeClientQuotas match types. */
export const MatchType = { EXACT: 0, DEFAULT: 1, SPECIFIED: 2 } as const;

function entityKey(entity: readonly EntityComponent[]): string {
  return [...entity]
    .sort((a, b) => a.entityType.localeCompare(b.entityType))
    .map((c) => `${c.entityType}=${c.entityName === null ? '<default>' : encodeURIComponent(c.entityName)}`)
    .join(',');
}

/** Why an entity is not valid, or null. */
export function entityError(entity: readonly EntityComponent[]): string | null {
  if (entity.length === 0) return 'Invalid empty client quota entity';
  const seen = new Set<string>();
  for (const c of entity) {
    if (!(ENTITY_TYPES as readonly string[]).includes(c.entityType)) return `Unhandled client quota entity type: ${c.entityType}`;
    if (seen.has(c.entityType)) return `Duplicate ${c.entityType} component in entity`;
    seen.add(c.entityType);
  }
  if (seen.has('ip') && seen.size > 1) return 'Invalid quota entity combination, IP entity should not be combined with User or ClientId entity';
  return null;
}

/** The broker's client quota configuration. */
export class ClientQuotaStore {
  private readonly entries = new Map<string, QuotaEntry>();
  /** Bumped on every change, so enforcement can cache lookups. */
  version = 0;

  /** Applies one entity's ops (set or remove). */
  alter(entity: readonly EntityComponent[], ops: readonly { key: string; value: number; remove: boolean }[]): void {
    const k = entityKey(entity);
    let entry = this.entries.get(k);
    if (!entry) entry = { entity: entity.map((c) => ({ ...c })), values: new Map() };
    for (const op of ops) {
      if (op.remove) entry.values.delete(op.key);
      else entry.values.set(op.key, op.value);
    }
    if (entry.values.size === 0) this.entries.delete(k);
    else this.entries.set(k, entry);
    this.version++;
  }

  /** Entries matching DescribeClientQuotas filter components. */
  describe(components: readonly { entityType: string; matchType: number; match: string | null }[], strict: boolean): QuotaEntry[] {
    return [...this.entries.values()].filter((e) => {
      for (const f of components) {
        const c = e.entity.find((x) => x.entityType === f.entityType);
        if (f.matchType === MatchType.EXACT) {
          if (!c || c.entityName !== f.match) return false;
        } else if (f.matchType === MatchType.DEFAULT) {
          if (!c || c.entityName !== null) return false;
        } else if (!c) return false;
      }
      if (strict && e.entity.length !== components.length) return false;
      return true;
    });
  }

  /** The value stored for exactly this entity and key, if any. */
  get(entity: readonly EntityComponent[], key: string): number | undefined {
    return this.entries.get(entityKey(entity))?.values.get(key);
  }

  /**
   * The quota that applies to a (user, client-id) pair, with Kafka's precedence
   * (https://kafka.apache.org/documentation/#design_quotasconfig):
   * user+client-id, user+default client-id, user, default user+client-id,
   * default user+default client-id, default user, client-id, default client-id.
   * Returns the value and the entity it came from, or undefined when no quota applies.
   */
  lookup(user: string, clientId: string, key: string): { value: number; entity: readonly EntityComponent[] } | undefined {
    const U = (n: string | null): EntityComponent => ({ entityType: 'user', entityName: n });
    const C = (n: string | null): EntityComponent => ({ entityType: 'client-id', entityName: n });
    const order: EntityComponent[][] = [
      [U(user), C(clientId)], [U(user), C(null)], [U(user)],
      [U(null), C(clientId)], [U(null), C(null)], [U(null)],
      [C(clientId)], [C(null)],
    ];
    for (const entity of order) {
      const v = this.get(entity, key);
      if (v !== undefined) return { value: v, entity };
    }
    return undefined;
  }
}
