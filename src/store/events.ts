/**
 * Discrete facts the collectors observe (a leader moved, a broker went down or came back, a
 * quota changed), kept beside the samples so incident review can line them up with the series.
 */
import { wallClock, type Clock, type ClockTimer } from '../clock.ts';
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

/** Events kept in memory while the database cannot take them, at most. */
export const EVENT_BUFFER_LIMIT = 10_000;

/**
 * Records events through database outages: events that cannot be stored are kept, in order, and
 * retried every `retryMs` and with the next batch, up to `limit` (beyond it new events are
 * dropped, counted in `dropped` and reported through `onDrop`). `record` never rejects.
 */
export class EventRecorder {
  private pending: StoreEvent[] = [];
  private flushing: Promise<void> | null = null;
  private timer: ClockTimer | null = null;
  /** Events dropped because the buffer was full. */
  dropped = 0;

  constructor(
    private readonly db: Queryable,
    private readonly options: {
      retryMs?: number;
      limit?: number;
      /** Timer of the retries; default the wall clock. */
      clock?: Clock;
      onError?: (err: unknown, pending: number) => void;
      onDrop?: (count: number) => void;
    } = {},
  ) {}

  /** Events waiting for the database. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Queues `events` and tries to store everything queued. */
  async record(events: readonly StoreEvent[]): Promise<void> {
    // As the sample writer does, what is kept is the oldest: the start of an incident matters most.
    const room = Math.max(0, (this.options.limit ?? EVENT_BUFFER_LIMIT) - this.pending.length);
    this.pending.push(...events.slice(0, room));
    if (events.length > room) {
      this.dropped += events.length - room;
      this.options.onDrop?.(events.length - room);
    }
    await this.flush();
  }

  /** Tries to store what is queued; on failure keeps it and arms the retry timer. */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.pending.length > 0) {
          const batch = this.pending.slice(0, 1000);
          await recordEvents(this.db, batch);
          this.pending.splice(0, batch.length);
        }
      } catch (err) {
        this.options.onError?.(err, this.pending.length);
        if (this.timer === null) {
          this.timer = (this.options.clock ?? wallClock).setTimeout(() => { this.timer = null; void this.flush(); }, this.options.retryMs ?? 2000);
        }
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  /** Stops retrying after one last attempt; what is still queued then is reported as dropped. */
  async close(): Promise<void> {
    this.stopRetrying();
    await this.flushing;
    if (this.pending.length > 0) await this.flush();
    this.stopRetrying();
    if (this.pending.length > 0) {
      this.dropped += this.pending.length;
      this.options.onDrop?.(this.pending.length);
      this.pending = [];
    }
  }

  private stopRetrying(): void {
    this.timer?.cancel();
    this.timer = null;
  }
}
