/**
 * The dispatcher's held alerts in the database (table `notify_alerts`, migration 006), so that
 * a restarted dispatcher holds every aggregation group as it was. Without them a group comes
 * back with only the alerts the rules engine happens to resend first, and the notification log
 * reads the others as gone: a duplicate "resolved", then the firing ones notified again.
 * Labels and annotations may hold any string Kafka carries (NUL, a lone surrogate): they are
 * stored by the label value rule of src/store/labels.ts (`storedJson`) and read back unchanged.
 */
import { jsonFromStore, storedJson } from '../store/labels.ts';
import { msOf, toTimestamp } from '../store/sql.ts';
import type { Queryable } from '../store/types.ts';
import type { HeldAlert } from './held-alerts.ts';

/** Writes (or replaces) `alerts` as held at `now`, in one statement. */
export async function saveHeldAlerts(db: Queryable, alerts: readonly HeldAlert[], now: number): Promise<void> {
  if (alerts.length === 0) return;
  // The last copy of a fingerprint wins, as in the dispatcher; one statement may not touch a row twice.
  const latest = new Map(alerts.map((a) => [a.fingerprint, a]));
  const rows = [...latest.values()].map((a) => ({
    fingerprint: a.fingerprint,
    alert: { labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: a.endsAt, generatorURL: a.generatorURL },
    ends_at: Number.isFinite(a.endsAtMs) ? toTimestamp(a.endsAtMs) : null,
  }));
  await db.query(
    `INSERT INTO notify_alerts (fingerprint, alert, ends_at, updated_at)
     SELECT x.fingerprint, x.alert, x.ends_at, $2::timestamptz FROM jsonb_to_recordset($1::jsonb) AS x(fingerprint text, alert jsonb, ends_at timestamptz)
     ON CONFLICT (fingerprint) DO UPDATE SET alert = EXCLUDED.alert, ends_at = EXCLUDED.ends_at, updated_at = EXCLUDED.updated_at`,
    [storedJson(rows), toTimestamp(now)],
  );
}

/**
 * Deletes the alerts `fingerprints` whose resolution was notified, unless the stored copy
 * fires again (a newer copy written meanwhile ends after `resolvedBy`).
 */
export async function deleteHeldAlerts(db: Queryable, fingerprints: readonly string[], resolvedBy: number): Promise<void> {
  if (fingerprints.length === 0) return;
  await db.query('DELETE FROM notify_alerts WHERE fingerprint = ANY($1::text[]) AND ends_at <= $2', [fingerprints, toTimestamp(resolvedBy)]);
}

/** Every held alert stored, for the dispatcher at start. */
export async function loadHeldAlerts(db: Queryable): Promise<HeldAlert[]> {
  const result = await db.query<{ fingerprint: string; alert: unknown; ends_at: number | null }>(
    `SELECT fingerprint, alert, ${msOf('ends_at')} AS ends_at FROM notify_alerts ORDER BY fingerprint`,
  );
  return result.rows.map((r) => {
    const a = jsonFromStore((typeof r.alert === 'string' ? JSON.parse(r.alert) : r.alert) as Omit<HeldAlert, 'fingerprint' | 'endsAtMs'>);
    return { fingerprint: r.fingerprint, ...a, endsAtMs: r.ends_at === null ? Number.POSITIVE_INFINITY : Math.round(Number(r.ends_at)) };
  });
}

/** Deletes held alerts that ended before `before` (ms); returns how many. */
export async function pruneHeldAlerts(db: Queryable, before: number): Promise<number> {
  return (await db.query('DELETE FROM notify_alerts WHERE ends_at < $1', [toTimestamp(before)])).rowCount;
}
