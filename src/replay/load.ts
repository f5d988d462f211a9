/**
 * Reads a fixture directory (format.ts), checking everything before replay sees it: the format
 * and version, the metadata, every series (names, labels, the cluster, times rising, values) and
 * every event. A problem is one SluiceError (SLUICE_ERR_FIXTURE_INVALID, exit code 2) naming the
 * file and line, e.g. `fixtures/incidents/x/series.jsonl.gz:12: sample 40: time 1700000000000 is
 * not after the previous one (1700000010000)`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { SluiceError } from '../errors.ts';
import { LABEL_NAME, METRIC_NAME } from '../labels.ts';
import {
  decodeValue,
  FIXTURE_FILES,
  FIXTURE_FORMAT,
  FIXTURE_VERSION,
  seriesKey,
  type Fixture,
  type FixtureEvent,
  type FixtureMeta,
  type FixtureSeries,
  type FixtureSource,
} from './format.ts';

function invalid(file: string, line: number | undefined, message: string, cause?: unknown): SluiceError {
  const where = line === undefined ? file : `${file}:${line}`;
  return new SluiceError('SLUICE_ERR_FIXTURE_INVALID', `${where}: ${message}`, { path: where, ...(cause === undefined ? {} : { cause }) });
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SluiceError('SLUICE_ERR_FIXTURE_FILE', `${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err, path });
  }
}

/** The 1-based line of character `offset` in `text`. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The line a JSON.parse error points at, when its message says where. */
function jsonErrorLine(text: string, err: unknown): number | undefined {
  const m = /position (\d+)/.exec((err as Error).message);
  return m === null ? undefined : lineAt(text, Number(m[1]));
}

/** The first line of `text` on which `"key"` appears as a key (for metadata errors). */
function keyLine(text: string, key: string): number | undefined {
  const at = text.indexOf(`"${key}"`);
  return at < 0 ? undefined : lineAt(text, at);
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\dT/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Reads and checks fixture.json. */
export function parseMeta(text: string, file: string): FixtureMeta {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw invalid(file, jsonErrorLine(text, err), `not valid JSON: ${(err as Error).message}`, err);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid(file, 1, 'expected a JSON object');
  const d = doc as Record<string, unknown>;
  const bad = (key: string, message: string): SluiceError => invalid(file, keyLine(text, key) ?? 1, `${key}: ${message}`);
  if (d.format !== FIXTURE_FORMAT) throw bad('format', `expected "${FIXTURE_FORMAT}", got ${JSON.stringify(d.format)}`);
  if (d.version !== FIXTURE_VERSION) {
    throw bad('version', `unknown fixture version ${JSON.stringify(d.version)}: this Sluice reads version ${FIXTURE_VERSION}`);
  }
  const str = (key: string, required = true): string => {
    const v = d[key];
    if (v === undefined && !required) return '';
    if (typeof v !== 'string' || (required && v === '')) throw bad(key, `expected a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  };
  const time = (key: string): number => {
    const ms = parseTime(d[key]);
    if (ms === undefined) throw bad(key, `expected an ISO 8601 time such as 2026-12-01T10:00:00.000Z, got ${JSON.stringify(d[key])}`);
    return ms;
  };
  const count = (key: string): number => {
    const v = d[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw bad(key, `expected a count, got ${JSON.stringify(v)}`);
    return v;
  };
  const name = str('name');
  const cluster = str('cluster');
  const from = time('from');
  const to = time('to');
  if (to < from) throw bad('to', `${new Date(to).toISOString()} is before from ${new Date(from).toISOString()}`);
  const incidentStart = d.incidentStart === undefined ? from : time('incidentStart');
  const rulesStart = d.rulesStart === undefined ? undefined : time('rulesStart');
  const scrape = d.scrapeIntervalSeconds;
  if (typeof scrape !== 'number' || !(scrape > 0)) throw bad('scrapeIntervalSeconds', `expected a positive number of seconds, got ${JSON.stringify(scrape)}`);
  const source = d.source;
  if (typeof source !== 'object' || source === null || !['recorded', 'synthetic'].includes((source as { kind?: unknown }).kind as string)) {
    throw bad('source', 'expected an object with kind "recorded" or "synthetic"');
  }
  return {
    version: FIXTURE_VERSION, name, cluster, from, to, incidentStart, ...(rulesStart === undefined ? {} : { rulesStart }), scrapeIntervalSeconds: scrape,
    description: str('description', false), source: source as FixtureSource, seriesCount: count('series'), sampleCount: count('samples'),
  };
}

/** Decompresses series.jsonl.gz; a truncated or corrupt file is reported at the line where the data stops. */
function gunzipSeries(bytes: Buffer, file: string): string {
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (err) {
    let partial = '';
    try {
      partial = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    } catch {
      // Not even a gzip header: nothing was readable.
    }
    const complete = partial.length === 0 ? 0 : partial.split('\n').length - 1;
    const what = (err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'truncated: the compressed data ends' : `corrupt (${(err as Error).message})`;
    throw invalid(file, complete + 1, `${what} after ${complete} complete line${complete === 1 ? '' : 's'}`, err);
  }
}

/** Reads and checks one line of series.jsonl. */
export function parseSeriesLine(text: string, file: string, line: number, cluster: string, range: { from: number; to: number }): FixtureSeries {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw invalid(file, line, `not valid JSON: ${(err as Error).message}`, err);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid(file, line, 'expected a JSON object with metric, labels, start, dt and values');
  const d = doc as Record<string, unknown>;
  const metric = d.metric;
  if (typeof metric !== 'string' || !METRIC_NAME.test(metric)) throw invalid(file, line, `metric: expected a metric name such as kafka_server_brokertopicmetrics_bytesin_total, got ${JSON.stringify(metric)}`);
  const rawLabels = d.labels;
  if (typeof rawLabels !== 'object' || rawLabels === null || Array.isArray(rawLabels)) throw invalid(file, line, `${metric}: labels: expected an object of label names to strings`);
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(rawLabels as Record<string, unknown>)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw invalid(file, line, `${metric}: label name ${JSON.stringify(name)} is invalid (letters, digits and _, not starting with a digit or __)`);
    if (typeof value !== 'string') throw invalid(file, line, `${metric}: label ${name}: expected a string value, got ${JSON.stringify(value)}`);
    if (value === '') throw invalid(file, line, `${metric}: label ${name}: empty values are not stored; leave the label out`);
    labels[name] = value;
  }
  if (labels.cluster !== cluster) throw invalid(file, line, `${metric}: label cluster is ${JSON.stringify(labels.cluster)}, the fixture's cluster is ${JSON.stringify(cluster)}`);
  const dt = d.dt;
  const values = d.values;
  if (!Array.isArray(dt) || !Array.isArray(values)) throw invalid(file, line, `${metric}: dt and values must be arrays`);
  if (values.length === 0) throw invalid(file, line, `${metric}: a series needs at least one sample`);
  if (dt.length !== values.length - 1) throw invalid(file, line, `${metric}: ${values.length} values need ${values.length - 1} time deltas, got ${dt.length}`);
  const start = d.start;
  if (typeof start !== 'number' || !Number.isInteger(start)) throw invalid(file, line, `${metric}: start: expected the first sample's time in ms since the epoch, got ${JSON.stringify(start)}`);
  const ts = new Float64Array(values.length);
  const vs = new Float64Array(values.length);
  let t = start;
  for (let i = 0; i < values.length; i++) {
    if (i > 0) {
      const step = dt[i - 1];
      if (typeof step !== 'number' || !Number.isInteger(step)) throw invalid(file, line, `${metric}: sample ${i + 1}: time delta ${JSON.stringify(step)} is not an integer number of ms`);
      if (step <= 0) throw invalid(file, line, `${metric}: sample ${i + 1}: time ${t + step} is not after the previous sample's ${t} (timestamps must rise)`);
      t += step;
    }
    if (t < range.from || t > range.to) throw invalid(file, line, `${metric}: sample ${i + 1}: time ${new Date(t).toISOString()} is outside the fixture's window`);
    const v = decodeValue(values[i]);
    if (v === undefined) throw invalid(file, line, `${metric}: sample ${i + 1}: value ${JSON.stringify(values[i])} is not a number (or "NaN", "+Inf", "-Inf", "stale")`);
    ts[i] = t;
    vs[i] = v;
  }
  return { metric, labels, ts, values: vs };
}

/** Reads and checks events.jsonl. */
export function parseEvents(text: string, file: string, range: { from: number; to: number }): FixtureEvent[] {
  const out: FixtureEvent[] = [];
  const lines = text.split('\n');
  let last = -Infinity;
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let doc: unknown;
    try {
      doc = JSON.parse(raw);
    } catch (err) {
      throw invalid(file, line, `not valid JSON: ${(err as Error).message}`, err);
    }
    const d = doc as Record<string, unknown>;
    if (typeof d !== 'object' || d === null || typeof d.ts !== 'number' || typeof d.kind !== 'string' || typeof d.subject !== 'string') {
      throw invalid(file, line, 'expected an object with ts (ms), kind and subject');
    }
    if (d.ts < last) throw invalid(file, line, `event time ${d.ts} is before the previous event's ${last} (events must be in time order)`);
    if (d.ts < range.from || d.ts > range.to) throw invalid(file, line, `event time ${new Date(d.ts).toISOString()} is outside the fixture's window`);
    last = d.ts;
    const details = typeof d.details === 'object' && d.details !== null ? (d.details as Record<string, unknown>) : {};
    out.push({ ts: d.ts, kind: d.kind, subject: d.subject, details });
  });
  return out;
}

/** Reads and checks the fixture in `dir`. */
export async function loadFixture(dir: string): Promise<Fixture> {
  const metaFile = join(dir, FIXTURE_FILES.meta);
  const metaText = (await readBytes(metaFile)).toString('utf8');
  const meta = parseMeta(metaText, metaFile);
  const seriesFile = join(dir, FIXTURE_FILES.series);
  const text = gunzipSeries(await readBytes(seriesFile), seriesFile);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  else if (lines.length > 0) throw invalid(seriesFile, lines.length, 'the last line has no newline: the file was cut short');
  const series: FixtureSeries[] = [];
  const seen = new Map<string, number>();
  let samples = 0;
  for (let i = 0; i < lines.length; i++) {
    const s = parseSeriesLine(lines[i]!, seriesFile, i + 1, meta.cluster, meta);
    const key = seriesKey(s.metric, s.labels);
    const first = seen.get(key);
    if (first !== undefined) throw invalid(seriesFile, i + 1, `${s.metric}: the same series as line ${first}`);
    seen.set(key, i + 1);
    samples += s.ts.length;
    series.push(s);
  }
  if (series.length !== meta.seriesCount || samples !== meta.sampleCount) {
    throw invalid(metaFile, keyLine(metaText, 'series'), `says ${meta.seriesCount} series and ${meta.sampleCount} samples, ${FIXTURE_FILES.series} holds ${series.length} and ${samples}`);
  }
  const eventsFile = join(dir, FIXTURE_FILES.events);
  let eventsText = '';
  try {
    eventsText = await readFile(eventsFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new SluiceError('SLUICE_ERR_FIXTURE_FILE', `${eventsFile}: ${(err as Error).message}`, { cause: err, path: eventsFile });
  }
  return { dir, meta, series, events: parseEvents(eventsText, eventsFile, meta) };
}
