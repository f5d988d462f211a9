import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EMPTY_LATENCY } from '../../src/workload/latency.ts';
import { hashString, MessageFactory, payload } from '../../src/workload/messages.ts';
import { lagOf } from '../../src/workload/offsets.ts';
import {
  formatBytes,
  formatRate,
  formatStatus,
  formatSummary,
  timeLabel,
  type ConsumerSample,
  type ProducerSample,
  type StatusSample,
} from '../../src/workload/status.ts';

const noThrottle = { responses: 0, throttled: 0, totalMs: 0, maxMs: 0 };

function producer(overrides: Partial<ProducerSample>): ProducerSample {
  return { id: 'orders', clientId: 'orders', asked: 0, askedBytes: 0, acked: 0, ackedBytes: 0, failed: 0, shortfall: 0, throttle: noThrottle, ackLatency: EMPTY_LATENCY, ...overrides };
}

function consumer(overrides: Partial<ConsumerSample>): ConsumerSample {
  return { id: 'billing', group: 'billing', topics: ['orders'], consumed: 0, consumedBytes: 0, consumedBytesByTopic: {}, running: 1, rateCap: 0, errors: 0, throttle: noThrottle, ...overrides };
}

function sample(elapsedMs: number, producers: ProducerSample[], consumers: ConsumerSample[], timeScale = 1): StatusSample {
  return { elapsedMs, timeScale, producers, consumers };
}

describe('status lines', () => {
  test('formats bytes, rates and time labels', () => {
    assert.equal(formatBytes(850), '850 B');
    assert.equal(formatBytes(524_288), '512.0 KiB');
    assert.equal(formatBytes(1_310_720), '1.25 MiB');
    assert.equal(formatRate(2.345), '2.3');
    assert.equal(formatRate(499.6), '500');
    assert.equal(timeLabel(25_000, 1), '[25s]');
    assert.equal(timeLabel(25_000, 1440), '[25s = 10h]');
  });

  test('shows asked against achieved over the interval, throttle, shortfall, lag', () => {
    const before = sample(
      5000,
      [producer({ asked: 2500, askedBytes: 2_560_000, acked: 2500, ackedBytes: 2_560_000 })],
      [consumer({ consumed: 2400, consumedBytes: 2_457_600, lag: { lag: 100, partitions: 4, committed: 4 } })],
    );
    const now = sample(
      10_000,
      [
        producer({
          asked: 5000,
          askedBytes: 5_120_000,
          acked: 4000,
          ackedBytes: 4_096_000,
          shortfall: 300,
          failed: 200,
          throttle: { responses: 40, throttled: 12, totalMs: 3456, maxMs: 500 },
        }),
      ],
      [consumer({ consumed: 2900, consumedBytes: 2_969_600, rateCap: 100, lag: { lag: 1100, partitions: 4, committed: 4 } })],
    );
    assert.equal(
      formatStatus(before, now),
      '[10s] orders 300/500 msg/s 300.0 KiB/500.0 KiB/s throttle 3456ms in 12/40 responses short 300 failed 200 | ' +
        'billing 100/100 msg/s 100.0 KiB/s lag 1100 throttle 0ms',
    );
  });

  test('a stopped group and an unknown lag say so', () => {
    const line = formatStatus(undefined, sample(2000, [], [consumer({ running: 0 })], 10));
    assert.equal(line, '[2s = 20s] billing stopped lag ? throttle 0ms');
    assert.equal(formatStatus(undefined, sample(1000, [], [])), '[1s] no clients');
  });

  test('the summary gives totals and the share of the asked count achieved', () => {
    const last = sample(60_000, [producer({ asked: 24_000, acked: 23_998 })], [consumer({ consumed: 34_497, lag: { lag: 0, partitions: 6, committed: 6 } })]);
    assert.equal(
      formatSummary('steady-pair', 'finished', last),
      'sluice workload: steady-pair finished after 1m: orders acked 23998 of 24000 asked (100.0%), failed 0, short 0; billing consumed 34497, lag 0',
    );
  });
});

describe('lagOf', () => {
  test('counts from the committed offset, or the log start when there is none', () => {
    const offsets = [
      { topic: 'a', partition: 0, earliest: 0n, latest: 100n },
      { topic: 'a', partition: 1, earliest: 50n, latest: 80n },
      { topic: 'a', partition: 2, earliest: 60n, latest: 90n },
    ];
    // Partition 2's commit fell behind the log start (retention): it counts from the log start.
    const committed = new Map([
      ['a:0', 90n],
      ['a:2', 10n],
    ]);
    assert.deepEqual(lagOf(offsets, committed), { lag: 10 + 30 + 30, partitions: 3, committed: 2 });
  });
});

describe('messages', () => {
  test('keys cycle, values have the size and are the same on every run, headers name the producer', () => {
    const factory = new MessageFactory('core-orders', 'orders', 100, 3);
    const first = factory.build(0, 1_700_000_000_123);
    const fourth = factory.build(3, 1_700_000_000_456);
    assert.equal(first.key.toString(), 'key-0');
    assert.equal(fourth.key.toString(), 'key-0');
    assert.equal(factory.build(5, 0).key.toString(), 'key-2');
    assert.equal(first.value.length, 100);
    assert.equal(first.topic, 'orders');
    assert.deepEqual(first.value, new MessageFactory('core-orders', 'orders', 100, 3).build(0, 0).value);
    assert.notDeepEqual(first.value, fourth.value);
    assert.deepEqual(
      [...first.headers].map(([k, v]) => [k.toString(), v.toString()]),
      [
        ['sluice-producer', 'core-orders'],
        ['sluice-ts', '1700000000123'],
      ],
    );
  });

  test('payloads are exact in length, seeded and spread over the byte range', () => {
    assert.equal(payload(0, 1).length, 0);
    assert.equal(payload(7, 1).length, 7);
    assert.deepEqual(payload(7, 1), payload(8, 1).subarray(0, 7));
    assert.equal(payload(8, 1).toString('hex'), payload(8, 1).toString('hex'));
    assert.notEqual(payload(8, 1).toString('hex'), payload(8, 2).toString('hex'));
    assert.equal(new Set(payload(4096, 42)).size, 256);
    assert.equal(hashString('a'), 0xe40c292c);
  });
});
