/**
 * The throttle loop's audit trail kept in memory, for replay: the same reads and writes as
 * `DecisionStore` (src/throttle/audit.ts) without a database, so that a replayed loop has the
 * memory the live one has (cooldowns, baselines, pending recommendations expiring) and leaves
 * nothing behind. `DecisionStore` is a class over SQL rather than an interface, so this extends
 * it and answers every method itself; the database it is given is never used.
 */
import type { QuotaEntityComponent } from '../kafka/admin.ts';
import type { Queryable } from '../store/types.ts';
import { DecisionStore, type Decision, type DecisionInput, type DecisionStatus } from '../throttle/audit.ts';

const NO_DATABASE: Queryable = {
  query: () => Promise.reject(new Error('the replay audit store has no database')),
  exec: () => Promise.reject(new Error('the replay audit store has no database')),
};

/** Decisions and baselines in memory. */
export class MemoryDecisionStore extends DecisionStore {
  private readonly rows: Decision[] = [];
  private readonly baselineRows = new Map<string, { cluster: string; entity: QuotaEntityComponent[]; value: number | null }>();

  constructor() {
    super(NO_DATABASE);
  }

  /** Every decision recorded, oldest first. */
  get all(): readonly Decision[] {
    return this.rows;
  }

  override async record(d: DecisionInput): Promise<number> {
    const id = this.rows.length + 1;
    this.rows.push({ ...d, id, appliedAt: d.status === 'applied' ? d.ts : undefined, rolledBackBy: undefined });
    return id;
  }

  override async settle(id: number, status: 'applied' | 'failed' | 'expired', at: number, by?: string, error?: string): Promise<void> {
    const d = this.rows[id - 1];
    if (d === undefined) return;
    const { error: _, ...rest } = d;
    this.rows[id - 1] = {
      ...rest, status, appliedAt: status === 'applied' ? at : d.appliedAt,
      ...(by === undefined ? {} : { appliedBy: by }), ...(error === undefined ? {} : { error }),
    };
  }

  override async markRolledBack(id: number, by: number): Promise<void> {
    const d = this.rows[id - 1];
    if (d !== undefined) this.rows[id - 1] = { ...d, rolledBackBy: by };
  }

  override async get(id: number): Promise<Decision | undefined> {
    return this.rows[id - 1];
  }

  override async list(filter: { cluster?: string; entityKey?: string; status?: DecisionStatus; from?: number; to?: number; limit?: number } = {}): Promise<Decision[]> {
    const out = this.rows.filter((d) =>
      (filter.cluster === undefined || d.cluster === filter.cluster) && (filter.entityKey === undefined || d.entityKey === filter.entityKey)
      && (filter.status === undefined || d.status === filter.status) && (filter.from === undefined || d.ts >= filter.from) && (filter.to === undefined || d.ts <= filter.to));
    out.sort((a, b) => b.ts - a.ts || b.id - a.id);
    return out.slice(0, filter.limit ?? 500);
  }

  override async lastChanges(cluster: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const d of this.rows) {
      if (d.cluster !== cluster || d.status !== 'applied' || d.appliedAt === undefined) continue;
      const k = `${d.entityKey}|${d.quotaKey}`;
      out.set(k, Math.max(out.get(k) ?? -Infinity, d.appliedAt));
    }
    return out;
  }

  override async baselines(cluster: string): Promise<Map<string, { entity: QuotaEntityComponent[]; value: number | null }>> {
    const out = new Map<string, { entity: QuotaEntityComponent[]; value: number | null }>();
    for (const [k, b] of this.baselineRows) if (b.cluster === cluster) out.set(k.slice(cluster.length + 1), { entity: b.entity, value: b.value });
    return out;
  }

  override async rememberBaseline(cluster: string, entity: readonly QuotaEntityComponent[], entityKey: string, quotaKey: string, value: number | null): Promise<boolean> {
    const k = `${cluster}|${entityKey}|${quotaKey}`;
    if (this.baselineRows.has(k)) return false;
    this.baselineRows.set(k, { cluster, entity: [...entity], value });
    return true;
  }

  override async forgetBaseline(cluster: string, entityKey: string, quotaKey: string): Promise<void> {
    this.baselineRows.delete(`${cluster}|${entityKey}|${quotaKey}`);
  }
}
