/**
 * The `QuotaActuator` seam: read and change client quotas on a cluster. The live loop uses the
 * Kafka admin client (DescribeClientQuotas / AlterClientQuotas, KIP-546); replay and tests use
 * the dry-run recorder, which keeps quotas in memory and records every change it was asked for.
 *
 * Contract: `alter` applies all changes or reports each refused one; it never throws because the
 * cluster refused or could not be reached (the errors say so), so the caller can audit exactly
 * what happened.
 */
import type { KafkaAdmin } from '../kafka/admin.ts';
import { entityKey, type ClientQuotaAlteration, type ClientQuotaEntry, type QuotaEntityComponent } from '../kafka/quota.ts';

/** What an alter call did. */
export interface AlterOutcome {
  /** Changes the cluster accepted. */
  readonly applied: number;
  /** One line per refused change or failure, naming the entity. */
  readonly errors: readonly string[];
}

/** Reads and changes client quotas. */
export interface QuotaActuator {
  describe(): Promise<readonly ClientQuotaEntry[]>;
  alter(changes: readonly ClientQuotaAlteration[]): Promise<AlterOutcome>;
}

/** The actuator over a cluster's admin client. */
export class KafkaQuotaActuator implements QuotaActuator {
  constructor(private readonly admin: KafkaAdmin) {}

  async describe(): Promise<readonly ClientQuotaEntry[]> {
    const { value, errors } = await this.admin.describeClientQuotas();
    if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('; '));
    return value;
  }

  async alter(changes: readonly ClientQuotaAlteration[]): Promise<AlterOutcome> {
    // Validate first: a change the brokers would refuse is refused as a whole, before anything moves.
    const check = await this.admin.alterClientQuotas(changes, true);
    if (check.errors.length > 0) return { applied: 0, errors: check.errors.map((e) => `${e.subject ?? 'request'}: ${e.message}`) };
    const done = await this.admin.alterClientQuotas(changes);
    return { applied: done.value, errors: done.errors.map((e) => `${e.subject ?? 'request'}: ${e.message}`) };
  }
}

/** Quotas kept in memory, every alter recorded: replay and tests. */
export class DryRunActuator implements QuotaActuator {
  private readonly quotas = new Map<string, { entity: readonly QuotaEntityComponent[]; values: Record<string, number> }>();
  /** Every change asked for, in order. */
  readonly changes: ClientQuotaAlteration[] = [];

  constructor(initial: readonly ClientQuotaEntry[] = []) {
    for (const e of initial) this.quotas.set(entityKey(e.entity), { entity: e.entity, values: { ...e.values } });
  }

  async describe(): Promise<readonly ClientQuotaEntry[]> {
    return [...this.quotas.values()].filter((q) => Object.keys(q.values).length > 0).map((q) => ({ entity: q.entity, values: { ...q.values } }));
  }

  async alter(changes: readonly ClientQuotaAlteration[]): Promise<AlterOutcome> {
    for (const c of changes) {
      this.changes.push(c);
      const key = entityKey(c.entity);
      const entry = this.quotas.get(key) ?? { entity: c.entity, values: {} };
      if (c.value === null) delete entry.values[c.key];
      else entry.values[c.key] = c.value;
      this.quotas.set(key, entry);
    }
    return { applied: changes.length, errors: [] };
  }
}
