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
import { describeBrokerConfigs } from '../kafka/admin-reassign.ts';
import { entityKey, KAFKA_QUOTA_WINDOW_NUM, KAFKA_QUOTA_WINDOW_SIZE_SECONDS, type ClientQuotaAlteration, type ClientQuotaEntry, type QuotaEntityComponent } from '../kafka/quota.ts';

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
  /**
   * The brokers' client quota window. Rejects when no broker says; absent where there are no
   * brokers to ask (Kafka's default, 11 s, is then assumed).
   */
  quotaWindow?(): Promise<QuotaWindowReading>;
}

/** The brokers' client quota window: quota.window.num × quota.window.size.seconds. */
export interface QuotaWindowReading {
  /** The longest over the brokers that answered, ms. */
  readonly ms: number;
  /** What each broker said, e.g. `broker 0: 11 × 1 s`. */
  readonly source: string;
}

/**
 * The quota window of each broker in `configs` (its quota.window.num and
 * quota.window.size.seconds; Kafka's defaults, 11 and 1, for either it does not report), the
 * longest taken. Undefined for none, or a value that is not a positive integer.
 */
export function quotaWindowOf(configs: ReadonlyMap<number, Readonly<Record<string, string>>>): QuotaWindowReading | undefined {
  let ms = 0;
  const parts: string[] = [];
  for (const [broker, c] of [...configs].sort((a, b) => a[0] - b[0])) {
    const num = Number(c['quota.window.num'] ?? KAFKA_QUOTA_WINDOW_NUM);
    const size = Number(c['quota.window.size.seconds'] ?? KAFKA_QUOTA_WINDOW_SIZE_SECONDS);
    if (!Number.isInteger(num) || !Number.isInteger(size) || num < 1 || size < 1) return undefined;
    ms = Math.max(ms, num * size * 1000);
    parts.push(`broker ${broker}: ${num} × ${size} s`);
  }
  return parts.length === 0 ? undefined : { ms, source: parts.join(', ') };
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

  async quotaWindow(): Promise<QuotaWindowReading> {
    const brokers = (await this.admin.metadata()).brokers.map((b) => b.id);
    const { value, errors } = await describeBrokerConfigs(this.admin, brokers, ['quota.window.num', 'quota.window.size.seconds']);
    const window = quotaWindowOf(value);
    if (window === undefined) {
      const said = [...value].map(([b, c]) => `broker ${b}: ${JSON.stringify(c)}`);
      throw new Error(`no broker reported a usable quota window${said.length > 0 ? ` (${said.join('; ')})` : ''}${errors.length > 0 ? `: ${errors.map((e) => e.message).join('; ')}` : ''}`);
    }
    return window;
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
