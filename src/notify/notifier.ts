/**
 * The notifier: the rules engine's AlertSink, assembled from the pure parts (routing, grouping,
 * inhibition, silence matching), the dispatcher's timers, the silence store and the durable
 * outbox with its receivers. Lifecycle as DESIGN.md has it: the constructor validates and does
 * no I/O, `start` returns at once (silences, the notification log and the held alerts load in
 * the background, and alerts sent meanwhile wait for them), `stop` undoes `start`.
 *
 * What decides a notification survives SIGKILL: the held alerts are written before they are
 * taken in, the log with the outbox rows, and restored groups wait until the alert source says
 * it has resent what it holds (`settled`, or `restoreHoldMs` at the latest).
 */
import { Registry } from 'prom-client';
import { wallClock, type Clock } from '../clock.ts';
import type { Db } from '../store/types.ts';
import { silentLogger, type Logger } from '../telemetry/logger.ts';
import type { NotifyConfig } from './config.ts';
import { deleteHeldAlerts, loadHeldAlerts, saveHeldAlerts } from './alert-store.ts';
import type { AlertView, Dispatcher } from './dispatcher.ts';
import { toHeld } from './held-alerts.ts';
import { integrationsOf } from './integrations.ts';
import { NotifyMetrics } from './metrics.ts';
import { Outbox, type RetryPolicy } from './outbox.ts';
import { dispatcherOf } from './pipeline.ts';
import { receiverFor } from './receivers/index.ts';
import { SilenceStore } from './silences.ts';
import type { AlertSink, OutgoingAlert, Receiver } from './types.ts';

/** What a Notifier is built from. */
export interface NotifierOptions {
  /** A validated configuration (see `parseNotifyConfig`). */
  readonly config: NotifyConfig;
  /** A migrated database: silences, the notification log and the outbox live there. */
  readonly db: Db;
  /** Default: the wall clock. */
  readonly clock?: Clock;
  /** Where the pipeline's metrics go; default a registry of its own. */
  readonly registry?: Registry;
  readonly logger?: Logger;
  readonly retry?: Partial<RetryPolicy>;
  /** The longest the outbox sender sleeps when nothing falls due sooner; default 10 s. */
  readonly pollMs?: number;
  /** How long a claimed outbox row is held by one sender; default 5 min. */
  readonly leaseMs?: number;
  /** Runs after notifications are written to the outbox and before they may be sent (crash tests). */
  readonly afterOutboxWrite?: (ids: readonly number[]) => Promise<void>;
  /**
   * The longest restored groups wait for `settled` after start before they flush anyway;
   * default 2 min (the rules engine resends within its resend delay, 1 min by default).
   */
  readonly restoreHoldMs?: number;
}

const LOAD_RETRY_MS = 5000;
const DEFAULT_RESTORE_HOLD_MS = 120_000;

/** Routes, groups, mutes and delivers the alerts handed to it. */
export class Notifier implements AlertSink {
  /** The silences, for the API. */
  readonly silences: SilenceStore;
  /** The outbox, for tests and operators. */
  readonly outbox: Outbox;
  /** The pipeline's metrics. */
  readonly metrics: NotifyMetrics;
  private readonly dispatcher: Dispatcher;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private loading: Promise<void> | undefined;
  private loadTimer: { cancel(): void } | undefined;
  private abandonLoad: (() => void) | undefined;
  private holdTimer: { cancel(): void } | undefined;
  private readonly restoreHoldMs: number;
  private readonly db: Db;
  private readonly writes = new Set<Promise<void>>();
  private running = false;
  private sourceSettled = false;

  constructor(options: NotifierOptions) {
    const { config, db } = options;
    this.clock = options.clock ?? wallClock;
    this.db = db;
    this.restoreHoldMs = options.restoreHoldMs ?? DEFAULT_RESTORE_HOLD_MS;
    this.logger = options.logger ?? silentLogger();
    this.metrics = new NotifyMetrics(options.registry ?? new Registry());
    this.silences = new SilenceStore(db, this.clock);
    const receivers = new Map<string, Receiver>();
    for (const receiver of config.receivers) {
      for (const integration of integrationsOf(receiver)) receivers.set(`${receiver.name}\u0000${integration.index}`, receiverFor(integration));
    }
    this.outbox = new Outbox({
      db,
      clock: this.clock,
      receiverOf: (name, index) => receivers.get(`${name}\u0000${index}`),
      metrics: this.metrics,
      logger: this.logger,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      ...(options.afterOutboxWrite === undefined ? {} : { afterWrite: options.afterOutboxWrite }),
    });
    this.dispatcher = dispatcherOf(config, this.clock, {
      silencedBy: (labels, now) => this.silences.mutedBy(labels, now),
      deliver: async (deliveries, quiet) => {
        await this.outbox.enqueue(deliveries, quiet);
      },
      onDropped: (fingerprints, at) => this.track(deleteHeldAlerts(db, fingerprints, at).catch((err: unknown) => {
        // Harmless when left: the log already says they were notified resolved; retention prunes them.
        this.logger.warn({ err, alerts: fingerprints.length }, 'resolved alerts could not be removed from the database');
      })),
      onMuted: (reason, count) => this.metrics.muted.inc({ reason }, count),
      onDeliverError: (err, deliveries) =>
        this.logger.error({ err, groupKey: deliveries[0]?.groupKey, notifications: deliveries.length }, 'notifications could not be written to the outbox; the group tries again at its next group_interval'),
    });
  }

  /** Loads silences and the notification log, then starts the outbox sender. Returns at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loading = this.load();
  }

  /** Resolves once `start`'s loading is done (alerts handed in before then wait for it). */
  async ready(): Promise<void> {
    if (this.loading === undefined) throw new Error('Notifier.ready() called before start()');
    await this.loading;
  }

  /**
   * Says that the alert source has resent every alert it holds since this start (the rules
   * engine: after its first evaluation of every group), so restored groups may flush.
   */
  settled(): void {
    this.sourceSettled = true;
    this.holdTimer?.cancel();
    this.dispatcher.release();
  }

  /** Stops the timers and the sender; pending notifications stay in the outbox for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    this.loadTimer?.cancel();
    this.holdTimer?.cancel();
    this.abandonLoad?.();
    this.dispatcher.stop();
    await this.dispatcher.idle();
    await this.outbox.stop();
    await this.writesDone();
  }

  /**
   * Takes alerts from the rules engine; resolves once they are held, in memory and in the
   * database (not once notified). When the database refuses, they are held in memory only.
   */
  async send(alerts: readonly OutgoingAlert[]): Promise<void> {
    if (this.loading !== undefined) await this.loading;
    // As Alertmanager's API, an alert needs a label to be identified by; one without is refused.
    const named = alerts.filter((a) => Object.values(a.labels).some((v) => v !== ''));
    if (named.length < alerts.length) this.logger.warn({ refused: alerts.length - named.length }, 'alerts without labels cannot be identified and were refused');
    const now = this.clock.now();
    const held = named.map((a) => toHeld(a, now));
    try {
      await saveHeldAlerts(this.db, held, now);
    } catch (err) {
      this.logger.error({ err, alerts: held.length }, 'alerts could not be stored; they are held in memory, and a restart before they are resent forgets them');
    }
    this.dispatcher.ingestHeld(held);
  }

  /** The alerts held now, with the silences and alerts muting them, for the API. */
  alerts(): AlertView[] {
    return this.dispatcher.alerts();
  }

  /** Resolves once nothing handed to the dispatcher or the outbox is still in progress. */
  async idle(): Promise<void> {
    await this.dispatcher.idle();
    await this.outbox.idle();
    await this.writesDone();
  }

  private track(write: Promise<void>): void {
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  }

  private async writesDone(): Promise<void> {
    while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
  }

  private load(): Promise<void> {
    return new Promise<void>((resolve) => {
      // `stop` during a retry wait must not leave `send` callers waiting for good.
      this.abandonLoad = resolve;
      const attempt = (): void => {
        if (!this.running) return resolve();
        void (async () => {
          await this.silences.load();
          const log = await this.outbox.loadLog();
          const held = await loadHeldAlerts(this.db);
          return { log, held };
        })().then(
          ({ log, held }) => {
            if (this.running) {
              this.dispatcher.restoreLog(log);
              this.dispatcher.restore(held);
              if (this.sourceSettled) this.dispatcher.release();
              else this.holdTimer = this.clock.setTimeout(() => this.dispatcher.release(), this.restoreHoldMs);
              this.outbox.start();
            }
            resolve();
          },
          (err: unknown) => {
            this.logger.error({ err }, `silences and the notification log could not be loaded; trying again in ${LOAD_RETRY_MS} ms`);
            this.loadTimer = this.clock.setTimeout(attempt, LOAD_RETRY_MS);
          },
        );
      };
      attempt();
    });
  }
}
