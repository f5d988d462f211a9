/**
 * Keeping secrets out of error text and logs: SMTP passwords, HMAC keys and credentials in URLs
 * are replaced before a message leaves a receiver, as Alertmanager does with its `<secret>`s.
 */

/** What stands in for a removed secret. */
export const REDACTED = '[redacted]';

/** `text` with every occurrence of each non-empty secret replaced. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret !== undefined && secret !== '') out = out.split(secret).join(REDACTED);
  return out;
}

/** A URL fit for logs: no user info, no query (webhook tokens often travel there). */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search === '' ? '' : '?' + REDACTED}`;
  } catch {
    return REDACTED;
  }
}
