/**
 * Text into the status page's HTML. Group ids, client ids, topics, label values and reasons come
 * from the clusters and are untrusted: every one goes through `text` (or `href`), which escapes
 * what HTML gives meaning to and makes the invisible visible, so that a name can neither break
 * the page nor pass for another. Pure.
 */

/** Characters HTML gives meaning to, in text and in quoted attribute values. */
const SPECIAL: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A surrogate without its other half: not a character, and not encodable in UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** C0 controls and DEL: NUL is a parse error in HTML and the others show as nothing. */
const CONTROL = /[\u0000-\u001F\u007F]/g;

/** `value` with each lone surrogate replaced by U+FFFD, as a UTF-8 encoder would. */
export function wellFormed(value: string): string {
  return value.replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * `value` as HTML text or a quoted attribute value: `& < > " '` escaped, C0 controls and DEL
 * shown as their Unicode control pictures (NUL as ␀, a newline as ␊), lone surrogates as �.
 */
export function text(value: string): string {
  return wellFormed(value)
    .replace(CONTROL, (c) => String.fromCharCode(c === '\u007F' ? 0x2421 : 0x2400 + c.charCodeAt(0)))
    .replace(/[&<>"']/g, (c) => SPECIAL[c]!);
}

/** A path with a query string, escaped for an attribute: every parameter value percent-encoded. */
export function href(path: string, query: Readonly<Record<string, string>>): string {
  const params = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(wellFormed(v))}`);
  return text(params.length === 0 ? path : `${path}?${params.join('&')}`);
}

/** The slots of the page shell (index.html): `{{title}}`, `{{refreshMs}}`, `{{updated}}`, `{{main}}`. */
export interface ShellSlots {
  /** Plain text; escaped here. */
  readonly title: string;
  readonly refreshMs: number;
  /** HTML. */
  readonly updated: string;
  /** HTML. */
  readonly main: string;
}

const SLOT = /\{\{(title|refreshMs|updated|main)\}\}/g;

/** Checks that `template` has each slot once; throws naming the one that is missing or repeated. */
export function checkShell(template: string): void {
  for (const name of ['title', 'refreshMs', 'updated', 'main']) {
    const count = template.split(`{{${name}}}`).length - 1;
    if (count !== 1) throw new Error(`status page template: expected {{${name}}} once, found it ${count} times`);
  }
}

/** The page: `template` with its slots filled (in one pass, so that filled-in text is never read as a slot). */
export function fillShell(template: string, slots: ShellSlots): string {
  const values: Record<string, string> = { title: text(slots.title), refreshMs: String(Math.round(slots.refreshMs)), updated: slots.updated, main: slots.main };
  return template.replace(SLOT, (_, name: string) => values[name]!);
}
