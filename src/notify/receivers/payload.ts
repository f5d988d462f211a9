/**
 * What a notification looks like on the wire: Alertmanager's webhook payload (version 4) and
 * the default email subject. https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
import { commonLabels, sortLabels } from '../labels.ts';
import type { Labels, NotifiedAlert, Notification } from '../types.ts';

/** Alertmanager's webhook message, version 4. */
export interface WebhookPayload {
  readonly version: '4';
  readonly groupKey: string;
  /** How many alerts `max_alerts` left out. */
  readonly truncatedAlerts: number;
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupLabels: Labels;
  readonly commonLabels: Labels;
  readonly commonAnnotations: Labels;
  readonly externalURL: string;
  readonly alerts: readonly NotifiedAlert[];
}

/** The version-4 payload of `n`, keeping the first `maxAlerts` alerts (0: all). */
export function webhookPayload(n: Notification, maxAlerts = 0): WebhookPayload {
  const kept = maxAlerts > 0 ? n.alerts.slice(0, maxAlerts) : n.alerts;
  return {
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: n.alerts.length - kept.length,
    status: n.status,
    receiver: n.receiver,
    groupLabels: sortLabels(n.groupLabels),
    // Common labels and annotations are those of every alert of the group, not only the kept ones.
    commonLabels: commonLabels(n.alerts.map((a) => a.labels)),
    commonAnnotations: commonLabels(n.alerts.map((a) => a.annotations)),
    externalURL: n.externalURL,
    alerts: kept.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    })),
  };
}

/**
 * Alertmanager's default subject: `[FIRING:2] <group label values> (<other common labels>)`,
 * or `[RESOLVED] …`. The common labels outside the group are shown as name=value pairs, which
 * says more than Alertmanager's bare values: `[FIRING:2] KafkaConsumerLag (group=billing)`.
 */
export function defaultSubject(n: Notification): string {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const head = n.status === 'firing' ? `[FIRING:${firing}]` : '[RESOLVED]';
  const group = sortLabels(n.groupLabels);
  const values = Object.values(group).join(' ');
  const common = commonLabels(n.alerts.map((a) => a.labels));
  const rest = Object.entries(common).filter(([name]) => !(name in group));
  const tail = rest.length > 0 ? `(${rest.map(([k, v]) => `${k}=${v}`).join(' ')})` : '';
  return [head, values, tail].filter((part) => part !== '').join(' ');
}
