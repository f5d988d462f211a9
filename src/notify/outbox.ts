/**
 * The durable outbox. Every notification is written to `notify_outbox` (with the notification
 * log entry it stands for, in the same transaction) BEFORE anything is sent; a sender loop on
 * the Clock then claims due rows, delivers them and marks them sent. Timeouts, connection
 * errors, HTTP 5xx and SMTP 4xx are retried with capped exponential backoff; HTTP 4xx and SMTP
 * 5xx are final (status `failed`, logged, counted). Rows left pending by a crash are sent by the
 * next start.
 *
 * Exactly once: a sender claims rows with one `UPDATE … RETURNING` that sets a lease
 * (`lease_until`), skipping rows another sender holds (`FOR UPDATE SKIP LOCKED`), so two
 * senders never deliver one row at the same time. The one gap: if a process dies (or loses the
 * database) after a receiver accepted a row but before the row was marked sent, the row is
 * claimed again when its lease runs out and delivered a second time. Each such loss costs at
 * most one extra delivery of that row; no row is ever lost. Every attempt of a row carries the
 * same `id` (`notificationId`), which webhooks send as `Idempotency-Key`, so the receiving end
 * can drop that extra delivery.
 *
 * Group keys, receiver names, payloads and errors hold label values, which may be any string
 * Kafka carries (NUL, a lone surrogate, 64 KiB): they are stored by the label value rule of
 * src/store/labels.ts and read back unchanged, and `notify_log` is keyed by the md5 of the
 * group key (migration 008), so that no label value can fail an enqueue.
 */
import type { Clock, ClockTimer } from '../clock.ts';
import { jsonFromStore, labelValueFromStore, storedJson, storedLabelValue } from '../store/labels.ts';
import { msOf, toTimestamp } from '../store/sql.ts';
import type { Db } from '../store/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { pruneHeldAlerts } from './alert-store.ts';
import type { Delivery } from './dispatcher.ts';
import type { IntegrationKind } from './integrations.ts';
import type { NotifyMetrics } from './metrics.ts';
import type { LogEntry } from './notification-log.ts';
import type { Notification, Receiver } from './types.ts';
import { traced } from '../telemetry/tracing.ts';

/** How failed deliveries are retried. */
export interface RetryPolicy {
  /** Delay after the first failed attempt; doubled after each further one. Default 1 s. */
  readonly initialMs: number;
  /** The longest delay between attempts. Default 5 min. */
  readonly maxMs: number;
  /** Attempts before a row is given up on (status failed). Default 20. */
  readonly maxAttempts: number;
}

/** The default retry policy. */
export const DEFAULT_RETRY: RetryPolicy = { initialMs: 1000, maxMs: 300_000, maxAttempts: 20 };

const DEFAULT_RETENTION_MS = 5 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
const DEFAULT_POLL_MS = 10_000;
/** Rows claimed in one statement; a full batch means more may be due at once. */
const CLAIM_BATCH = 64;

/** The delay before attempt `attempts + 1`, after `attempts` failed ones. */
export function backoffMs(policy: RetryPolicy, attempts: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempts - 1));
}

/** What the outbox needs. */
export interface OutboxOptions {
  readonly db: Db;
  readonly clock: Clock;
  /** The Receiver of one integration, or undefined when the config no longer has it. */
  readonly receiverOf: (receiver: string, integrationIndex: number) => Receiver | undefined;
  readonly metrics: NotifyMetrics;
  readonly logger: Logger;
  readonly retry?: Partial<RetryPolicy>;
  /** How long a claim holds a row; must exceed the slowest send. Default 5 min. */
  readonly leaseMs?: number;
  /**
   * The longest the sender sleeps between rounds when nothing of its own falls due sooner, so
   * that it sees rows other processes wrote. Default 10 s.
   */
  readonly pollMs?: number;
  /**
   * How long sent and failed rows, and notification log entries not renewed, are kept; pruned
   * hourly. Default 5 days, Alertmanager's notification log retention.
   */
  readonly retentionMs?: number;
  /**
   * Runs after rows are written and before they may be sent; the sender holds off until it
   * resolves. Lets a test stop the process between the write and the send.
   */
  readonly afterWrite?: (ids: readonly number[]) => Promise<void>;
}

/** One row of the outbox as the sender sees it. */
export interface OutboxRow {
  readonly id: number;
  readonly receiver: string;
  readonly integration: IntegrationKind;
  readonly integrationIndex: number;
  readonly groupKey: string;
  readonly payload: Notification;
  /** Attempts so far, this one included. */
  readonly attempts: number;
  readonly createdAt: number;
}

interface ClaimedRow {
  id: number;
  receiver: string;
  integration: IntegrationKind;
  integration_index: number;
  group_key: string;
  payload: Notification | string;
  attempts: number;
  created_at: number;
}

/** Writes notifications and delivers them. */
export class Outbox {
  private readonly retry: RetryPolicy;
  private timer: ClockTimer | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private holding = 0;
  private started = false;
  private prunedAt = Number.NEGATIVE_INFINITY;
  private nextRoundIn = DEFAULT_POLL_MS;

  constructor(private readonly options: OutboxOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  /**
   * Stores `deliveries` as pending rows and their log entries, and the log entries `quiet` of
   * integrations that had nothing to list, in one transaction, and returns the row ids; the
   * sender picks them up right away. Rejects (storing nothing) when the database refuses.
   */
  async enqueue(deliveries: readonly Delivery[], quiet: readonly LogEntry[] = []): Promise<number[]> {
    const hold = this.options.afterWrite;
    if (hold === undefined) {
      const ids = await this.write(deliveries, quiet);
      if (ids.length > 0) this.kick();
      return ids;
    }
    // The hold starts before the write, and a round already under way (it passed its check of
    // `holding` and may claim rows committed while its claim is in flight) ends first.
    this.holding++;
    try {
      await this.running;
      const ids = await this.write(deliveries, quiet);
      if (ids.length > 0) await hold(ids);
      return ids;
    } finally {
      this.holding--;
      this.kick();
    }
  }

  /** The one transaction of `enqueue`. */
  private async write(deliveries: readonly Delivery[], quiet: readonly LogEntry[]): Promise<number[]> {
    const now = this.options.clock.now();
    return this.options.db.tx(async (q) => {
      const out: number[] = [];
      for (const d of deliveries) {
        const row = await q.query<{ id: number }>(
          `INSERT INTO notify_outbox (receiver, integration, integration_index, group_key, payload, next_attempt_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id::int4 AS id`,
          [storedLabelValue(d.receiver), d.integration, d.integrationIndex, storedLabelValue(d.groupKey), storedJson(d.notification), toTimestamp(now)],
        );
        out.push(row.rows[0]!.id);
      }
      for (const entry of [...deliveries.map((d) => d.entry), ...quiet]) {
        await q.query(
          `INSERT INTO notify_log (group_key, receiver, integration_index, firing, resolved, sent_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (md5(group_key), receiver, integration_index)
           DO UPDATE SET group_key = excluded.group_key, firing = excluded.firing, resolved = excluded.resolved, sent_at = excluded.sent_at`,
          [storedLabelValue(entry.groupKey), storedLabelValue(entry.receiver), entry.integrationIndex, storedJson(entry.firing), storedJson(entry.resolved), toTimestamp(entry.sentAt)],
        );
      }
      return out;
    });
  }

  /** The stored notification log, for the dispatcher at start. */
  async loadLog(): Promise<LogEntry[]> {
    const result = await this.options.db.query<{ group_key: string; receiver: string; integration_index: number; firing: unknown; resolved: unknown; sent_at: number }>(
      `SELECT group_key, receiver, integration_index, firing, resolved, ${msOf('sent_at')} AS sent_at FROM notify_log`,
    );
    return result.rows.map((r) => ({
      groupKey: labelValueFromStore(r.group_key),
      receiver: labelValueFromStore(r.receiver),
      integrationIndex: r.integration_index,
      firing: parseJson<string[]>(r.firing),
      resolved: parseJson<string[]>(r.resolved),
      sentAt: r.sent_at,
    }));
  }

  /** Starts the sender loop; rows pending from before (a crash) go out on its first round. Returns at once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.kick();
  }

  /** Stops the loop and waits for the round in progress. Rows still pending stay for the next start. */
  async stop(): Promise<void> {
    this.started = false;
    this.timer?.cancel();
    this.timer = undefined;
    await this.running;
  }

  /** Resolves once no round is in progress (tests: after advancing a virtual clock). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Starts a round now, or right after the current one. */
  kick(): void {
    if (!this.started) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    this.timer = undefined;
    this.running = this.round().finally(() => {
      this.running = undefined;
      if (!this.started) return;
      if (this.again) {
        this.again = false;
        this.kick();
      } else {
        this.timer = this.options.clock.setTimeout(() => this.kick(), this.nextRoundIn);
      }
    });
  }

  /** Claims the due rows and delivers them, all at once; returns how many were attempted. */
  async runOnce(): Promise<number> {
    if (this.holding > 0) return 0;
    const now = this.options.clock.now();
    const claimed = await this.options.db.query<ClaimedRow>(
      `UPDATE notify_outbox SET attempts = attempts + 1, lease_until = $2
       WHERE id IN (
         SELECT id FROM notify_outbox
         WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
         ORDER BY id LIMIT ${CLAIM_BATCH} FOR UPDATE SKIP LOCKED)
       RETURNING id::int4 AS id, receiver, integration, integration_index, group_key, payload, attempts, ${msOf('created_at')} AS created_at`,
      [toTimestamp(now), toTimestamp(now + (this.options.leaseMs ?? 300_000))],
    );
    const rows = claimed.rows
      .map((r): OutboxRow => ({
        id: r.id,
        receiver: labelValueFromStore(r.receiver),
        integration: r.integration,
        integrationIndex: r.integration_index,
        groupKey: labelValueFromStore(r.group_key),
        payload: parseJson<Notification>(r.payload),
        attempts: r.attempts,
        createdAt: r.created_at,
      }))
      .sort((a, b) => a.id - b.id);
    await Promise.all(rows.map((row) => this.deliver(row)));
    return rows.length;
  }

  /** Deletes sent and failed rows and log entries older than the retention; returns rows deleted. */
  async prune(): Promise<number> {
    const before = toTimestamp(this.options.clock.now() - (this.options.retentionMs ?? DEFAULT_RETENTION_MS));
    const rows = await this.options.db.query(`DELETE FROM notify_outbox WHERE status <> 'pending' AND created_at < $1`, [before]);
    const log = await this.options.db.query('DELETE FROM notify_log WHERE sent_at < $1', [before]);
    const alerts = await pruneHeldAlerts(this.options.db, this.options.clock.now() - (this.options.retentionMs ?? DEFAULT_RETENTION_MS));
    return rows.rowCount + log.rowCount + alerts;
  }

  /**
   * One round of the loop, which then sleeps until the next row falls due (a retry, or a lease
   * of a sender that died), or for `pollMs` at most, to see rows other processes wrote.
   */
  private async round(): Promise<void> {
    const pollMs = this.options.pollMs ?? DEFAULT_POLL_MS;
    this.nextRoundIn = pollMs;
    try {
      const now = this.options.clock.now();
      if (now - this.prunedAt >= PRUNE_EVERY_MS) {
        this.prunedAt = now;
        await this.prune();
      }
      if (this.holding > 0) return;
      if ((await this.runOnce()) >= CLAIM_BATCH) {
        this.nextRoundIn = 0;
        return;
      }
      const next = await this.options.db.query<{ due: number | null }>(
        `SELECT ${msOf('min(GREATEST(next_attempt_at, COALESCE(lease_until, next_attempt_at)))')} AS due FROM notify_outbox WHERE status = 'pending'`,
      );
      const due = next.rows[0]?.due ?? null;
      if (due !== null) this.nextRoundIn = Math.min(pollMs, Math.max(0, due - this.options.clock.now()));
    } catch (err) {
      // The database is away: rows stay pending and the next round tries again.
      this.options.logger.warn({ err }, 'notification outbox could not be read; retrying');
    }
  }

  /** One attempt to send a notification, traced as a span with its outcome. */
  private deliver(row: OutboxRow): Promise<void> {
    const attributes = { 'sluice.receiver': row.receiver, 'sluice.integration': row.integration, 'sluice.attempt': row.attempts, 'sluice.group_key': row.groupKey };
    return traced('sluice.notify.send', attributes, async (span) => {
      span.setAttributes({ 'sluice.outcome': await this.attempt(row) });
    });
  }

  private async attempt(row: OutboxRow): Promise<'sent' | 'retry' | 'failed' | 'unrecorded'> {
    const { metrics, logger, clock } = this.options;
    const labels = { receiver: row.receiver, integration: row.integration };
    const receiver = this.options.receiverOf(row.receiver, row.integrationIndex);
    const result = receiver === undefined
      ? { ok: false, retryable: false, error: `receiver ${row.receiver} has no integration ${row.integrationIndex} in the current configuration` }
      : await receiver.send({ ...row.payload, id: notificationId(row) }).catch((err: unknown) => ({ ok: false, retryable: true, error: (err as Error).message }));
    const now = clock.now();
    try {
      if (result.ok) {
        await this.options.db.query(`UPDATE notify_outbox SET status = 'sent', sent_at = $2, lease_until = NULL, last_error = NULL WHERE id = $1`, [row.id, toTimestamp(now)]);
        metrics.sent.inc(labels);
        metrics.latency.observe(labels, Math.max(0, now - row.createdAt) / 1000);
        logger.debug({ id: row.id, ...labels, groupKey: row.groupKey, attempts: row.attempts }, 'notification sent');
        return 'sent';
      }
      const error = result.error ?? 'unknown error';
      // An error may quote what the receiver answered, which may hold anything: stored by the rule too.
      if (result.retryable && row.attempts < this.retry.maxAttempts) {
        const delay = backoffMs(this.retry, row.attempts);
        await this.options.db.query(`UPDATE notify_outbox SET next_attempt_at = $2, lease_until = NULL, last_error = $3 WHERE id = $1`, [row.id, toTimestamp(now + delay), storedLabelValue(error)]);
        metrics.retried.inc(labels);
        logger.warn({ id: row.id, ...labels, groupKey: row.groupKey, attempts: row.attempts, retryInMs: delay, error }, 'notification not delivered; will retry');
        return 'retry';
      }
      const final = result.retryable ? `gave up after ${row.attempts} attempts: ${error}` : error;
      await this.options.db.query(`UPDATE notify_outbox SET status = 'failed', lease_until = NULL, last_error = $2 WHERE id = $1`, [row.id, storedLabelValue(final)]);
      metrics.failed.inc(labels);
      logger.error({ id: row.id, ...labels, groupKey: row.groupKey, attempts: row.attempts, error: final }, 'notification failed for good');
      return 'failed';
    } catch (err) {
      // The outcome could not be recorded: the lease runs out and the row is tried again.
      logger.error({ err, id: row.id, ...labels, delivered: result.ok }, 'notification outcome could not be recorded; the row will be claimed again when its lease ends');
      return 'unrecorded';
    }
  }
}

/**
 * The id every attempt of one outbox row carries (webhooks send it as `Idempotency-Key`): a row
 * delivered just before a crash is delivered again after it, and the receiver can tell.
 */
export function notificationId(row: Pick<OutboxRow, 'id' | 'createdAt'>): string {
  return `${Math.round(row.createdAt).toString(36)}-${row.id}`;
}

/** A jsonb value written by `storedJson` (a driver may hand it over as text), every string turned back. */
function parseJson<T>(value: unknown): T {
  return jsonFromStore((typeof value === 'string' ? JSON.parse(value) : value) as T);
}
