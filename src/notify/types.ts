/**
 * The notification pipeline's seams: what the rules engine hands in (`OutgoingAlert` through an
 * `AlertSink`), what one notification carries (`Notification`) and what delivers it (`Receiver`).
 * Field names follow Alertmanager's API and webhook payload so alerts pass through unchanged.
 * https://prometheus.io/docs/alerting/latest/clients/
 */
import type { Labels } from '../labels.ts';

/** An alert as Alertmanager's POST /api/v2/alerts takes it. */
export interface OutgoingAlert { readonly labels: Readonly<Record<string, string>>; readonly annotations: Readonly<Record<string, string>>; readonly startsAt: string; readonly endsAt: string; readonly generatorURL: string; readonly status?: 'firing' | 'resolved' }
/** Where the rules engine hands its alerts. */
export interface AlertSink { send(alerts: readonly OutgoingAlert[]): Promise<void>; settled?(): void }

/** Label names to values. */
export type { Labels };

/** Whether an alert (or a group of alerts) still fires. */
export type AlertStatus = 'firing' | 'resolved';

/** One alert as a notification lists it: Alertmanager's webhook alert object. */
export interface NotifiedAlert {
  readonly status: AlertStatus;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
  /** 16 hex digits of the label fingerprint (see `fingerprint`). */
  readonly fingerprint: string;
}

/**
 * One notification for one aggregation group and one receiver: what the outbox stores as JSON
 * and what every integration formats in its own way.
 */
export interface Notification {
  readonly receiver: string;
  readonly groupKey: string;
  /** `firing` when any alert listed fires. */
  readonly status: AlertStatus;
  readonly groupLabels: Labels;
  /** Firing alerts first, then resolved ones, each part sorted by labels. */
  readonly alerts: readonly NotifiedAlert[];
  /** Where links in the notification point (the config's `external_url`). */
  readonly externalURL: string;
  /** The same for every attempt to deliver this notification (see `notificationId`); absent before it is stored. */
  readonly id?: string;
}

/** What one delivery attempt came to. */
export interface SendResult {
  readonly ok: boolean;
  /** When not ok: whether a later attempt may succeed (timeouts, 5xx, SMTP 4xx). */
  readonly retryable: boolean;
  /** Why it failed, with secrets removed. */
  readonly error?: string;
}

/**
 * One integration of a receiver (an email address, a webhook URL, an Alertmanager). The
 * contract: `send` never throws and never retries by itself; it reports whether a retry may help
 * and leaves retrying to the outbox, which owns the backoff.
 */
export interface Receiver {
  send(n: Notification): Promise<SendResult>;
}
