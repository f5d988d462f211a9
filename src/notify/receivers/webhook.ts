/**
 * Webhook integration: POSTs Alertmanager's version-4 JSON payload, signed with
 * `X-Sluice-Signature: sha256=<hex HMAC-SHA256 of the body>` when `hmac_secret` is set so the
 * receiving end can check where it came from, and `Idempotency-Key: <id>`, equal on every
 * attempt of one notification, so that it can drop a repeat delivery. 5xx, timeouts and connection errors are
 * retryable; any other non-2xx answer is final, as Alertmanager's webhook treats them.
 */
import { createHmac } from 'node:crypto';
import type { WebhookConfig } from '../config.ts';
import { redact, safeUrl } from '../../redact.ts';
import type { Notification, Receiver, SendResult } from '../types.ts';
import { webhookPayload } from './payload.ts';

/** The header carrying the notification's id, equal on every attempt: a retry after a crash may repeat a delivery. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** The signature header's name. */
export const SIGNATURE_HEADER = 'X-Sluice-Signature';

/** `sha256=<hex>` of `body` under `secret`. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Delivers notifications to one webhook URL. */
export class WebhookReceiver implements Receiver {
  constructor(private readonly config: WebhookConfig) {}

  async send(n: Notification): Promise<SendResult> {
    const body = JSON.stringify(webhookPayload(n, this.config.max_alerts));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Sluice' };
    if (this.config.hmac_secret !== undefined) headers[SIGNATURE_HEADER] = signBody(body, this.config.hmac_secret);
    if (n.id !== undefined) headers[IDEMPOTENCY_HEADER] = n.id;
    return postJson(this.config.url, body, headers, this.config.timeout, [this.config.hmac_secret]);
  }
}

/**
 * POSTs `body` and classifies the outcome. Credentials in the URL are sent as Basic auth; error
 * text names the URL without credentials or query and never contains `secrets`.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number, secrets: readonly (string | undefined)[] = []): Promise<SendResult> {
  const where = safeUrl(url);
  const target = new URL(url);
  const hidden = [...secrets, target.password, target.search.slice(1)];
  const sent = { ...headers };
  // fetch refuses credentials in the URL: they travel as Basic auth instead.
  if (target.username !== '' || target.password !== '') {
    sent.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
    hidden.push(sent.authorization.slice(6));
    target.username = '';
    target.password = '';
  }
  try {
    const response = await fetch(target, { method: 'POST', body, headers: sent, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const text = await response.text().catch(() => '');
    if (response.ok) return { ok: true, retryable: false };
    const detail = redact(`${where} answered ${response.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`, hidden);
    return { ok: false, retryable: response.status >= 500, error: detail };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, retryable: true, error: redact(`${where}: ${reason}`, hidden) };
  }
}
