/**
 * What the notification pipeline reports about itself in prom-client: notifications sent,
 * failed for good and retried per receiver and integration, the time from the outbox write to
 * delivery, and alerts left out of notifications because a silence or an inhibition muted them.
 */
import { Counter, Histogram, Registry, type Metric } from 'prom-client';

/** Labels of the per-integration metrics. */
export type IntegrationLabels = 'receiver' | 'integration';

function shared<M extends Metric<string>>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/** The pipeline's metrics, registered once per registry. */
export class NotifyMetrics {
  readonly sent: Counter<IntegrationLabels>;
  readonly failed: Counter<IntegrationLabels>;
  readonly retried: Counter<IntegrationLabels>;
  readonly latency: Histogram<IntegrationLabels>;
  readonly muted: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames: IntegrationLabels[] = ['receiver', 'integration'];
    this.sent = shared(registry, 'sluice_notifications_sent_total', () =>
      new Counter({ name: 'sluice_notifications_sent_total', help: 'Notifications delivered', labelNames, registers }),
    );
    this.failed = shared(registry, 'sluice_notifications_failed_total', () =>
      new Counter({ name: 'sluice_notifications_failed_total', help: 'Notifications given up on: refused by the receiver, or out of attempts', labelNames, registers }),
    );
    this.retried = shared(registry, 'sluice_notifications_retried_total', () =>
      new Counter({ name: 'sluice_notifications_retried_total', help: 'Failed delivery attempts that will be retried', labelNames, registers }),
    );
    this.latency = shared(registry, 'sluice_notification_latency_seconds', () =>
      new Histogram({
        name: 'sluice_notification_latency_seconds',
        help: 'Time from writing a notification to the outbox to its delivery',
        labelNames,
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
        registers,
      }),
    );
    this.muted = shared(registry, 'sluice_alerts_muted_total', () =>
      new Counter({ name: 'sluice_alerts_muted_total', help: 'Alerts left out of a notification, by reason (silenced, inhibited)', labelNames: ['reason'], registers }),
    );
  }
}
