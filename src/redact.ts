/**
 * Keeping secrets out of everything Sluice prints, logs or answers: database URLs (in every form
 * an operator may write one), SMTP passwords, HMAC keys and webhook tokens. Prometheus and
 * Alertmanager do the same with their `<secret>`s. Redaction errs on the side of hiding: a URL
 * that cannot be parsed loses everything that might be a password, never more than that.
 */

/** What stands in for a removed secret. */
export const REDACTED = '[redacted]';

/** Names of query or keyword parameters whose values are credentials (libpq's and common ones). */
const SECRET_NAMES = 'password|passwd|pwd|pass|sslpassword|sslkey|secret|token|api[_-]?key|access[_-]?token';
/** In a URL's query a value runs to the next `&` or `#`; quotes are ordinary characters there. */
const QUERY_SECRETS = new RegExp(`(^|[?&;])(${SECRET_NAMES})(=)([^&#]*)`, 'gi');
/** libpq's keyword form: `name = value` or `name = 'quoted \\' value'`, separated by whitespace. */
const KEYWORD_SECRETS = new RegExp(`(^|\\s)(${SECRET_NAMES})(\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'?|\\S*)`, 'gi');

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * `url` fit for output: the password of its user info and every credential parameter replaced,
 * the user name, host, port, path and other parameters kept. Works on any string, parsable or
 * not: `postgres://user:p@ss/w?rd@host/db` (reserved characters unencoded: everything up to the
 * last `@` is user info), `postgres://:pw@host` (empty user), `?password=…`, libpq's keyword
 * form `host=h password='…'`.
 */
export function redactUrl(url: string): string {
  const scheme = SCHEME.exec(url);
  if (scheme === null) return redactParams(url, KEYWORD_SECRETS);
  const rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  if (at < 0) return scheme[0] + redactParams(rest, QUERY_SECRETS);
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : `${userinfo.slice(0, colon)}:${REDACTED}`;
  return scheme[0] + user + redactParams(rest.slice(at), QUERY_SECRETS);
}

function redactParams(text: string, params: RegExp): string {
  return text.replace(params, (_all, lead: string, name: string, eq: string) => `${lead}${name}${eq}${REDACTED}`);
}

/**
 * The secrets a URL carries, as they may be echoed in a library's error text: the password as
 * written and percent-decoded, and each credential parameter's value.
 */
export function urlSecrets(url: string): string[] {
  const out = new Set<string>();
  const scheme = SCHEME.exec(url);
  const rest = scheme === null ? url : url.slice(scheme[0].length);
  const at = scheme === null ? -1 : rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) addWithDecoded(out, userinfo.slice(colon + 1));
  }
  for (const match of rest.matchAll(scheme === null ? KEYWORD_SECRETS : QUERY_SECRETS)) {
    const value = match[4]!;
    if (scheme !== null || !value.startsWith("'")) addWithDecoded(out, value);
    else addWithDecoded(out, value.slice(1, value.endsWith("'") && value.length > 1 ? -1 : undefined).replace(/\\(.)/g, '$1'));
  }
  return [...out];
}

function addWithDecoded(out: Set<string>, raw: string): void {
  if (raw === '') return;
  out.add(raw);
  try {
    const decoded = decodeURIComponent(raw);
    if (decoded !== '') out.add(decoded);
  } catch {
    // Not valid percent-encoding: the raw form is all a library can echo.
  }
}

/** `text` with every occurrence of each non-empty secret replaced, longest first. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  const sorted = secrets.filter((s): s is string => s !== undefined && s !== '').sort((a, b) => b.length - a.length);
  for (const secret of sorted) out = out.split(secret).join(REDACTED);
  return out;
}

/** `text` (e.g. a database driver's error message) with `url` and every secret in it replaced. */
export function redactUrlIn(text: string, url: string): string {
  return redact(text.split(url).join(redactUrl(url)), urlSecrets(url));
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
