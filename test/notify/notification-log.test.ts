import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsUpdate, nextTickIn, type LogEntry } from '../../src/notify/notification-log.ts';

const H = 3_600_000;
const entry = (firing: string[], resolved: string[], sentAt = 0): LogEntry => ({ groupKey: 'g', receiver: 'r', integrationIndex: 0, firing, resolved, sentAt });
const decide = (previous: LogEntry | undefined, firing: string[], resolved: string[], now = 60_000): boolean =>
  needsUpdate({ previous, firing, resolved, sendResolved: true, repeatInterval: H, now });

describe('needsUpdate', () => {
  it('announces new firing alerts, resolutions of alerts last listed firing, and repeats after repeat_interval', () => {
    assert.equal(decide(undefined, ['a'], []), true);
    assert.equal(decide(undefined, [], ['a']), false);
    assert.equal(decide(entry(['a'], []), ['a', 'b'], []), true);
    assert.equal(decide(entry(['a', 'b'], []), ['a'], ['b']), true);
    assert.equal(decide(entry(['a'], []), [], ['a']), true);
    assert.equal(decide(entry(['a'], []), ['a'], []), false);
    assert.equal(decide(entry(['a'], []), ['a'], [], H), true);
  });

  it('does not announce a resolution already told, nor one of an alert never told firing', () => {
    // b's resolution went out, then a later notification (without b) replaced the entry.
    assert.equal(decide(entry(['a', 'c'], []), ['a', 'c'], ['b']), false);
    assert.equal(decide(entry(['a'], ['b']), ['a'], ['b']), false);
    assert.equal(decide(entry([], ['a']), [], ['a']), false);
  });
});

describe('nextTickIn', () => {
  it('keeps the rhythm of ticks every interval from the last notification', () => {
    assert.deepEqual([0, 1, 30_000, 300_000, 300_001, 1_000_000].map((now) => nextTickIn(0, 300_000, now)), [300_000, 299_999, 270_000, 0, 299_999, 200_000]);
    assert.equal(nextTickIn(10_000, 300_000, 5000), 305_000, 'a last notification ahead of now (clock step) still waits a full interval');
  });
});
