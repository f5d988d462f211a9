/**
 * Shared pieces of the replay tests: a CLI context that captures output, small fixtures built in
 * code, and temporary directories.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { Fixture, FixtureSeries } from '../../src/replay/format.ts';
import type { Querier } from '../../src/store/types.ts';

export { captureContext } from '../helpers/cli.ts';

/** A temporary directory removed when the test file ends. */
export async function tempDir(prefix = 'sluice-replay-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** 2026-12-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);

/** A series sampled every `stepMs` from `from` for `count` samples, values from `value(i, t)`. */
export function regularSeries(metric: string, labels: Record<string, string>, from: number, stepMs: number, count: number, value: (i: number, t: number) => number): FixtureSeries {
  const ts = new Float64Array(count);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    ts[i] = from + i * stepMs;
    values[i] = value(i, ts[i]!);
  }
  return { metric, labels, ts, values };
}

/** A fixture over [from, to] of cluster `c1` holding `series`. */
export function fixtureOf(series: FixtureSeries[], options: { from?: number; to?: number; name?: string; incidentStart?: number; cluster?: string } = {}): Fixture {
  const from = options.from ?? T0;
  const to = options.to ?? Math.max(from, ...series.map((s) => s.ts[s.ts.length - 1] ?? from));
  return {
    meta: {
      version: 1, name: options.name ?? 'test', cluster: options.cluster ?? 'c1', from, to, incidentStart: options.incidentStart ?? from, scrapeIntervalSeconds: 10,
      description: 'made in a test', source: { kind: 'synthetic', command: 'test' },
      seriesCount: series.length, sampleCount: series.reduce((n, s) => n + s.ts.length, 0),
    },
    series,
    events: [],
  };
}

/** Every series of a Querier (e.g. a SeriesSet built for other tests) as fixture series. */
export async function seriesOf(querier: Querier): Promise<FixtureSeries[]> {
  return (await querier.select([], -Infinity, Infinity)).map((s) => ({ metric: s.metric, labels: { ...s.labels }, ts: Float64Array.from(s.ts), values: Float64Array.from(s.values) }));
}

/** Broker 1 down from +0 to +15 min; partitions under-replicated from +0 to +20 min; 40 min sampled every 10 s. */
export function brokerDownFixture() {
  const start = T0 + 10 * MIN_MS;
  const n = 241;
  const series = [0, 1, 2].map((b) => regularSeries('sluice_cluster_broker_up', { cluster: 'c1', broker: String(b) }, T0, 10_000, n, (_, t) => (b === 1 && t >= start && t < start + 15 * MIN_MS ? 0 : 1)));
  series.push(regularSeries('kafka_server_replicamanager_underreplicatedpartitions', { cluster: 'c1', broker: '0' }, T0, 10_000, n, (_, t) => (t >= start && t < start + 20 * MIN_MS ? 3 : 0)));
  return fixtureOf(series, { incidentStart: start, name: 'broker-down-synthetic' });
}


const MIN_MS = 60_000;
