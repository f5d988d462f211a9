/**
 * The integrations of a receiver, numbered in one order (email, then webhook, then
 * Alertmanager configs, each in file order) so that the outbox and the notification log can
 * name one by its receiver and index.
 */
import type { AlertmanagerConfig, EmailConfig, ReceiverConfig, WebhookConfig } from './config.ts';

/** Which kind of integration. */
export type IntegrationKind = 'email' | 'webhook' | 'alertmanager';

/** One integration of a receiver, with the config it was built from. */
export type Integration =
  | { readonly kind: 'email'; readonly index: number; readonly sendResolved: boolean; readonly config: EmailConfig }
  | { readonly kind: 'webhook'; readonly index: number; readonly sendResolved: boolean; readonly config: WebhookConfig }
  | { readonly kind: 'alertmanager'; readonly index: number; readonly sendResolved: boolean; readonly config: AlertmanagerConfig };

/** The integrations of `receiver`, numbered from 0. Alertmanager forwarding always sends resolved alerts, which it needs. */
export function integrationsOf(receiver: ReceiverConfig): Integration[] {
  const out: Integration[] = [];
  for (const config of receiver.email_configs) out.push({ kind: 'email', index: out.length, sendResolved: config.send_resolved, config });
  for (const config of receiver.webhook_configs) out.push({ kind: 'webhook', index: out.length, sendResolved: config.send_resolved, config });
  for (const config of receiver.alertmanager_configs) out.push({ kind: 'alertmanager', index: out.length, sendResolved: true, config });
  return out;
}
