/**
 * Discrete facts the collectors observe (a leader moved, a broker went down or came back, a
 * quota changed), kept beside the samples so incident review can line them up with the series.
 */
import { msOf, toTimestamp } from './sql.ts';
import type { Queryable } from './types.ts';

/** Kinds the collectors record; others may be added without a migration. */
export type EventKind = 'leader_change' | 'broker_down' | 'broker_up' | 'quota_change' | (string & {});

/** One event. */
export interface StoreEvent {
  /** When it happened (or was first seen), ms since the epoch. */
  readonly ts: number;
  readonly cluster: string;
  readonly kind: EventKind;
  /** What it is about, e.g. `broker 2` or `orders-0` or `user=alice,client-id=etl`. */
  readonly subject: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** An event read back, with its id. */
export interface StoredEvent extends StoreEvent {
  readonly id: number;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Stores events in one statement. */
export async function recordEvents(db: Queryable, events: readonly StoreEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO events (ts, cluster, kind, subject, details)
     SELECT t::timestamptz, c, k, s, d::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(t, c, k, s, d)`,
    [
      events.map((e) => toTimestamp(e.ts)),
      events.map((e) => e.cluster),
      events.map((e) => e.kind),
      events.map((e) => e.subject),
      events.map((e) => JSON.stringify(e.details ?? {})),
    ],
  );
}

/** Events with from <= ts <= to, optionally of one cluster and kind, oldest first. */
export async function listEvents(
  db: Queryable,
  filter: { from: number; to: number; cluster?: string; kind?: EventKind },
): Promise<StoredEvent[]> {
  const result = await db.query<{ id: number; ts: number; cluster: string; kind: string; subject: string; details: Record<string, unknown> }>(
    `SELECT id::float8 AS id, ${msOf('ts')} AS ts, cluster, kind, subject, details FROM events
     WHERE ts >= $1 AND ts <= $2 AND ($3::text IS NULL OR cluster = $3) AND ($4::text IS NULL OR kind = $4)
     ORDER BY ts, id`,
    [toTimestamp(filter.from), toTimestamp(filter.to), filter.cluster ?? null, filter.kind ?? null],
  );
  return result.rows;
}

/** Deletes events older than `before` (ms); returns how many. */
export async function deleteEventsBefore(db: Queryable, before: number): Promise<number> {
  const result = await db.query('DELETE FROM events WHERE ts < $1', [toTimestamp(before)]);
  return result.rowCount;
}
