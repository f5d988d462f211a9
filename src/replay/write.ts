/**
 * Writes a fixture directory (format.ts). The output depends only on the fixture: series sorted,
 * labels sorted, a gzip header without a time, so the same data gives the same bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SluiceError } from '../errors.ts';
import { encodeValue, FIXTURE_FILES, FIXTURE_FORMAT, FIXTURE_VERSION, sortSeries, type Fixture, type FixtureMeta, type FixtureSeries } from './format.ts';

/** fixture.json's text. */
export function metaJson(meta: FixtureMeta): string {
  const doc = {
    format: FIXTURE_FORMAT,
    version: FIXTURE_VERSION,
    name: meta.name,
    cluster: meta.cluster,
    from: new Date(meta.from).toISOString(),
    to: new Date(meta.to).toISOString(),
    incidentStart: new Date(meta.incidentStart).toISOString(),
    ...(meta.rulesStart === undefined ? {} : { rulesStart: new Date(meta.rulesStart).toISOString() }),
    scrapeIntervalSeconds: meta.scrapeIntervalSeconds,
    description: meta.description,
    source: meta.source,
    series: meta.seriesCount,
    samples: meta.sampleCount,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function sortedLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(labels).sort()) out[name] = labels[name]!;
  return out;
}

/** One line of series.jsonl: `start` is the first time (ms), `dt` the ms from each sample to the next. */
export function seriesLine(s: FixtureSeries): string {
  const dt: number[] = [];
  for (let i = 1; i < s.ts.length; i++) dt.push(s.ts[i]! - s.ts[i - 1]!);
  return JSON.stringify({ metric: s.metric, labels: sortedLabels(s.labels), start: s.ts.length > 0 ? s.ts[0] : null, dt, values: Array.from(s.values, encodeValue) });
}

/** series.jsonl, uncompressed. */
export function seriesJsonl(series: readonly FixtureSeries[]): string {
  return sortSeries(series).map((s) => `${seriesLine(s)}\n`).join('');
}

/** events.jsonl. */
export function eventsJsonl(fixture: Fixture): string {
  return fixture.events.map((e) => `${JSON.stringify({ ts: e.ts, time: new Date(e.ts).toISOString(), kind: e.kind, subject: e.subject, details: e.details })}\n`).join('');
}

/**
 * Writes `fixture` into `dir` (created if missing): fixture.json, series.jsonl.gz and
 * events.jsonl. An expected.yaml already there is left alone. The counts in the metadata are
 * those of the series written.
 */
export async function writeFixture(dir: string, fixture: Fixture): Promise<FixtureMeta> {
  const sampleCount = fixture.series.reduce((n, s) => n + s.ts.length, 0);
  const meta: FixtureMeta = { ...fixture.meta, seriesCount: fixture.series.length, sampleCount };
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, FIXTURE_FILES.meta), metaJson(meta));
    await writeFile(join(dir, FIXTURE_FILES.series), gzipSync(Buffer.from(seriesJsonl(fixture.series)), { level: 9 }));
    await writeFile(join(dir, FIXTURE_FILES.events), eventsJsonl(fixture));
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_FIXTURE_FILE', `${dir}: the fixture could not be written: ${(err as Error).message}`, { cause: err, path: dir });
  }
  return meta;
}
