/** The `balance:` section: defaults, groups of topics and brokers, and errors that name the field. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSluiceConfig } from '../../src/app-config.ts';
import { groupOfBroker, groupOfTopic } from '../../src/balance/config.ts';
import { config } from './support.ts';

const base = { clusters: [{ name: 'c1', bootstrap: ['127.0.0.1:9092'] }] };

test('defaults: p95 over 24h, recommend, 200 moves', () => {
  const c = parseSluiceConfig(base).balance;
  assert.deepEqual([c.mode, c.peak.statistic, c.peak.window, c.budget.maxMoves, c.balancedRatio, c.capacity.utilization], ['recommend', 'p95', '24h', 200, 1.1, 0.8]);
});

test('topics by name or glob; brokers in no group are the default group', () => {
  const c = config({ groups: [{ name: 'core', brokers: [1, 2], topics: ['orders', 'pay-*'] }] });
  assert.deepEqual(['orders', 'pay-eu', 'payments', 'logs'].map((t) => groupOfTopic(c, t)), ['core', 'core', 'default', 'default']);
  assert.deepEqual([1, 3].map((b) => groupOfBroker(c, b)), ['core', 'default']);
});

test('bad config errors name the field', () => {
  const bad = (balance: unknown): string => {
    try {
      parseSluiceConfig({ ...base, balance });
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };
  assert.match(bad({ peak: { statistic: 'p950' } }), /balance\.peak\.statistic: expected p<N> \(such as p95\), max or mean/);
  assert.match(bad({ peak: { window: 'a day' } }), /balance\.peak\.window: expected a duration such as 24h or 7d/);
  assert.match(bad({ groups: [{ name: 'core', brokers: [1] }, { name: 'batch', brokers: [2, 1] }] }), /balance\.groups\[1\]\.brokers\[1\]: broker 1 is already in groups\[0\]/);
  assert.match(bad({ groups: [{ name: 'Core', brokers: [1] }] }), /balance\.groups\[0\]\.name: expected a lowercase name/);
  assert.match(bad({ capacity: { utilization: 1.5 } }), /balance\.capacity\.utilization/);
  assert.match(bad({ budget: { maxMovez: 3 } }), /balance\.budget/);
});
