/**
 * Plans and executions in the database (migration 010), through the `Db` seam, so PostgreSQL and
 * PGlite alike: plans with their evidence and explanation; executions with each move's state, the
 * throttle sizing, the throttle configs that may be set in the cluster, the process running each
 * (owner and heartbeat) and what a person asked of it. Strings from Kafka are stored by the label
 * value rule (src/store/labels.ts).
 */
import { SluiceError } from '../../errors.ts';
import { jsonFromStore, labelValueFromStore, storedJson, storedLabelValue } from '../../store/labels.ts';
import { msOf, sqlState, toTimestamp } from '../../store/sql.ts';
import type { Db, Queryable } from '../../store/types.ts';
import type { Plan } from '../result.ts';
import { ACTIVE_STATES, NO_THROTTLE, type AppliedThrottle, type ExecutionRecord, type ExecutionRequest, type ExecutionState, type MoveRecord, type MoveState, type ThrottleSizing } from './types.ts';

/** planned → executing → executed, or cancelled / failed. */
export type PlanState = 'planned' | 'executing' | 'executed' | 'cancelled' | 'failed';

/** A plan as stored. */
export interface StoredPlan {
  readonly id: number;
  readonly cluster: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly mode: string;
  readonly state: PlanState;
  readonly plan: Plan;
  readonly evidence: Record<string, unknown>;
  readonly explanation: string;
}

/** A plan to store. */
export type PlanInput = Omit<StoredPlan, 'id' | 'state'>;

/** Fields of an execution a round changes. */
export interface ExecutionPatch {
  readonly state?: ExecutionState;
  /** The request acted on: cleared unless another came meanwhile. */
  readonly handled?: ExecutionRequest;
  readonly sizing?: ThrottleSizing;
  readonly applied?: AppliedThrottle;
  readonly blocked?: string | null;
  readonly error?: string | null;
  readonly finishedAt?: number;
  readonly throttleOverride?: number | null;
}

const PLAN_COLUMNS = `id::float8 AS id, cluster, ${msOf('created_at')} AS created_at, created_by, mode, state, plan, evidence, explanation`;
const EXEC_COLUMNS = `id::float8 AS id, plan_id::float8 AS plan_id, cluster, state, requested, started_by, ${msOf('started_at')} AS started_at, ${msOf('updated_at')} AS updated_at,
  ${msOf('finished_at')} AS finished_at, owner, ${msOf('heartbeat_at')} AS heartbeat_at, throttle_override, sizing, applied, blocked, error`;
const MOVE_COLUMNS = `seq, topic, partition, replicas_before, replicas_after, leader_before, bytes, state, ${msOf('started_at')} AS started_at, ${msOf('finished_at')} AS finished_at, error`;

type PlanRow = { id: number; cluster: string; created_at: number; created_by: string; mode: string; state: PlanState; plan: Plan; evidence: Record<string, unknown>; explanation: string };
type ExecRow = {
  id: number; plan_id: number; cluster: string; state: ExecutionState; requested: ExecutionRequest | null; started_by: string; started_at: number; updated_at: number;
  finished_at: number | null; owner: string | null; heartbeat_at: number | null; throttle_override: number | null; sizing: ThrottleSizing | null; applied: AppliedThrottle; blocked: string | null; error: string | null;
};
type MoveRow = { seq: number; topic: string; partition: number; replicas_before: number[]; replicas_after: number[]; leader_before: number; bytes: number; state: MoveState; started_at: number | null; finished_at: number | null; error: string | null };

const text = (s: string | null): string | null => (s === null ? null : labelValueFromStore(s));
const stored = (s: string | null | undefined): string | null => (s === null || s === undefined ? null : storedLabelValue(s));

function planOf(r: PlanRow): StoredPlan {
  return { id: r.id, cluster: r.cluster, createdAt: r.created_at, createdBy: r.created_by, mode: r.mode, state: r.state, plan: jsonFromStore(r.plan), evidence: jsonFromStore(r.evidence), explanation: labelValueFromStore(r.explanation) };
}

function moveOf(r: MoveRow): MoveRecord {
  return {
    seq: r.seq, topic: labelValueFromStore(r.topic), partition: r.partition, replicasBefore: r.replicas_before, replicasAfter: r.replicas_after, leaderBefore: r.leader_before,
    bytes: r.bytes, state: r.state, startedAt: r.started_at, finishedAt: r.finished_at, error: text(r.error),
  };
}

function executionOf(r: ExecRow, moves: MoveRecord[]): ExecutionRecord {
  return {
    id: r.id, planId: r.plan_id, cluster: r.cluster, state: r.state, requested: r.requested, startedBy: r.started_by, startedAt: r.started_at, updatedAt: r.updated_at,
    finishedAt: r.finished_at, owner: r.owner, heartbeatAt: r.heartbeat_at, throttleOverride: r.throttle_override, sizing: r.sizing === null ? null : jsonFromStore(r.sizing),
    applied: jsonFromStore(r.applied), blocked: text(r.blocked), error: text(r.error), moves,
  };
}

/** The balance tables. */
export class BalanceStore {
  constructor(private readonly db: Db) {}

  /** Stores a plan as `planned`; returns its id. */
  async savePlan(p: PlanInput): Promise<number> {
    const res = await this.db.query<{ id: number }>(
      `INSERT INTO balance_plans (cluster, created_at, created_by, mode, state, plan, evidence, explanation) VALUES ($1, $2, $3, $4, 'planned', $5::jsonb, $6::jsonb, $7) RETURNING id::float8 AS id`,
      [p.cluster, toTimestamp(p.createdAt), p.createdBy, p.mode, storedJson(p.plan), storedJson(p.evidence), storedLabelValue(p.explanation)],
    );
    return res.rows[0]!.id;
  }

  async plan(id: number): Promise<StoredPlan | undefined> {
    const res = await this.db.query<PlanRow>(`SELECT ${PLAN_COLUMNS} FROM balance_plans WHERE id = $1`, [id]);
    return res.rows[0] === undefined ? undefined : planOf(res.rows[0]);
  }

  /** A cluster's plans, newest first. */
  async plans(cluster: string, limit = 20): Promise<StoredPlan[]> {
    const res = await this.db.query<PlanRow>(`SELECT ${PLAN_COLUMNS} FROM balance_plans WHERE cluster = $1 ORDER BY id DESC LIMIT $2`, [cluster, limit]);
    return res.rows.map(planOf);
  }

  async setPlanState(id: number, state: PlanState, q: Queryable = this.db): Promise<void> {
    await q.query('UPDATE balance_plans SET state = $2 WHERE id = $1', [id, state]);
  }

  /**
   * Starts an execution of a `planned` plan: the execution and its moves (all pending), the plan
   * marked `executing`, in one transaction. Throws SLUICE_ERR_BALANCE_NOT_FOUND,
   * SLUICE_ERR_BALANCE_STATE (the plan is not `planned`) or SLUICE_ERR_BALANCE_BUSY (the cluster
   * has an unfinished execution).
   */
  async createExecution(planId: number, cluster: string, by: string, at: number): Promise<ExecutionRecord> {
    try {
      const id = await this.db.tx(async (q) => {
        const found = await q.query<{ state: PlanState; plan: Plan; cluster: string }>('SELECT state, plan, cluster FROM balance_plans WHERE id = $1 FOR UPDATE', [planId]);
        const row = found.rows[0];
        if (row === undefined || row.cluster !== cluster) throw new SluiceError('SLUICE_ERR_BALANCE_NOT_FOUND', `plan ${planId}: no such plan for cluster "${cluster}"`);
        if (row.state !== 'planned') throw new SluiceError('SLUICE_ERR_BALANCE_STATE', `plan ${planId} is ${row.state}; only a planned plan can be executed (make a new plan)`);
        const exec = await q.query<{ id: number }>(
          `INSERT INTO balance_executions (plan_id, cluster, state, started_by, started_at, updated_at, applied) VALUES ($1, $2, 'running', $3, $4, $4, $5::jsonb) RETURNING id::float8 AS id`,
          [planId, cluster, by, toTimestamp(at), JSON.stringify(NO_THROTTLE)],
        );
        const execId = exec.rows[0]!.id;
        const plan = jsonFromStore(row.plan);
        for (const [seq, r] of plan.reassignments.entries()) {
          await q.query(
            `INSERT INTO balance_moves (execution_id, seq, topic, partition, replicas_before, replicas_after, leader_before, bytes, state) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, 'pending')`,
            [execId, seq, storedLabelValue(r.topic), r.partition, JSON.stringify(r.replicasBefore), JSON.stringify(r.replicasAfter), r.leaderBefore, r.bytes],
          );
        }
        await this.setPlanState(planId, 'executing', q);
        return execId;
      });
      return (await this.execution(id))!;
    } catch (err) {
      if (sqlState(err) === '23505') throw new SluiceError('SLUICE_ERR_BALANCE_BUSY', `cluster "${cluster}" already has an unfinished execution; cancel it or wait for it to end`, { cause: err });
      throw err;
    }
  }

  async execution(id: number): Promise<ExecutionRecord | undefined> {
    const res = await this.db.query<ExecRow>(`SELECT ${EXEC_COLUMNS} FROM balance_executions WHERE id = $1`, [id]);
    const row = res.rows[0];
    if (row === undefined) return undefined;
    const moves = await this.db.query<MoveRow>(`SELECT ${MOVE_COLUMNS} FROM balance_moves WHERE execution_id = $1 ORDER BY seq`, [id]);
    return executionOf(row, moves.rows.map(moveOf));
  }

  /** Ids of executions, newest first: of one cluster (or all), only unfinished ones when `active`. */
  async executionIds(filter: { readonly cluster?: string; readonly active?: boolean; readonly limit?: number } = {}): Promise<number[]> {
    const res = await this.db.query<{ id: number }>(
      `SELECT id::float8 AS id FROM balance_executions WHERE ($1::text IS NULL OR cluster = $1) AND (NOT $2::boolean OR state = ANY($3::text[])) ORDER BY id DESC LIMIT $4`,
      [filter.cluster ?? null, filter.active === true, [...ACTIVE_STATES], filter.limit ?? 20],
    );
    return res.rows.map((r) => r.id);
  }

  /**
   * Makes `owner` the process running execution `id` when nobody is, it already is, or the
   * owner was last heard of before `staleBefore`. True when `owner` now runs it.
   */
  async claim(id: number, owner: string, now: number, staleBefore: number): Promise<boolean> {
    const res = await this.db.query(
      `UPDATE balance_executions SET owner = $2, heartbeat_at = $3 WHERE id = $1 AND state = ANY($5::text[]) AND (owner IS NULL OR owner = $2 OR heartbeat_at IS NULL OR heartbeat_at < $4) RETURNING id`,
      [id, owner, toTimestamp(now), toTimestamp(staleBefore), [...ACTIVE_STATES]],
    );
    return res.rowCount > 0;
  }

  /** Lets go of execution `id` (another process may take it over at once). */
  async release(id: number, owner: string): Promise<void> {
    await this.db.query('UPDATE balance_executions SET owner = NULL WHERE id = $1 AND owner = $2', [id, owner]);
  }

  /** Records a round of `owner`: the heartbeat, the execution's fields and its moves, in one transaction. False when `owner` no longer runs it. */
  async record(id: number, owner: string, now: number, patch: ExecutionPatch, moves: readonly MoveRecord[] = []): Promise<boolean> {
    return this.db.tx(async (q) => {
      const sets = ['heartbeat_at = $3', 'updated_at = $3'];
      const params: unknown[] = [id, owner, toTimestamp(now)];
      const add = (column: string, value: unknown, cast = ''): void => {
        params.push(value);
        sets.push(`${column} = $${params.length}${cast}`);
      };
      if (patch.state !== undefined) add('state', patch.state);
      if (patch.handled !== undefined) {
        params.push(patch.handled);
        sets.push(`requested = CASE WHEN requested = $${params.length} THEN NULL ELSE requested END`);
      }
      if (patch.sizing !== undefined) add('sizing', storedJson(patch.sizing), '::jsonb');
      if (patch.applied !== undefined) add('applied', storedJson(patch.applied), '::jsonb');
      if (patch.blocked !== undefined) add('blocked', stored(patch.blocked));
      if (patch.error !== undefined) add('error', stored(patch.error));
      if (patch.finishedAt !== undefined) add('finished_at', toTimestamp(patch.finishedAt));
      if (patch.throttleOverride !== undefined) add('throttle_override', patch.throttleOverride);
      const res = await q.query(`UPDATE balance_executions SET ${sets.join(', ')} WHERE id = $1 AND owner = $2 RETURNING id`, params);
      if (res.rowCount === 0) return false;
      for (const m of moves) {
        await q.query(
          `UPDATE balance_moves SET state = $3, started_at = $4, finished_at = $5, error = $6 WHERE execution_id = $1 AND seq = $2`,
          [id, m.seq, m.state, m.startedAt === null ? null : toTimestamp(m.startedAt), m.finishedAt === null ? null : toTimestamp(m.finishedAt), stored(m.error)],
        );
      }
      return true;
    });
  }

  /**
   * Asks execution `id` to pause, resume or cancel (acted on by whichever process runs it), or
   * sets its throttle override (`rate`, bytes/s; null: back to headroom sizing). Throws
   * SLUICE_ERR_BALANCE_NOT_FOUND or SLUICE_ERR_BALANCE_STATE (finished).
   */
  async ask(id: number, what: ExecutionRequest | { readonly rate: number | null }, now: number): Promise<void> {
    const res = typeof what === 'string'
      ? await this.db.query(`UPDATE balance_executions SET requested = CASE WHEN requested = 'cancel' THEN requested ELSE $2 END, updated_at = $3 WHERE id = $1 AND state = ANY($4::text[]) RETURNING id`, [id, what, toTimestamp(now), [...ACTIVE_STATES]])
      : await this.db.query(`UPDATE balance_executions SET throttle_override = $2, updated_at = $3 WHERE id = $1 AND state = ANY($4::text[]) RETURNING id`, [id, what.rate, toTimestamp(now), [...ACTIVE_STATES]]);
    if (res.rowCount > 0) return;
    const found = await this.execution(id);
    if (found === undefined) throw new SluiceError('SLUICE_ERR_BALANCE_NOT_FOUND', `execution ${id}: no such execution`);
    throw new SluiceError('SLUICE_ERR_BALANCE_STATE', `execution ${id} is ${found.state}: it can no longer be changed`);
  }
}
