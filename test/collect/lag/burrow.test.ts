/**
 * Burrow 1.2 rule cases on hand-made windows: every status, rule order, options, group status as
 * the worst partition capped at ERR, and the status series. Expected statuses are those of
 * core/internal/evaluator/caching.go at Burrow v1.2.1 for the same windows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  LAG_STATUS_CODES,
  evaluateGroup,
  evaluatePartition,
  statusSamples,
  type PartitionWindow,
} from '../../../src/collect/lag/burrow.ts';
import { isSluiceError } from '../../../src/errors.ts';

const S = 1000;

/** A window of `[offset, commit time in s, lag at commit]` entries, oldest first. */
function win(
  commits: Array<[number, number, number | undefined]>,
  logEndOffsets: number[],
  capacity = 10,
): PartitionWindow {
  return {
    commits: commits.map(([offset, seconds, lag]) => ({ offset, timestampMs: seconds * S, lag })),
    capacity,
    logEndOffsets,
  };
}

/** Ten commits a minute apart (0 s .. 540 s), at the given offsets and lags. */
function tenCommits(offsets: number[], lags: Array<number | undefined>): Array<[number, number, number | undefined]> {
  assert.equal(offsets.length, 10);
  assert.equal(lags.length, 10);
  return offsets.map((offset, i) => [offset, i * 60, lags[i]]);
}

const MOVING = [1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900];
/** Shortly after the last commit: not stopped (20 s <= the window's 540 s span). */
const RECENT = 560 * S;
/** Long after the last commit: stopped (541 s > 540 s). */
const LATE = 1081 * S;

function statusOf(window: PartitionWindow, nowMs: number, options = {}): string {
  return evaluatePartition(window, nowMs, options).status;
}

describe('LAG_STATUS_CODES', () => {
  test("is Burrow's StatusConstant numbering", () => {
    assert.deepEqual(LAG_STATUS_CODES, { NOTFOUND: 0, OK: 1, WARN: 2, ERR: 3, STOP: 4, STALL: 5, REWIND: 6 });
  });
});

describe('evaluatePartition: each status', () => {
  test('OK: lag was zero at some commit in the window', () => {
    const lags = [50, 0, 40, 60, 70, 80, 90, 100, 110, 120];
    const result = evaluatePartition(win(tenCommits(MOVING, lags), [2000]), RECENT);
    assert.deepEqual(result, {
      status: 'OK',
      complete: 1,
      currentLag: 100,
      start: { offset: 1000, timestampMs: 0, lag: 50 },
      end: { offset: 1900, timestampMs: 540 * S, lag: 120 },
    });
  });

  test('OK: an idle topic with zero lag stays OK however long nobody commits', () => {
    const idle = win(tenCommits(Array(10).fill(500), Array(10).fill(0)), Array(10).fill(500));
    assert.equal(statusOf(idle, RECENT), 'OK');
    assert.equal(statusOf(idle, 7 * 86_400 * S), 'OK');
    assert.equal(evaluatePartition(idle, 7 * 86_400 * S).currentLag, 0);
  });

  test('OK: an idle topic that just got a message is not STOP while recent log ends show the group caught up', () => {
    const ends = [...Array(9).fill(500), 501];
    const woken = win(tenCommits(Array(10).fill(500), Array(10).fill(0)), ends);
    assert.equal(evaluatePartition(woken, 86_400 * S).currentLag, 1);
    assert.equal(statusOf(woken, 86_400 * S), 'OK');
    // Once the ring holds no log end at or below the commit any more, it is STOP.
    assert.equal(statusOf(win(tenCommits(Array(10).fill(500), Array(10).fill(0)), [501, 502]), 86_400 * S), 'STOP');
  });

  test('OK: offsets move and lag never reaches zero but falls somewhere', () => {
    const lags = [100, 120, 140, 130, 150, 160, 170, 180, 190, 200];
    assert.equal(statusOf(win(tenCommits(MOVING, lags), [2100]), RECENT), 'OK');
  });

  test('WARN: offsets move but lag never decreases across the window', () => {
    const lags = [100, 110, 110, 120, 130, 140, 150, 160, 170, 180];
    assert.equal(statusOf(win(tenCommits(MOVING, lags), [2080]), RECENT), 'WARN');
  });

  test('STALL: commits keep coming at the same offset while lag is non-zero', () => {
    const lags = [100, 110, 120, 130, 140, 150, 160, 170, 180, 190];
    assert.equal(statusOf(win(tenCommits(Array(10).fill(1000), lags), [1200]), RECENT), 'STALL');
  });

  test('STOP: no commit for longer than the window spans while lag is non-zero', () => {
    const lags = [100, 100, 100, 100, 100, 100, 100, 100, 100, 100];
    const window = win(tenCommits(MOVING, lags), [2100, 2200, 2300]);
    assert.equal(statusOf(window, LATE), 'STOP');
    // Exactly the window's span since the last commit is not yet stopped (strictly greater), and
    // Burrow reads now in whole seconds: 540.999 s after the last commit is still 540 s.
    assert.equal(statusOf(window, 1080 * S), 'WARN');
    assert.equal(statusOf(window, 1080 * S + 999), 'WARN');
  });

  test('REWIND: the committed offset went back in a window that never had zero lag', () => {
    const offsets = [1000, 1100, 1200, 1300, 1400, 1500, 1200, 1250, 1300, 1350];
    const lags = [100, 100, 100, 100, 100, 100, 400, 380, 360, 350];
    assert.equal(statusOf(win(tenCommits(offsets, lags), [1700]), RECENT), 'REWIND');
  });
});

describe('evaluatePartition: rule order', () => {
  test('current lag within allowedLag wins over everything: a stalled-looking window is OK', () => {
    const lags = [100, 110, 120, 130, 140, 150, 160, 170, 180, 190];
    const window = win(tenCommits(Array(10).fill(1000), lags), [1000]);
    assert.equal(statusOf(window, LATE), 'OK');
  });

  test('STOP comes before the zero-lag test: a stopped group with old zero lag is STOP', () => {
    const lags = [0, 100, 100, 100, 100, 100, 100, 100, 100, 100];
    assert.equal(statusOf(win(tenCommits(MOVING, lags), [2100]), LATE), 'STOP');
  });

  test('STOP comes before REWIND', () => {
    const offsets = [1000, 1100, 1200, 1300, 1400, 1500, 1200, 1250, 1300, 1350];
    const lags = [100, 100, 100, 100, 100, 100, 400, 380, 360, 350];
    assert.equal(statusOf(win(tenCommits(offsets, lags), [1700]), LATE), 'STOP');
  });

  test('zero lag anywhere in the window makes a rewind OK (1.2 looks for rewinds only in windows never at zero lag)', () => {
    const offsets = [1000, 1100, 1200, 1300, 1400, 1500, 100, 150, 200, 250];
    const lags = [0, 0, 0, 0, 0, 0, 1400, 1400, 1400, 1400];
    assert.equal(statusOf(win(tenCommits(offsets, lags), [1650]), RECENT), 'OK');
  });

  test('REWIND comes before WARN', () => {
    const offsets = [1000, 1100, 1200, 1300, 1400, 1500, 1200, 1250, 1300, 1350];
    const lags = [100, 110, 120, 130, 140, 150, 460, 470, 480, 490];
    assert.equal(statusOf(win(tenCommits(offsets, lags), [1850]), RECENT), 'REWIND');
  });

  test('a rewind counts until it leaves the window, even once the group is past where it was', () => {
    const offsets = [1000, 1100, 1200, 1300, 1400, 1500, 1200, 1400, 1600, 1700];
    const rising = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    assert.equal(statusOf(win(tenCommits(offsets, rising), [1800]), RECENT), 'REWIND');
    // Ten commits later the jump back is out of the window: the same pace is WARN.
    const later = [1800, 1900, 2000, 2100, 2200, 2300, 2400, 2500, 2600, 2700];
    assert.equal(statusOf(win(tenCommits(later, rising), [2800]), RECENT), 'WARN');
  });

  test('STALL comes before WARN (a stall has non-decreasing lag too)', () => {
    const lags = [100, 100, 100, 100, 100, 100, 100, 100, 100, 100];
    assert.equal(statusOf(win(tenCommits(Array(10).fill(1000), lags), [1100]), RECENT), 'STALL');
  });
});

describe('evaluatePartition: options and edges', () => {
  test('allowedLag: lag at or under it counts as zero, in the window as well as now', () => {
    const lags = [40, 100, 110, 120, 130, 140, 150, 160, 170, 180];
    const window = win(tenCommits(MOVING, lags), [2080]);
    assert.equal(statusOf(window, RECENT), 'WARN');
    assert.equal(statusOf(window, RECENT, { allowedLag: 50 }), 'OK');
    assert.equal(statusOf(window, RECENT, { allowedLag: 180 }), 'OK');
  });

  test('minimumComplete: a window less complete than required is OK', () => {
    const five = win(
      [
        [1000, 0, 100],
        [1000, 60, 110],
        [1000, 120, 120],
        [1000, 180, 130],
        [1000, 240, 140],
      ],
      [1150],
    );
    const result = evaluatePartition(five, 260 * S, { minimumComplete: 0.6 });
    assert.equal(result.status, 'OK');
    assert.equal(result.complete, 0.5);
    assert.equal(result.currentLag, 150);
    assert.equal(statusOf(five, 260 * S, { minimumComplete: 0.5 }), 'STALL');
  });

  test('commits without a known lag are skipped by the lag rules', () => {
    const lags = [100, undefined, 110, undefined, 120, 130, 140, 150, 160, 170];
    assert.equal(statusOf(win(tenCommits(MOVING, lags), [2070]), RECENT), 'WARN');
    const withDip = [100, undefined, 110, 90, 120, 130, 140, 150, 160, 170];
    assert.equal(statusOf(win(tenCommits(MOVING, withDip), [2070]), RECENT), 'OK');
  });

  test('no commits: OK, complete 0, lag 0', () => {
    assert.deepEqual(evaluatePartition(win([], [100]), RECENT), { status: 'OK', complete: 0, currentLag: 0 });
  });

  test('a log end below the last commit is zero lag, and no log end at all is zero lag', () => {
    const lags = [100, 110, 120, 130, 140, 150, 160, 170, 180, 190];
    assert.equal(evaluatePartition(win(tenCommits(MOVING, lags), [1850]), RECENT).currentLag, 0);
    assert.equal(evaluatePartition(win(tenCommits(MOVING, lags), []), RECENT).currentLag, 0);
  });

  test('bad options name their path', () => {
    const window = win([[1, 0, 0]], [1]);
    assert.throws(
      () => evaluatePartition(window, 0, { minimumComplete: 2 }),
      (err) => isSluiceError(err, 'SLUICE_ERR_CONFIG_INVALID') && err.path === 'minimumComplete',
    );
    assert.throws(
      () => evaluateGroup([{ topic: 't', partition: 0, window }], 0, { allowedLag: -1 }),
      (err) => isSluiceError(err, 'SLUICE_ERR_CONFIG_INVALID') && err.path === 'allowedLag',
    );
  });
});

describe('evaluateGroup', () => {
  const ok = win(tenCommits(MOVING, [50, 0, 40, 60, 70, 80, 90, 100, 110, 120]), [2000]);
  const warn = win(tenCommits(MOVING, [100, 110, 110, 120, 130, 140, 150, 160, 170, 180]), [2080]);
  const stall = win(tenCommits(Array(10).fill(1000), [100, 110, 120, 130, 140, 150, 160, 170, 180, 190]), [1200]);
  // Committed from -1200 s to -660 s: 1220 s of silence at RECENT, more than its 540 s span.
  const stop = win(
    tenCommits(MOVING, Array(10).fill(100)).map(([offset, seconds, lag]) => [offset, seconds - 1200, lag]),
    [2100, 2200, 2500],
  );
  const rewind = win(
    tenCommits([1000, 1100, 1200, 1300, 1400, 1500, 1200, 1250, 1300, 1350], [100, 100, 100, 100, 100, 100, 400, 380, 360, 350]),
    [1700],
  );
  const idle = win(tenCommits(Array(10).fill(500), Array(10).fill(0)), [500]);
  const partial = win([[700, 500, 0]], [700]);

  function group(...windows: PartitionWindow[]) {
    return windows.map((window, partition) => ({ topic: 'orders', partition, window }));
  }

  test('is the worst partition status, with STOP, STALL and REWIND counted as ERR', () => {
    const cases: Array<[PartitionWindow[], string]> = [
      [[ok, idle], 'OK'],
      [[ok, warn, idle], 'WARN'],
      [[warn, ok], 'WARN'],
      [[ok, stall], 'ERR'],
      [[warn, stall, ok], 'ERR'],
      [[rewind], 'ERR'],
      [[idle, stop], 'ERR'],
      [[stop, warn], 'ERR'],
    ];
    for (const [windows, expected] of cases) {
      assert.equal(evaluateGroup(group(...windows), RECENT).status, expected);
    }
  });

  test('keeps each partition status as it is', () => {
    const result = evaluateGroup(group(ok, warn, stall, rewind, idle), RECENT);
    assert.deepEqual(
      result.partitions.map((p) => p.status),
      ['OK', 'WARN', 'STALL', 'REWIND', 'OK'],
    );
  });

  test('a partition the group never committed is OK with complete 0, and counts against the group\'s complete', () => {
    const uncommitted = win([], [300]);
    const result = evaluateGroup(group(ok, uncommitted), RECENT);
    assert.equal(result.status, 'OK');
    assert.equal(result.complete, 0.5);
    assert.equal(result.totalLag, 100);
    assert.deepEqual(result.partitions[1], { topic: 'orders', partition: 1, status: 'OK', complete: 0, currentLag: 0 });
    assert.equal(evaluateGroup(group(uncommitted, stall), RECENT).status, 'ERR');
  });

  test('a group with no partition windows is NOTFOUND', () => {
    assert.deepEqual(evaluateGroup([], RECENT), { status: 'NOTFOUND', complete: 0, totalLag: 0, partitions: [] });
  });

  test('sums current lag, finds the partition with the most, and counts complete windows', () => {
    const result = evaluateGroup(group(ok, stop, partial, idle), RECENT);
    assert.equal(result.totalLag, 100 + 600 + 0 + 0);
    assert.equal(result.maxLag?.partition, 1);
    assert.equal(result.maxLag?.currentLag, 600);
    assert.equal(result.complete, 3 / 4);
    assert.equal(result.partitions[2].complete, 0.1);
  });

  test('statusSamples: the group code, then one code per partition', () => {
    const result = evaluateGroup(group(ok, stall), RECENT);
    assert.deepEqual(statusSamples('east', 'billing', result), [
      { metric: 'sluice_consumergroup_status', labels: { cluster: 'east', group: 'billing' }, value: 3 },
      {
        metric: 'sluice_consumergroup_partition_status',
        labels: { cluster: 'east', group: 'billing', topic: 'orders', partition: '0' },
        value: 1,
      },
      {
        metric: 'sluice_consumergroup_partition_status',
        labels: { cluster: 'east', group: 'billing', topic: 'orders', partition: '1' },
        value: 5,
      },
    ]);
    assert.deepEqual(statusSamples('east', 'gone', evaluateGroup([], RECENT)), [
      { metric: 'sluice_consumergroup_status', labels: { cluster: 'east', group: 'gone' }, value: 0 },
    ]);
  });
});
