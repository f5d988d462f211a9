/**
 * Lag series of one cycle: exact names, labels and values; partitions without a commit absent;
 * negative lag clamped and flagged; time lag absent where the table cannot tell.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeLagSamples, offsetLag, type LagCycleInput } from '../../../src/collect/lag/lag.ts';
import { OffsetTimeTables } from '../../../src/collect/lag/time-lag.ts';
import { lagErrors } from '../../../src/collect/topics.ts';
import type { LagFlag } from '../../../src/collect/lag/lag.ts';

const S = 1000;
const NOW = 1_700_000_060_000;

/** Tables where every partition's log end went from 0 at NOW - 60 s to `end` at NOW. */
function tablesFor(ends: Array<[string, number, number]>): OffsetTimeTables {
  const tables = new OffsetTimeTables();
  for (const [topic, partition, end] of ends) {
    tables.append(topic, partition, 0, NOW - 60 * S);
    tables.append(topic, partition, end, NOW);
  }
  return tables;
}

function cycle(overrides: Partial<LagCycleInput> = {}): LagCycleInput {
  return {
    cluster: 'east',
    nowMs: NOW,
    groups: [
      {
        group: 'billing',
        offsets: [
          { topic: 'orders', partition: 0, offset: 400 },
          { topic: 'orders', partition: 1, offset: 600 },
          { topic: 'orders', partition: 2, offset: -1 },
          { topic: 'payments', partition: 0, offset: 90 },
        ],
      },
    ],
    logOffsets: [
      { topic: 'orders', partition: 0, start: 0, end: 600 },
      { topic: 'orders', partition: 1, start: 0, end: 600 },
      { topic: 'orders', partition: 2, start: 0, end: 600 },
      { topic: 'payments', partition: 0, start: 0, end: 120 },
    ],
    timeLag: tablesFor([
      ['orders', 0, 600],
      ['orders', 1, 600],
      ['orders', 2, 600],
      ['payments', 0, 120],
    ]),
    ...overrides,
  };
}

describe('computeLagSamples', () => {
  test('emits the kafka-lag-exporter series with exact labels and values; an uncommitted partition is absent', () => {
    const { samples, flags } = computeLagSamples(cycle());
    const billing = { cluster: 'east', group: 'billing' };
    assert.deepEqual(samples, [
      // orders/0: 600 - 400 = 200 behind; the log end was 400 at NOW - 20 s.
      { metric: 'kafka_consumergroup_group_lag', labels: { ...billing, topic: 'orders', partition: '0' }, value: 200 },
      { metric: 'kafka_consumergroup_group_lag_seconds', labels: { ...billing, topic: 'orders', partition: '0' }, value: 20 },
      // orders/1: caught up.
      { metric: 'kafka_consumergroup_group_lag', labels: { ...billing, topic: 'orders', partition: '1' }, value: 0 },
      { metric: 'kafka_consumergroup_group_lag_seconds', labels: { ...billing, topic: 'orders', partition: '1' }, value: 0 },
      // orders/2 has no commit: no sample at all. payments/0: 30 behind; 90 was reached at NOW - 15 s.
      { metric: 'kafka_consumergroup_group_lag', labels: { ...billing, topic: 'payments', partition: '0' }, value: 30 },
      { metric: 'kafka_consumergroup_group_lag_seconds', labels: { ...billing, topic: 'payments', partition: '0' }, value: 15 },
      { metric: 'kafka_consumergroup_group_topic_sum_lag', labels: { ...billing, topic: 'orders' }, value: 200 },
      { metric: 'kafka_consumergroup_group_topic_sum_lag', labels: { ...billing, topic: 'payments' }, value: 30 },
      { metric: 'kafka_consumergroup_group_sum_lag', labels: billing, value: 230 },
      { metric: 'kafka_consumergroup_group_max_lag', labels: billing, value: 200 },
      { metric: 'kafka_consumergroup_group_max_lag_seconds', labels: billing, value: 20 },
    ]);
    assert.deepEqual(flags, []);
  });

  test('a group with no commit at all has no series, not zeros', () => {
    const { samples } = computeLagSamples(
      cycle({
        groups: [
          {
            group: 'new-group',
            offsets: [
              { topic: 'orders', partition: 0, offset: -1 },
              { topic: 'orders', partition: 1, offset: -1 },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(samples, []);
  });

  test('clamps a committed offset past the log end to lag 0 and flags it', () => {
    const { samples, flags } = computeLagSamples(
      cycle({ groups: [{ group: 'fast', offsets: [{ topic: 'orders', partition: 0, offset: 605 }] }] }),
    );
    const labels = { cluster: 'east', group: 'fast', topic: 'orders', partition: '0' };
    assert.deepEqual(samples.slice(0, 2), [
      { metric: 'kafka_consumergroup_group_lag', labels, value: 0 },
      { metric: 'kafka_consumergroup_group_lag_seconds', labels, value: 0 },
    ]);
    assert.deepEqual(flags, [
      { kind: 'committed-beyond-log-end', group: 'fast', topic: 'orders', partition: 0, committed: 605, logStart: 0, logEnd: 600 },
    ]);
  });

  test('flags a commit below the log start and still counts the deleted messages', () => {
    const { samples, flags } = computeLagSamples(
      cycle({
        groups: [{ group: 'slow', offsets: [{ topic: 'orders', partition: 0, offset: 50 }] }],
        logOffsets: [{ topic: 'orders', partition: 0, start: 100, end: 600 }],
      }),
    );
    assert.equal(samples[0].value, 550);
    assert.deepEqual(flags, [
      { kind: 'committed-below-log-start', group: 'slow', topic: 'orders', partition: 0, committed: 50, logStart: 100, logEnd: 600 },
    ]);
  });

  test('leaves out time lag below the table, and the group max lag seconds covers the partitions that have one', () => {
    const tables = new OffsetTimeTables();
    tables.append('orders', 0, 500, NOW - 10 * S);
    tables.append('orders', 0, 600, NOW);
    tables.append('orders', 1, 0, NOW - 10 * S);
    tables.append('orders', 1, 600, NOW);
    const { samples } = computeLagSamples(
      cycle({
        groups: [
          {
            group: 'billing',
            offsets: [
              { topic: 'orders', partition: 0, offset: 100 },
              { topic: 'orders', partition: 1, offset: 300 },
            ],
          },
        ],
        timeLag: tables,
      }),
    );
    const billing = { cluster: 'east', group: 'billing' };
    assert.deepEqual(samples, [
      { metric: 'kafka_consumergroup_group_lag', labels: { ...billing, topic: 'orders', partition: '0' }, value: 500 },
      { metric: 'kafka_consumergroup_group_lag', labels: { ...billing, topic: 'orders', partition: '1' }, value: 300 },
      { metric: 'kafka_consumergroup_group_lag_seconds', labels: { ...billing, topic: 'orders', partition: '1' }, value: 5 },
      { metric: 'kafka_consumergroup_group_topic_sum_lag', labels: { ...billing, topic: 'orders' }, value: 800 },
      { metric: 'kafka_consumergroup_group_sum_lag', labels: billing, value: 800 },
      { metric: 'kafka_consumergroup_group_max_lag', labels: billing, value: 500 },
      { metric: 'kafka_consumergroup_group_max_lag_seconds', labels: billing, value: 5 },
    ]);
  });

  test('leaves out a partition whose log offsets were not read this cycle, and flags it', () => {
    const { samples, flags } = computeLagSamples(
      cycle({
        groups: [
          {
            group: 'billing',
            offsets: [
              { topic: 'orders', partition: 0, offset: 400 },
              { topic: 'orders', partition: 7, offset: 10 },
            ],
          },
        ],
      }),
    );
    assert.equal(samples.filter((s) => s.labels.partition === '7').length, 0);
    assert.equal(samples.find((s) => s.metric === 'kafka_consumergroup_group_sum_lag')?.value, 200);
    assert.deepEqual(flags, [{ kind: 'log-offsets-missing', group: 'billing', topic: 'orders', partition: 7, committed: 10 }]);
  });

  test('a stopped group under a steady producer: offset lag = produced - committed, time lag +1 s per s', () => {
    // 100 messages/s from t = 0; the group committed 1_000 (t = 10 s) and stopped.
    const tables = new OffsetTimeTables({ maxPoints: 200, maxAgeMs: 3600 * S });
    const seen: Array<[number, number]> = [];
    for (let t = 0; t <= 120; t += 15) {
      const end = t * 100;
      tables.append('orders', 0, end, t * S);
      const { samples } = computeLagSamples({
        cluster: 'east',
        nowMs: t * S,
        groups: [{ group: 'stopped', offsets: [{ topic: 'orders', partition: 0, offset: 1_000 }] }],
        logOffsets: [{ topic: 'orders', partition: 0, start: 0, end }],
        timeLag: tables,
      });
      const lag = samples.find((s) => s.metric === 'kafka_consumergroup_group_lag')!.value;
      const seconds = samples.find((s) => s.metric === 'kafka_consumergroup_group_lag_seconds')!.value;
      seen.push([lag, seconds]);
    }
    assert.deepEqual(seen, [
      [0, 0], // t = 0: the log end (0) is below the commit: clamped, and caught up for time lag
      [500, 5], // t = 15: 1_000 was reached at 10 s
      [2_000, 20],
      [3_500, 35],
      [5_000, 50],
      [6_500, 65],
      [8_000, 80],
      [9_500, 95],
      [11_000, 110],
    ]);
    // From the first reading past the commit on, 15 s of wall time add exactly 15 s of time lag.
    for (let i = 2; i < seen.length; i++) assert.equal(seen[i][1] - seen[i - 1][1], 15);
  });
});

describe('offsetLag', () => {
  test('is log end - committed, clamped at 0 with a flag', () => {
    assert.deepEqual(offsetLag(40, 100), { lag: 60, clamped: false });
    assert.deepEqual(offsetLag(100, 100), { lag: 0, clamped: false });
    assert.deepEqual(offsetLag(101, 100), { lag: 0, clamped: true });
  });
});

test('only a commit below the log start is a collection error; a commit past the earlier-read log end and missing log offsets are not', () => {
  const flags: LagFlag[] = [
    { kind: 'committed-beyond-log-end', group: 'fast', topic: 'orders', partition: 0, committed: 605, logStart: 0, logEnd: 600 },
    { kind: 'committed-below-log-start', group: 'slow', topic: 'orders', partition: 1, committed: 50, logStart: 100, logEnd: 600 },
    { kind: 'log-offsets-missing', group: 'slow', topic: 'orders', partition: 2, committed: 7 },
  ];
  assert.deepEqual(lagErrors(flags), [{ op: 'lag', subject: 'slow orders-1', message: 'committed-below-log-start: committed 50, log 100..600' }]);
});
