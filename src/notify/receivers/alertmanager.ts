/**
 * Forwarding to an Alertmanager: POSTs the group's alerts, as they came in, to
 * `<url>/api/v2/alerts`, so that an existing Alertmanager setup keeps doing the paging.
 * Resolved alerts are sent too (with their past `endsAt`), which is how Alertmanager learns of
 * a resolution. Firing alerts are forwarded again at every group_interval (the dispatcher skips
 * deduplication for this integration), each valid for two group_intervals, so the Alertmanager
 * keeps them while Sluice runs and resolves them on its own soon after Sluice stops.
 * https://prometheus.io/docs/alerting/latest/clients/
 */
import type { AlertmanagerConfig } from '../config.ts';
import type { Notification, OutgoingAlert, Receiver, SendResult } from '../types.ts';
import { postJson } from './webhook.ts';

/** Delivers notifications to one Alertmanager's v2 API. */
export class AlertmanagerReceiver implements Receiver {
  constructor(private readonly config: AlertmanagerConfig) {}

  async send(n: Notification): Promise<SendResult> {
    const alerts: OutgoingAlert[] = n.alerts.map((a) => ({ labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: a.endsAt, generatorURL: a.generatorURL }));
    const url = `${this.config.url.replace(/\/+$/, '')}/api/v2/alerts`;
    return postJson(url, JSON.stringify(alerts), { 'content-type': 'application/json', 'user-agent': 'Sluice' }, this.config.timeout);
  }
}
