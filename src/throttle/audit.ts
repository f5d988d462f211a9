/**
 * The decision log in the database (tables of migration 004), the `DecisionLog` of the live
 * service: every decision with its evidence and outcome, and the operators' baseline quotas. A
 * round's plan is committed in one transaction, and so is each push's outcome. Reads give the API
 * its history and give the loop back its memory after a restart (pending recommendations, when
 * each entity last changed, baselines).
 * User names and client ids are free-form: they are stored by the rule label values are
 * (`storedLabelValue`, src/store/labels.ts), so that a client id holding NUL is recorded too;
 * the indexes on entity keys hold their md5 (migration 007), so that a 32 KiB one fits.
 */
import type { QuotaEntityComponent } from '../kafka/quota.ts';
import { jsonFromStore, labelValueFromStore, storedJson, storedLabelValue } from '../store/labels.ts';
import { msOf, toTimestamp } from '../store/sql.ts';
import type { Db, Queryable } from '../store/types.ts';
import type { BaselineInput, CommitReceipt, Decision, DecisionFilter, DecisionInput, DecisionLog, DecisionStatus, PushRecord, RoundCommit, RoundNote, RoundRun } from './decision-log.ts';

export type { Decision, DecisionInput, DecisionStatus } from './decision-log.ts';

interface Row {
  id: number; ts: number; cluster: string; entity: QuotaEntityComponent[]; entity_key: string; quota_key: string; mode: string; state: string;
  old_value: number | null; proposed: number | null; new_value: number | null; status: DecisionStatus; applied_by: string | null; applied_at: number | null;
  rolled_back_by: number | null; rollback_of: number | null; reason: string; evidence: Record<string, unknown>; error: string | null;
}

const COLUMNS = `id::float8 AS id, ${msOf('ts')} AS ts, cluster, entity, entity_key, quota_key, mode, state, old_value, proposed, new_value, status,
  applied_by, ${msOf('applied_at')} AS applied_at, rolled_back_by::float8 AS rolled_back_by, rollback_of::float8 AS rollback_of, reason, evidence, error`;

function fromRow(r: Row): Decision {
  return {
    id: r.id, ts: r.ts, cluster: r.cluster, entity: jsonFromStore(r.entity), entityKey: labelValueFromStore(r.entity_key), quotaKey: r.quota_key, mode: r.mode, state: r.state,
    oldValue: r.old_value ?? undefined, proposed: r.proposed, newValue: r.new_value, status: r.status,
    ...(r.applied_by === null ? {} : { appliedBy: r.applied_by }), appliedAt: r.applied_at ?? undefined, rolledBackBy: r.rolled_back_by ?? undefined,
    ...(r.rollback_of === null ? {} : { rollbackOf: r.rollback_of }), reason: labelValueFromStore(r.reason), evidence: jsonFromStore(r.evidence), ...(r.error === null ? {} : { error: labelValueFromStore(r.error) }),
  };
}

/** Writes of one decision or baseline, on a connection or inside a transaction. */
async function insertDecision(q: Queryable, d: DecisionInput): Promise<number> {
  const applied = d.status === 'applied' ? toTimestamp(d.ts) : null;
  const result = await q.query<{ id: number }>(
    `INSERT INTO quota_decisions (ts, cluster, entity, entity_key, quota_key, mode, state, old_value, proposed, new_value, status, applied_by, applied_at, rollback_of, reason, evidence, error)
     VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17) RETURNING id::float8 AS id`,
    [toTimestamp(d.ts), d.cluster, storedJson(d.entity), storedLabelValue(d.entityKey), d.quotaKey, d.mode, d.state, d.oldValue ?? null, d.proposed, d.newValue ?? null, d.status,
      d.appliedBy ?? null, applied, d.rollbackOf ?? null, storedLabelValue(d.reason), storedJson(d.evidence), d.error === undefined ? null : storedLabelValue(d.error)],
  );
  return result.rows[0]!.id;
}

async function settleDecision(q: Queryable, id: number, status: 'applied' | 'failed' | 'expired', at: number, by?: string, error?: string): Promise<void> {
  await q.query(
    `UPDATE quota_decisions SET status = $2, applied_at = CASE WHEN $2 = 'applied' THEN $3::timestamptz ELSE applied_at END, applied_by = coalesce($4, applied_by), error = $5 WHERE id = $1`,
    [id, status, toTimestamp(at), by ?? null, error === undefined ? null : storedLabelValue(error)],
  );
}

async function insertBaseline(q: Queryable, b: BaselineInput, at: number): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO quota_baselines (cluster, entity_key, quota_key, entity, value, recorded_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6) ON CONFLICT DO NOTHING`,
    [b.cluster, storedLabelValue(b.entityKey), b.quotaKey, storedJson(b.entity), b.value, toTimestamp(at)],
  );
  return r.rowCount === 1;
}

async function deleteBaseline(q: Queryable, cluster: string, entityKey: string, quotaKey: string): Promise<void> {
  await q.query('DELETE FROM quota_baselines WHERE cluster = $1 AND md5(entity_key) = md5($2) AND entity_key = $2 AND quota_key = $3', [cluster, storedLabelValue(entityKey), quotaKey]);
}

/** The decision log in PostgreSQL (or PGlite): each commit and each push record is one transaction. */
export class DecisionStore implements DecisionLog {
  constructor(private readonly db: Queryable & Pick<Db, 'tx'>) {}

  async commit(round: RoundCommit): Promise<CommitReceipt> {
    return this.db.tx(async (q) => {
      const ids: number[] = [];
      for (const d of round.records) ids.push(await insertDecision(q, d));
      for (const e of round.expiries) await settleDecision(q, e.id, 'expired', round.at, undefined, e.note);
      for (const s of round.supersedes) await settleDecision(q, s.id, 'expired', round.at, undefined, s.note(ids[s.by]!));
      const remembered: boolean[] = [];
      for (const b of round.baselines) remembered.push(await insertBaseline(q, b, round.at));
      return { ids, remembered };
    });
  }

  async recordPush(push: PushRecord): Promise<void> {
    await this.db.tx(async (q) => {
      for (const id of push.ids) await settleDecision(q, id, push.error === undefined ? 'applied' : 'failed', push.at, push.by, push.error);
      if (push.rolledBack !== undefined) await q.query('UPDATE quota_decisions SET rolled_back_by = $2 WHERE id = $1', [push.rolledBack.of, push.rolledBack.by]);
      for (const b of push.forget) await deleteBaseline(q, b.cluster, b.entityKey, b.quotaKey);
      for (const b of push.remember) await insertBaseline(q, b, push.at);
    });
  }

  async recordRound(round: RoundNote): Promise<void> {
    const explanation = storedLabelValue(round.explanation);
    await this.db.tx(async (q) => {
      const last = await q.query<{ id: number; state: string; explanation: string }>(
        'SELECT id, state, explanation FROM throttle_rounds WHERE cluster = $1 ORDER BY id DESC LIMIT 1 FOR UPDATE', [round.cluster]);
      const row = last.rows[0];
      if (row !== undefined && row.state === round.state && row.explanation === explanation) {
        await q.query('UPDATE throttle_rounds SET last_at = $2, rounds = rounds + 1 WHERE id = $1', [row.id, toTimestamp(round.at)]);
        return;
      }
      await q.query('INSERT INTO throttle_rounds (cluster, first_at, last_at, rounds, state, explanation) VALUES ($1, $2, $2, 1, $3, $4)',
        [round.cluster, toTimestamp(round.at), round.state, explanation]);
    });
  }

  async rounds(cluster: string, limit: number): Promise<RoundRun[]> {
    const r = await this.db.query<{ cluster: string; first_at: number; last_at: number; rounds: number; state: string; explanation: string }>(
      `SELECT cluster, ${msOf('first_at')} AS first_at, ${msOf('last_at')} AS last_at, rounds, state, explanation FROM throttle_rounds WHERE cluster = $1 ORDER BY id DESC LIMIT $2`,
      [cluster, limit]);
    return r.rows.map((x) => ({ cluster: x.cluster, firstAt: Number(x.first_at), lastAt: Number(x.last_at), rounds: Number(x.rounds), state: x.state, explanation: labelValueFromStore(x.explanation) }));
  }

  /** Stores one decision outside a round (a reset); returns its id. */
  record(d: DecisionInput): Promise<number> {
    return insertDecision(this.db, d);
  }

  /** Marks a pending decision applied, failed (with the error) or expired. */
  settle(id: number, status: 'applied' | 'failed' | 'expired', at: number, by?: string, error?: string): Promise<void> {
    return settleDecision(this.db, id, status, at, by, error);
  }

  /** One decision, or undefined. */
  async get(id: number): Promise<Decision | undefined> {
    const r = await this.db.query<Row>(`SELECT ${COLUMNS} FROM quota_decisions WHERE id = $1`, [id]);
    return r.rows[0] === undefined ? undefined : fromRow(r.rows[0]);
  }

  /** Decisions newest first, filtered. */
  async list(filter: DecisionFilter = {}): Promise<Decision[]> {
    const r = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM quota_decisions
        WHERE ($1::text IS NULL OR cluster = $1) AND ($2::text IS NULL OR (md5(entity_key) = md5($2) AND entity_key = $2)) AND ($3::text IS NULL OR status = $3)
          AND ($4::timestamptz IS NULL OR ts >= $4) AND ($5::timestamptz IS NULL OR ts <= $5)
        ORDER BY ts DESC, id DESC LIMIT $6`,
      [filter.cluster ?? null, filter.entityKey === undefined ? null : storedLabelValue(filter.entityKey), filter.status ?? null, filter.from === undefined ? null : toTimestamp(filter.from), filter.to === undefined ? null : toTimestamp(filter.to), filter.limit ?? 500],
    );
    return r.rows.map(fromRow);
  }

  async lastChanges(cluster: string): Promise<Map<string, number>> {
    const r = await this.db.query<{ entity_key: string; quota_key: string; ts: number }>(
      `SELECT entity_key, quota_key, ${msOf('max(applied_at)')} AS ts FROM quota_decisions WHERE cluster = $1 AND status = 'applied' GROUP BY 1, 2`,
      [cluster],
    );
    return new Map(r.rows.map((x) => [`${labelValueFromStore(x.entity_key)}|${x.quota_key}`, x.ts]));
  }

  async episodeChanges(cluster: string): Promise<Map<string, number>> {
    const r = await this.db.query<{ entity_key: string; quota_key: string; n: number | string }>(
      `SELECT b.entity_key, b.quota_key, count(d.id) AS n FROM quota_baselines b
         LEFT JOIN quota_decisions d ON d.cluster = b.cluster AND md5(d.entity_key) = md5(b.entity_key) AND d.entity_key = b.entity_key
          AND d.quota_key = b.quota_key AND d.status = 'applied' AND d.applied_at >= b.recorded_at
        WHERE b.cluster = $1 GROUP BY 1, 2`,
      [cluster],
    );
    return new Map(r.rows.map((x) => [`${labelValueFromStore(x.entity_key)}|${x.quota_key}`, Number(x.n)]));
  }

  async episodeDemand(cluster: string): Promise<Map<string, number>> {
    const r = await this.db.query<{ entity_key: string; quota_key: string; demand: number | null }>(
      `SELECT b.entity_key, b.quota_key,
              CASE WHEN bool_or(coalesce((d.evidence->'demand'->>'lowerBound')::boolean, false)) THEN NULL
                   ELSE max((d.evidence->'demand'->>'demand')::float8) END AS demand
         FROM quota_baselines b
         JOIN quota_decisions d ON d.cluster = b.cluster AND md5(d.entity_key) = md5(b.entity_key) AND d.entity_key = b.entity_key
          AND d.quota_key = b.quota_key AND d.status = 'applied' AND d.applied_at >= b.recorded_at
        WHERE b.cluster = $1 GROUP BY 1, 2`,
      [cluster],
    );
    return new Map(r.rows.filter((x) => x.demand !== null && Number.isFinite(Number(x.demand))).map((x) => [`${labelValueFromStore(x.entity_key)}|${x.quota_key}`, Number(x.demand)]));
  }

  async baselines(cluster: string): Promise<Map<string, { entity: QuotaEntityComponent[]; value: number | null }>> {
    const r = await this.db.query<{ entity_key: string; quota_key: string; entity: QuotaEntityComponent[]; value: number | null }>(
      `SELECT entity_key, quota_key, entity, value FROM quota_baselines WHERE cluster = $1`, [cluster]);
    return new Map(r.rows.map((x) => [`${labelValueFromStore(x.entity_key)}|${x.quota_key}`, { entity: jsonFromStore(x.entity), value: x.value }]));
  }

  /** Remembers the operator's value before Sluice's first change (kept if already known); true when it was not known. */
  rememberBaseline(cluster: string, entity: readonly QuotaEntityComponent[], entityKey: string, quotaKey: string, value: number | null, at: number): Promise<boolean> {
    return insertBaseline(this.db, { cluster, entity, entityKey, quotaKey, value }, at);
  }

  /** Forgets a baseline once it has been restored. */
  forgetBaseline(cluster: string, entityKey: string, quotaKey: string): Promise<void> {
    return deleteBaseline(this.db, cluster, entityKey, quotaKey);
  }
}
