/**
 * The decision log kept in memory, for replay: the same reads and writes as the SQL log
 * (src/throttle/audit.ts) without a database, so that a replayed loop has the memory the live one
 * has (cooldowns, baselines, pending recommendations expiring) and leaves nothing behind.
 */
import type { QuotaEntityComponent } from '../kafka/quota.ts';
import type { BaselineInput, CommitReceipt, Decision, DecisionFilter, DecisionInput, DecisionLog, PushRecord, RoundCommit } from './decision-log.ts';

/** Decisions and baselines in memory. */
export class MemoryDecisionLog implements DecisionLog {
  private readonly rows: Decision[] = [];
  private readonly baselineRows = new Map<string, { cluster: string; entity: QuotaEntityComponent[]; value: number | null }>();

  /** Every decision recorded, oldest first. */
  get all(): readonly Decision[] {
    return this.rows;
  }

  async commit(round: RoundCommit): Promise<CommitReceipt> {
    const ids = round.records.map((d) => this.record(d));
    for (const e of round.expiries) this.settle(e.id, 'expired', round.at, undefined, e.note);
    for (const s of round.supersedes) this.settle(s.id, 'expired', round.at, undefined, s.note(ids[s.by]!));
    return { ids, remembered: round.baselines.map((b) => this.remember(b)) };
  }

  async recordPush(push: PushRecord): Promise<void> {
    for (const id of push.ids) this.settle(id, push.error === undefined ? 'applied' : 'failed', push.at, push.by, push.error);
    if (push.rolledBack !== undefined) {
      const d = this.rows[push.rolledBack.of - 1];
      if (d !== undefined) this.rows[push.rolledBack.of - 1] = { ...d, rolledBackBy: push.rolledBack.by };
    }
    for (const b of push.forget) this.baselineRows.delete(`${b.cluster}|${b.entityKey}|${b.quotaKey}`);
    for (const b of push.remember) this.remember(b);
  }

  async get(id: number): Promise<Decision | undefined> {
    return this.rows[id - 1];
  }

  async list(filter: DecisionFilter = {}): Promise<Decision[]> {
    const out = this.rows.filter((d) =>
      (filter.cluster === undefined || d.cluster === filter.cluster) && (filter.entityKey === undefined || d.entityKey === filter.entityKey)
      && (filter.status === undefined || d.status === filter.status) && (filter.from === undefined || d.ts >= filter.from) && (filter.to === undefined || d.ts <= filter.to));
    out.sort((a, b) => b.ts - a.ts || b.id - a.id);
    return out.slice(0, filter.limit ?? 500);
  }

  async lastChanges(cluster: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const d of this.rows) {
      if (d.cluster !== cluster || d.status !== 'applied' || d.appliedAt === undefined) continue;
      const k = `${d.entityKey}|${d.quotaKey}`;
      out.set(k, Math.max(out.get(k) ?? -Infinity, d.appliedAt));
    }
    return out;
  }

  async baselines(cluster: string): Promise<Map<string, { entity: QuotaEntityComponent[]; value: number | null }>> {
    const out = new Map<string, { entity: QuotaEntityComponent[]; value: number | null }>();
    for (const [k, b] of this.baselineRows) if (b.cluster === cluster) out.set(k.slice(cluster.length + 1), { entity: b.entity, value: b.value });
    return out;
  }

  private record(d: DecisionInput): number {
    const id = this.rows.length + 1;
    this.rows.push({ ...d, id, appliedAt: d.status === 'applied' ? d.ts : undefined, rolledBackBy: undefined });
    return id;
  }

  private settle(id: number, status: 'applied' | 'failed' | 'expired', at: number, by?: string, error?: string): void {
    const d = this.rows[id - 1];
    if (d === undefined) return;
    const { error: _, ...rest } = d;
    this.rows[id - 1] = {
      ...rest, status, appliedAt: status === 'applied' ? at : d.appliedAt,
      ...(by === undefined ? {} : { appliedBy: by }), ...(error === undefined ? {} : { error }),
    };
  }

  private remember(b: BaselineInput): boolean {
    const k = `${b.cluster}|${b.entityKey}|${b.quotaKey}`;
    if (this.baselineRows.has(k)) return false;
    this.baselineRows.set(k, { cluster: b.cluster, entity: [...b.entity], value: b.value });
    return true;
  }
}
