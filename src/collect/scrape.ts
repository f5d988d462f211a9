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
    if (eq < 0 || line[eq + 1] !== '"') throw new Error('malformed label');
    const name = line.slice(i, eq).trim();
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

/**
 * Parses exposition text. Malformed lines are skipped and counted in `bad`, so that one odd
 * series does not cost the whole scrape.
 */
export function parsePrometheusText(text: string): { samples: ScrapedSample[]; bad: number } {
  const samples: ScrapedSample[] = [];
  let bad = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line[0] === '#') continue;
    try {
      let i = 0;
      while (i < line.length && line[i] !== '{' && line[i] !== ' ' && line[i] !== '\t') i++;
      const name = line.slice(0, i);
      let labels: Record<string, string> = {};
      if (line[i] === '{') [labels, i] = parseLabels(line, i + 1);
      const rest = line.slice(i).trim().split(/\s+/);
      const value = parseValue(rest[0] ?? '');
      if (name === '' || rest[0] === undefined || rest[0] === '' || (Number.isNaN(value) && rest[0] !== 'NaN')) throw new Error('bad value');
      samples.push({ name, labels, value });
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
