/**
 * Email integration: one message per notification over SMTP (nodemailer), with a text and an
 * HTML body and Alertmanager's default subject. As Alertmanager, `require_tls` demands
 * STARTTLS and its absence means plain SMTP (port 465 speaks TLS from the start). SMTP 4xx
 * answers and connection problems are retryable; 5xx answers (refused recipient, bad
 * credentials) are final. The Message-ID is the same on every attempt of one notification, so a
 * mail sent again after a crash (see the outbox) is one message to mail systems that drop
 * repeated ids. https://prometheus.io/docs/alerting/latest/configuration/#email_config
 */
import { createTransport } from 'nodemailer';
import type { EmailConfig } from '../config.ts';
import { redact } from '../../redact.ts';
import type { Notification, Receiver, SendResult } from '../types.ts';
import { htmlBody, textBody } from './email-body.ts';
import { defaultSubject } from './payload.ts';

const TIMEOUT_MS = 30_000;
/** Headers that set the envelope or the subject rather than being copied as they are. */
const SPECIAL_HEADERS = new Set(['subject', 'to', 'from']);

/** The Message-ID of notification `id`, in the domain of the sender address. */
export function messageId(id: string, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'sluice.invalid';
  return `<${id}.sluice@${domain}>`;
}

/** Delivers notifications to one email address list through one smarthost. */
export class EmailReceiver implements Receiver {
  constructor(private readonly config: EmailConfig) {}

  async send(n: Notification): Promise<SendResult> {
    const { config } = this;
    const separator = config.smarthost.lastIndexOf(':');
    const host = config.smarthost.slice(0, separator).replace(/^\[|\]$/g, '');
    const port = Number(config.smarthost.slice(separator + 1));
    const header = (name: string): string | undefined => Object.entries(config.headers).find(([k]) => k.toLowerCase() === name)?.[1];
    const transport = createTransport({
      host,
      port,
      secure: port === 465,
      requireTLS: config.require_tls && port !== 465,
      ignoreTLS: !config.require_tls,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
      ...(config.auth_username === undefined ? {} : { auth: { user: config.auth_username, pass: config.auth_password ?? '' } }),
    });
    try {
      await transport.sendMail({
        from: header('from') ?? config.from,
        to: header('to') ?? config.to,
        subject: header('subject') ?? defaultSubject(n),
        text: config.text ?? textBody(n),
        html: config.html ?? htmlBody(n),
        headers: Object.fromEntries(Object.entries(config.headers).filter(([k]) => !SPECIAL_HEADERS.has(k.toLowerCase()))),
        ...(n.id === undefined ? {} : { messageId: messageId(n.id, config.from) }),
      });
      return { ok: true, retryable: false };
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string };
      const retryable = e.responseCode === undefined ? true : e.responseCode < 500;
      const reason = `${config.smarthost}: ${e.code === undefined ? '' : `${e.code} `}${e.message}`;
      return { ok: false, retryable, error: redact(reason, [config.auth_password]) };
    } finally {
      transport.close();
    }
  }
}
