/**
 * The notifier: the rules engine's AlertSink, assembled from the pure parts (routing, grouping,
 * inhibition, silence matching), the dispatcher's timers, the silence store and the durable
 * outbox with its receivers. Lifecycle as DESIGN.md has it: the constructor validates and does
 * no I/O, `start` returns at once (silences and the notification log load in the background,
 * and alerts sent meanwhile wait for them), `stop` undoes `start`.
 */
import { Registry } from 'prom-client';
import { wallClock, type Clock } from '../clock.ts';
import type { Db } from '../store/types.ts';
import { silentLogger, type Logger } from '../telemetry/logger.ts';
import type { NotifyConfig } from './config.ts';
import { Dispatcher, type AlertView } from './dispatcher.ts';
import { compileInhibitRules } from './inhibit.ts';
import { integrationsOf } from './integrations.ts';
import { NotifyMetrics } from './metrics.ts';
import { Outbox, type RetryPolicy } from './outbox.ts';
import { receiverFor } from './receivers/index.ts';
import { compileRoutes } from './route.ts';
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
}

const LOAD_RETRY_MS = 5000;

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
  private running = false;

  constructor(options: NotifierOptions) {
    const { config, db } = options;
    this.clock = options.clock ?? wallClock;
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
    this.dispatcher = new Dispatcher({
      route: compileRoutes(config.route),
      receivers: config.receivers,
      inhibitRules: compileInhibitRules(config.inhibit_rules),
      clock: this.clock,
      externalURL: config.external_url,
      silencedBy: (labels, now) => this.silences.mutedBy(labels, now),
      deliver: async (deliveries) => {
        await this.outbox.enqueue(deliveries);
      },
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

  /** Stops the timers and the sender; pending notifications stay in the outbox for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    this.loadTimer?.cancel();
    this.abandonLoad?.();
    this.dispatcher.stop();
    await this.dispatcher.idle();
    await this.outbox.stop();
  }

  /** Takes alerts from the rules engine; resolves once they are held (not once notified). */
  async send(alerts: readonly OutgoingAlert[]): Promise<void> {
    if (this.loading !== undefined) await this.loading;
    // As Alertmanager's API, an alert needs a label to be identified by; one without is refused.
    const named = alerts.filter((a) => Object.values(a.labels).some((v) => v !== ''));
    if (named.length < alerts.length) this.logger.warn({ refused: alerts.length - named.length }, 'alerts without labels cannot be identified and were refused');
    this.dispatcher.ingest(named);
  }

  /** The alerts held now, with the silences and alerts muting them, for the API. */
  alerts(): AlertView[] {
    return this.dispatcher.alerts();
  }

  /** Resolves once nothing handed to the dispatcher or the outbox is still in progress. */
  async idle(): Promise<void> {
    await this.dispatcher.idle();
    await this.outbox.idle();
  }

  private load(): Promise<void> {
    return new Promise<void>((resolve) => {
      // `stop` during a retry wait must not leave `send` callers waiting for good.
      this.abandonLoad = resolve;
      const attempt = (): void => {
        if (!this.running) return resolve();
        void (async () => {
          await this.silences.load();
          this.dispatcher.restoreLog(await this.outbox.loadLog());
        })().then(
          () => {
            if (this.running) this.outbox.start();
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
