/**
 * A notifier that keeps nothing and contacts no receiver: the same dispatcher as `Notifier`
 * (routing, grouping, inhibition, group_wait/group_interval/repeat_interval on the Clock), whose
 * due notifications go to a callback instead of the durable outbox. Replay listens to what the
 * service would have sent with it. No silences: a replay has none.
 */
import type { Clock } from '../clock.ts';
import type { NotifyConfig } from './config.ts';
import type { AlertView, Delivery, Dispatcher } from './dispatcher.ts';
import { dispatcherOf } from './pipeline.ts';
import type { AlertSink, OutgoingAlert } from './types.ts';

/** What a MemoryNotifier is built from. */
export interface MemoryNotifierOptions {
  readonly config: NotifyConfig;
  readonly clock: Clock;
  /** Receives each batch of notifications as it falls due. */
  readonly deliver: (deliveries: readonly Delivery[]) => void;
}

/** Routes, groups and mutes alerts as the service does, and hands what is due to `deliver`. */
export class MemoryNotifier implements AlertSink {
  private readonly dispatcher: Dispatcher;

  constructor(options: MemoryNotifierOptions) {
    this.dispatcher = dispatcherOf(options.config, options.clock, {
      silencedBy: () => [],
      deliver: async (deliveries) => options.deliver(deliveries),
    });
  }

  start(): void {}

  async ready(): Promise<void> {}

  async stop(): Promise<void> {
    this.dispatcher.stop();
  }

  /** As `Notifier.send`: an alert without a label value cannot be identified and is left out. */
  async send(alerts: readonly OutgoingAlert[]): Promise<void> {
    this.dispatcher.ingest(alerts.filter((a) => Object.values(a.labels).some((v) => v !== '')));
  }

  alerts(): AlertView[] {
    return this.dispatcher.alerts();
  }

  async idle(): Promise<void> {
    await this.dispatcher.idle();
  }
}
