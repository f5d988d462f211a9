/** Builds the Receiver for one integration of a receiver. */
import type { Integration } from '../integrations.ts';
import type { Receiver } from '../types.ts';
import { AlertmanagerReceiver } from './alertmanager.ts';
import { EmailReceiver } from './email.ts';
import { WebhookReceiver } from './webhook.ts';

/** The Receiver that delivers through `integration`. */
export function receiverFor(integration: Integration): Receiver {
  switch (integration.kind) {
    case 'email':
      return new EmailReceiver(integration.config);
    case 'webhook':
      return new WebhookReceiver(integration.config);
    case 'alertmanager':
      return new AlertmanagerReceiver(integration.config);
  }
}
