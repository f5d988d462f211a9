/**
 * Reading Prometheus text exposition (format 0.0.4, what the JMX exporter, node_exporter and
 * prom-client serve): fetch an endpoint with a timeout and parse its sample lines. Comment lines
 * (HELP, TYPE) are skipped; timestamps on lines are ignored (the cycle's time is used).
 * See https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format.
 */
import { SluiceError } from '../errors.ts';

/** One sample line. */
export interface ScrapedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  return Number(text);
}

/** Parses the labels inside `{…}` starting at `i` (just after `{`); returns them and the index after `}`. */
function parseLabels(line: string, i: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return [labels, i + 1];
    const eq = line.indexOf('=', i);
    if (eq < 0 || line.charCodeAt(eq + 1) !== 34 /* " */) throw new Error('malformed label');
    const name = line.slice(i, eq).trim();
    const close = line.indexOf('"', eq + 2);
    if (close < 0) throw new Error('unterminated label value');
    const backslash = line.indexOf('\\', eq + 2);
    if (backslash < 0 || backslash > close) {
      // No escapes: the value is the text between the quotes.
      labels[name] = line.slice(eq + 2, close);
      i = close + 1;
      continue;
    }
    let value = '';
    let j = eq + 2;
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\') {
        const next = line[++j];
        value += next === 'n' ? '\n' : next;
      } else value += line[j];
    }
    if (j >= line.length) throw new Error('unterminated label value');
    labels[name] = value;
    i = j + 1;
  }
}

/** Whether the char code is whitespace that ends a token (space, tab, CR and the like). */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10 || c === 11 || c === 12 || c === 160 || c === 0xfeff || (c > 0x1000 && /\s/.test(String.fromCharCode(c)));
}

/** Parses one trimmed, non-empty, non-comment line; throws when it is malformed. */
function parseLine(line: string): ScrapedSample {
  let i = 0;
  const n = line.length;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 123 /* { */ || c === 32 || c === 9) break;
  }
  const name = line.slice(0, i);
  let labels: Record<string, string> = {};
  if (line.charCodeAt(i) === 123) [labels, i] = parseLabels(line, i + 1);
  while (i < n && isSpace(line.charCodeAt(i))) i++;
  let end = i;
  while (end < n && !isSpace(line.charCodeAt(end))) end++;
  const text = line.slice(i, end);
  const value = parseValue(text);
  if (name === '' || text === '' || (Number.isNaN(value) && text !== 'NaN')) throw new Error('bad value');
  return { name, labels, value };
}

/**
 * Parses exposition text. Malformed lines are skipped and counted in `bad`, so that one odd
 * series does not cost the whole scrape.
 */
export function parsePrometheusText(text: string): { samples: ScrapedSample[]; bad: number } {
  const samples: ScrapedSample[] = [];
  let bad = 0;
  let from = 0;
  while (from <= text.length) {
    let nl = text.indexOf('\n', from);
    if (nl < 0) nl = text.length;
    const first = text.charCodeAt(from);
    // Most lines need no trimming: they start with a name or '#' and end without spaces.
    let line = text.slice(from, nl);
    if (isSpace(first) || (line.length > 0 && isSpace(line.charCodeAt(line.length - 1)))) line = line.trim();
    from = nl + 1;
    if (line === '' || line.charCodeAt(0) === 35 /* # */) continue;
    try {
      samples.push(parseLine(line));
    } catch {
      bad++;
    }
  }
  return { samples, bad };
}

/** Fetches and parses one endpoint; throws SLUICE_ERR_COLLECT_SCRAPE naming the URL on failure. */
export async function scrape(url: string, timeoutMs: number): Promise<ScrapedSample[]> {
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'text/plain; version=0.0.4' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = await res.text();
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_COLLECT_SCRAPE', `${url}: ${(err as Error).message}`, { cause: err, path: url });
  }
  return parsePrometheusText(text).samples;
}

/** host:port of a URL, the `instance` label Prometheus would give its series. */
export function instanceOf(url: string): string {
  return new URL(url).host;
}
