/**
 * Client quota configuration as the bundled broker stores it (KIP-546): values keyed by an entity
 * made of user / client-id / ip components, each either a name or the default (null).
 * Enforcement reads these through `lookup` with Kafka's precedence (src/kafka/quota.ts).
 */
import { QuotaTable, type EntityComponent, type QuotaEntry } from '../quota.ts';

const ENTITY_TYPES = ['user', 'client-id', 'ip'] as const;

/** DescribeClientQuotas match types. */
export const MatchType = { EXACT: 0, DEFAULT: 1, SPECIFIED: 2 } as const;

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
export class ClientQuotaStore extends QuotaTable {
  /** Bumped on every change, so enforcement can cache lookups. */
  version = 0;

  /** Applies one entity's ops (set or remove). */
  override alter(entity: readonly EntityComponent[], ops: readonly { key: string; value: number; remove: boolean }[]): void {
    super.alter(entity, ops);
    this.version++;
  }

  /** Entries matching DescribeClientQuotas filter components. */
  describe(components: readonly { entityType: string; matchType: number; match: string | null }[], strict: boolean): QuotaEntry[] {
    return [...this.entries()].filter((e) => {
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
}
