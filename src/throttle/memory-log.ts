/**
 * The decision log kept in memory, for replay: the same reads and writes as the SQL log
 * (src/throttle/audit.ts) without a database, so that a replayed loop has the memory the live one
 * has (cooldowns, baselines, pending recommendations expiring) and leaves nothing behind.
 */
import type { QuotaEntityComponent } from '../kafka/quota.ts';
import type { BaselineInput, CommitReceipt, Decision, DecisionFilter, DecisionInput, DecisionLog, PushRecord, RoundCommit, RoundNote, RoundRun } from './decision-log.ts';

/** Decisions and baselines in memory. */
export class MemoryDecisionLog implements DecisionLog {
  private readonly rows: Decision[] = [];
  private readonly runs: RoundRun[] = [];
  private readonly baselineRows = new Map<string, { cluster: string; entity: QuotaEntityComponent[]; value: number | null; at: number }>();

  /** Every decision recorded, oldest first. */
  get all(): readonly Decision[] {
    return this.rows;
  }

  async commit(round: RoundCommit): Promise<CommitReceipt> {
    const ids = round.records.map((d) => this.record(d));
    for (const e of round.expiries) this.settle(e.id, 'expired', round.at, undefined, e.note);
    for (const s of round.supersedes) this.settle(s.id, 'expired', round.at, undefined, s.note(ids[s.by]!));
    return { ids, remembered: round.baselines.map((b) => this.remember(b, round.at)) };
  }

  async recordPush(push: PushRecord): Promise<void> {
    for (const id of push.ids) this.settle(id, push.error === undefined ? 'applied' : 'failed', push.at, push.by, push.error);
    if (push.rolledBack !== undefined) {
      const d = this.rows[push.rolledBack.of - 1];
      if (d !== undefined) this.rows[push.rolledBack.of - 1] = { ...d, rolledBackBy: push.rolledBack.by };
    }
    for (const b of push.forget) this.baselineRows.delete(`${b.cluster}|${b.entityKey}|${b.quotaKey}`);
    for (const b of push.remember) this.remember(b, push.at);
  }

  async recordRound(round: RoundNote): Promise<void> {
    let i = this.runs.length - 1;
    while (i >= 0 && this.runs[i]!.cluster !== round.cluster) i--;
    const last = this.runs[i];
    if (last !== undefined && last.explanation === round.explanation && last.state === round.state) {
      this.runs[i] = { ...last, lastAt: round.at, rounds: last.rounds + 1 };
      return;
    }
    this.runs.push({ cluster: round.cluster, firstAt: round.at, lastAt: round.at, rounds: 1, state: round.state, explanation: round.explanation });
  }

  async rounds(cluster: string, limit: number): Promise<RoundRun[]> {
    return this.runs.filter((r) => r.cluster === cluster).reverse().slice(0, limit);
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

  async episodeChanges(cluster: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [k, b] of this.baselineRows) {
      if (b.cluster !== cluster) continue;
      const key = k.slice(cluster.length + 1);
      out.set(key, this.rows.filter((d) => d.cluster === cluster && d.status === 'applied' && d.appliedAt !== undefined && d.appliedAt >= b.at && `${d.entityKey}|${d.quotaKey}` === key).length);
    }
    return out;
  }

  async episodeDemand(cluster: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [k, b] of this.baselineRows) {
      if (b.cluster !== cluster) continue;
      const key = k.slice(cluster.length + 1);
      const recorded = this.rows
        .filter((d) => d.cluster === cluster && d.status === 'applied' && d.appliedAt !== undefined && d.appliedAt >= b.at && `${d.entityKey}|${d.quotaKey}` === key)
        .map((d) => (d.evidence as { demand?: { demand?: unknown; lowerBound?: unknown } }).demand);
      if (recorded.some((x) => x?.lowerBound === true)) continue;
      const demands = recorded.map((x) => x?.demand).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
      if (demands.length > 0) out.set(key, Math.max(...demands));
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

  private remember(b: BaselineInput, at: number): boolean {
    const k = `${b.cluster}|${b.entityKey}|${b.quotaKey}`;
    if (this.baselineRows.has(k)) return false;
    this.baselineRows.set(k, { cluster: b.cluster, entity: [...b.entity], value: b.value, at });
    return true;
  }
}
