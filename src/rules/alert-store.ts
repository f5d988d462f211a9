/**
 * Alert state in the database (table `alert_state`, migration 002), through the `Db` seam. After
 * each evaluation a group's alerts replace its rows; at start, rows updated within the outage
 * tolerance are read back, so that a restart keeps `for` progress and does not page a firing
 * alert again as new. Older rows are ignored: after a long outage nobody knows whether the
 * condition held meanwhile, and Prometheus (`--rules.alert.for-outage-tolerance`, 1 h) does the
 * same. A restored pending alert does not count the outage as time pending (`restoreActiveAt`).
 */
import { labelsFromStore, storedLabels } from '../store/labels.ts';
import type { Queryable } from '../store/types.ts';
import type { Alert, AlertState } from './alert-state.ts';

/** One stored alert: the rule (alert name) it belongs to, and its state. */
export interface StoredAlert {
  readonly rule: string;
  readonly fingerprint: string;
  readonly alert: Alert;
  /** When the row was last written (read back only; saving uses the evaluation time). */
  readonly updatedAt?: number;
}

/** Default outage tolerance: state last written more than 1 h ago is not restored. */
export const DEFAULT_OUTAGE_TOLERANCE_MS = 3_600_000;

const COLUMNS = ['active_at', 'fired_at', 'resolved_at', 'keep_firing_since', 'last_sent_at', 'valid_until'] as const;
const FIELDS = ['activeAt', 'firedAt', 'resolvedAt', 'keepFiringSince', 'lastSentAt', 'validUntil'] as const;

/** Replaces the stored alerts of group `groupKey` with `alerts`, as of `ts`, in one transaction-free statement pair. */
export async function saveGroupAlerts(db: Queryable, groupKey: string, alerts: readonly StoredAlert[], ts: number): Promise<void> {
  const rows = alerts.map(({ rule, fingerprint, alert }) => ({
    rule,
    fingerprint,
    state: alert.state,
    value: Number.isFinite(alert.value) ? alert.value : null,
    special: Number.isFinite(alert.value) ? null : String(alert.value),
    // Stored as series labels are (storedLabelValue): a label or an annotation made from a
    // client id may hold characters PostgreSQL refuses.
    labels: storedLabels(alert.labels),
    annotations: storedLabels(alert.annotations),
    ...Object.fromEntries(FIELDS.map((f, i) => [COLUMNS[i], alert[f] ?? null])),
  }));
  const keys = JSON.stringify(rows.map((r) => [r.rule, r.fingerprint]));
  await db.query(
    `DELETE FROM alert_state WHERE rule_group = $1
       AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements($2::jsonb) k WHERE k->>0 = rule AND k->>1 = fingerprint)`,
    [groupKey, keys],
  );
  if (rows.length === 0) return;
  const ms = (c: string): string => `CASE WHEN x.${c} IS NULL THEN NULL ELSE to_timestamp(x.${c} / 1000.0) END`;
  await db.query(
    `INSERT INTO alert_state (rule_group, rule, fingerprint, state, ${COLUMNS.join(', ')}, value, labels, annotations, updated_at)
     SELECT $1, x.rule, x.fingerprint, x.state, ${COLUMNS.map(ms).join(', ')},
            COALESCE(x.value, x.special::float8), x.labels, x.annotations, to_timestamp($3 / 1000.0)
     FROM jsonb_to_recordset($2::jsonb) AS x(rule text, fingerprint text, state text, ${COLUMNS.map((c) => `${c} float8`).join(', ')},
          value float8, special text, labels jsonb, annotations jsonb)
     ON CONFLICT (rule_group, rule, fingerprint) DO UPDATE SET
       state = EXCLUDED.state, ${COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')},
       value = EXCLUDED.value, labels = EXCLUDED.labels, annotations = EXCLUDED.annotations, updated_at = EXCLUDED.updated_at`,
    [groupKey, JSON.stringify(rows), ts],
  );
}

interface Row {
  rule: string;
  fingerprint: string;
  state: AlertState;
  value: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  active_at: number;
  fired_at: number | null;
  resolved_at: number | null;
  keep_firing_since: number | null;
  last_sent_at: number | null;
  valid_until: number | null;
  updated_at: number;
}

/** The stored alerts of group `groupKey` written at or after `since` (ms). */
export async function loadGroupAlerts(db: Queryable, groupKey: string, since: number): Promise<StoredAlert[]> {
  const epoch = (c: string): string => `(extract(epoch from ${c}) * 1000)::float8 AS ${c}`;
  const result = await db.query<Row>(
    `SELECT rule, fingerprint, state, value, labels, annotations, ${[...COLUMNS, 'updated_at'].map(epoch).join(', ')}
     FROM alert_state WHERE rule_group = $1 AND updated_at >= to_timestamp($2 / 1000.0) ORDER BY rule, fingerprint`,
    [groupKey, since],
  );
  return result.rows.map((row) => {
    const alert: Record<string, unknown> = { labels: labelsFromStore(row.labels), annotations: labelsFromStore(row.annotations), state: row.state, value: Number(row.value) };
    FIELDS.forEach((f, i) => {
      const v = row[COLUMNS[i]!];
      if (v !== null && v !== undefined) alert[f] = Math.round(Number(v));
    });
    return { rule: row.rule, fingerprint: row.fingerprint, alert: alert as unknown as Alert, updatedAt: Math.round(Number(row.updated_at)) };
  });
}
