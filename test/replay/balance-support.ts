/**
 * A small recorded fixture for the balancing what-if: cluster `east`, brokers 1, 2 and 3 up,
 * topic `orders` with four single-replica partitions of 100-byte messages, sampled every minute
 * for ten minutes. orders-0 (10 msg/s, 1000 B/s) and orders-1 (6 msg/s, 600 B/s) live on
 * broker 1, orders-2 (2 msg/s) on broker 2, orders-3 (2 msg/s) on broker 3; group billing reads
 * orders-0 at 5 msg/s (its lag grows by 5 msg/s) and keeps up with the others.
 */
import type { Fixture, FixtureSeries } from '../../src/replay/format.ts';

export const FIXTURE_START = Date.UTC(2026, 11, 1, 10, 0, 0);
const MIN = 60_000;
const SAMPLES = 11;
/** Messages/s of orders-0..3, and the broker holding each. */
export const RATES = [10, 6, 2, 2] as const;
export const HOMES = ['1', '1', '2', '3'] as const;

function seriesOf(metric: string, labels: Record<string, string>, value: (i: number) => number): FixtureSeries {
  const ts = new Float64Array(SAMPLES);
  const values = new Float64Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) {
    ts[i] = FIXTURE_START + i * MIN;
    values[i] = value(i);
  }
  return { metric, labels: { cluster: 'east', ...labels }, ts, values };
}

/** The fixture in memory (write it with writeFixture). */
export function skewedFixture(): Fixture {
  const series: FixtureSeries[] = [];
  for (const b of ['1', '2', '3']) series.push(seriesOf('sluice_cluster_broker_up', { broker: b }, () => 1));
  RATES.forEach((rate, p) => {
    const labels = { topic: 'orders', partition: String(p) };
    const offset = (i: number): number => rate * 60 * (i + 100);
    series.push(seriesOf('kafka_partition_latest_offset', labels, offset));
    series.push(seriesOf('kafka_partition_earliest_offset', labels, () => 0));
    series.push(seriesOf('kafka_log_log_size', { ...labels, broker: HOMES[p]! }, (i) => offset(i) * 100));
    series.push(seriesOf('kafka_consumergroup_group_lag', { ...labels, group: 'billing' }, (i) => (p === 0 ? 300 * i : 0)));
  });
  return {
    meta: {
      version: 1, name: 'balance-skew', cluster: 'east', from: FIXTURE_START, to: FIXTURE_START + (SAMPLES - 1) * MIN, incidentStart: FIXTURE_START,
      scrapeIntervalSeconds: 60, description: 'broker 1 carries 1600 B/s of the 2000 B/s produced', source: { kind: 'synthetic', command: 'test/replay/balance-support.ts' },
      seriesCount: series.length, sampleCount: series.length * SAMPLES,
    },
    series,
    events: [],
  };
}
