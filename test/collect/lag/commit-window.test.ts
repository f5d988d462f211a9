/**
 * Commit windows: Burrow's storage semantics (lag at commit, bounds, out-of-order commits, min
 * distance), polled observations, eviction, and whole cycles through the evaluator.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommitWindows } from '../../../src/collect/lag/commit-window.ts';
import { evaluateGroup, statusSamples } from '../../../src/collect/lag/burrow.ts';
import { isSluiceError } from '../../../src/errors.ts';

const S = 1000;

describe('CommitWindows.recordCommit', () => {
  test('drops a commit on a partition with no known log end', () => {
    const windows = new CommitWindows();
    assert.equal(windows.recordCommit('g', 'orders', 0, { offset: 5, timestampMs: 1 }), 'dropped-unknown-partition');
    assert.equal(windows.window('g', 'orders', 0), undefined);
    assert.deepEqual(windows.groups(), []);
  });

  test('gives an appended commit its lag against the newest log end, at least 0', () => {
    const windows = new CommitWindows();
    windows.recordLogEnd('orders', 0, 100);
    windows.recordLogEnd('orders', 0, 150);
    assert.equal(windows.recordCommit('g', 'orders', 0, { offset: 120, timestampMs: 1 * S }), 'appended');
    assert.equal(windows.recordCommit('g', 'orders', 0, { offset: 160, timestampMs: 2 * S }), 'appended');
    assert.deepEqual(windows.window('g', 'orders', 0), {
      commits: [
        { offset: 120, timestampMs: 1 * S, lag: 30, order: 1 * S },
        { offset: 160, timestampMs: 2 * S, lag: 0, order: 2 * S },
      ],
      capacity: 10,
      logEndOffsets: [100, 150],
    });
  });

  test('keeps the last `intervals` commits and log ends, including repeated offsets', () => {
    const windows = new CommitWindows({ intervals: 3 });
    for (let i = 1; i <= 5; i++) {
      windows.recordLogEnd('orders', 0, 100 * i);
      windows.recordCommit('g', 'orders', 0, { offset: 50, timestampMs: i * S });
    }
    const window = windows.window('g', 'orders', 0)!;
    assert.deepEqual(
      window.commits.map((c) => [c.offset, c.timestampMs, c.lag]),
      [
        [50, 3 * S, 250],
        [50, 4 * S, 350],
        [50, 5 * S, 450],
      ],
    );
    assert.deepEqual(window.logEndOffsets, [300, 400, 500]);
  });

  test('inserts an out-of-order commit in place without a lag, and drops duplicates and commits older than a full window', () => {
    const windows = new CommitWindows({ intervals: 4 });
    windows.recordLogEnd('orders', 0, 1000);
    for (const order of [10, 20, 40]) windows.recordCommit('g', 'orders', 0, { offset: order, timestampMs: order * S, order });
    assert.equal(windows.recordCommit('g', 'orders', 0, { offset: 30, timestampMs: 30 * S, order: 30 }), 'inserted');
    assert.equal(windows.recordCommit('g', 'orders', 0, { offset: 99, timestampMs: 99 * S, order: 20 }), 'dropped-duplicate');
    assert.equal(windows.recordCommit('g', 'orders', 0, { offset: 5, timestampMs: 5 * S, order: 5 }), 'dropped-too-old');
    assert.deepEqual(
      windows.window('g', 'orders', 0)!.commits.map((c) => [c.order, c.lag]),
      [
        [10, 990],
        [20, 980],
        [30, undefined],
        [40, 960],
      ],
    );
    // Between the oldest and the next in a full window: it takes the oldest one's place.
    assert.equal(windows.recordCommit('g', 'orders', 0, { offset: 15, timestampMs: 15 * S, order: 15 }), 'inserted');
    assert.deepEqual(
      windows.window('g', 'orders', 0)!.commits.map((c) => c.order),
      [15, 20, 30, 40],
    );
  });

  test('merges a commit closer than minDistanceMs into the previous one, keeping its timestamp', () => {
    const windows = new CommitWindows({ minDistanceMs: 10 * S });
    windows.recordLogEnd('orders', 0, 100);
    windows.recordCommit('g', 'orders', 0, { offset: 10, timestampMs: 0 });
    assert.equal(windows.recordCommit('g', 'orders', 0, { offset: 20, timestampMs: 4 * S }), 'merged');
    assert.equal(windows.recordCommit('g', 'orders', 0, { offset: 30, timestampMs: 9 * S }), 'merged');
    assert.equal(windows.recordCommit('g', 'orders', 0, { offset: 40, timestampMs: 10 * S }), 'appended');
    assert.deepEqual(
      windows.window('g', 'orders', 0)!.commits.map((c) => [c.offset, c.timestampMs, c.lag]),
      [
        [30, 0, 70],
        [40, 10 * S, 60],
      ],
    );
  });

  test('rejects bad options, naming them', () => {
    assert.throws(
      () => new CommitWindows({ intervals: 0 }),
      (err) => isSluiceError(err, 'SLUICE_ERR_CONFIG_INVALID') && err.path === 'intervals',
    );
    assert.throws(
      () => new CommitWindows({ minDistanceMs: -1 }),
      (err) => isSluiceError(err, 'SLUICE_ERR_CONFIG_INVALID') && err.path === 'minDistanceMs',
    );
  });
});

describe('CommitWindows.observeCommitted', () => {
  test('records a polled offset only when it changed, stamped with the reading time', () => {
    const windows = new CommitWindows();
    windows.recordLogEnd('orders', 0, 100);
    assert.equal(windows.observeCommitted('g', 'orders', 0, 40, 10 * S), 'appended');
    assert.equal(windows.observeCommitted('g', 'orders', 0, 40, 20 * S), 'unchanged');
    assert.equal(windows.observeCommitted('g', 'orders', 0, 70, 30 * S), 'appended');
    assert.deepEqual(
      windows.window('g', 'orders', 0)!.commits.map((c) => [c.offset, c.timestampMs]),
      [
        [40, 10 * S],
        [70, 30 * S],
      ],
    );
  });

  test('a partition without a commit (-1) loses its window, and a group left with none is gone', () => {
    const windows = new CommitWindows();
    windows.recordLogEnd('orders', 0, 100);
    windows.recordLogEnd('orders', 1, 100);
    windows.observeCommitted('g', 'orders', 0, 40, 10 * S);
    windows.observeCommitted('g', 'orders', 1, 40, 10 * S);
    assert.equal(windows.observeCommitted('g', 'orders', 0, -1, 20 * S), 'no-commit');
    // Burrow still lists the partition, with an empty window, while the group commits the topic.
    assert.deepEqual(
      windows.groupWindows('g').map((w) => [w.partition, w.window.commits.length]),
      [
        [0, 0],
        [1, 1],
      ],
    );
    windows.observeCommitted('g', 'orders', 1, -1, 20 * S);
    assert.deepEqual(windows.groups(), []);
    assert.equal(evaluateGroup(windows.groupWindows('g'), 20 * S).status, 'NOTFOUND');
  });
});

describe('CommitWindows eviction', () => {
  function filled(): CommitWindows {
    const windows = new CommitWindows({ expireGroupMs: 60 * S });
    for (const [topic, partition] of [
      ['orders', 0],
      ['orders', 1],
      ['payments', 0],
    ] as const) {
      windows.recordLogEnd(topic, partition, 10);
      windows.recordCommit('billing', topic, partition, { offset: 5, timestampMs: 0 });
    }
    windows.recordCommit('audit', 'payments', 0, { offset: 5, timestampMs: 50 * S });
    return windows;
  }

  test('retainPartitions drops deleted partitions everywhere, and groups left empty', () => {
    const windows = filled();
    assert.equal(windows.retainPartitions([{ topic: 'orders', partition: 1 }]), 2);
    assert.deepEqual(
      windows.groupWindows('billing').map((w) => `${w.topic}/${w.partition}`),
      ['orders/1'],
    );
    assert.deepEqual(windows.groups(), ['billing']);
    assert.equal(windows.recordCommit('billing', 'payments', 0, { offset: 6, timestampMs: 1 }), 'dropped-unknown-partition');
  });

  test('retainGroups keeps the listed groups; expireGroups drops groups silent for expireGroupMs', () => {
    const windows = filled();
    assert.deepEqual(windows.expireGroups(60 * S), []);
    assert.deepEqual(windows.expireGroups(61 * S), ['billing']);
    assert.deepEqual(windows.groups(), ['audit']);
    assert.deepEqual(windows.retainGroups(['billing']), ['audit']);
    assert.deepEqual(windows.groups(), []);
    const again = filled();
    assert.equal(again.deleteGroup('audit'), true);
    assert.equal(again.deleteGroup('audit'), false);
  });
});

describe('polled cycles through the evaluator', () => {
  /** Runs `cycles` 30 s cycles: log end, then the group's committed offset, as a collector would. */
  function run(windows: CommitWindows, cycles: number, logEnd: (i: number) => number, committed: (i: number) => number) {
    for (let i = 0; i < cycles; i++) {
      windows.recordLogEnd('orders', 0, logEnd(i));
      windows.observeCommitted('g', 'orders', 0, committed(i), i * 30 * S);
    }
    return (cycles - 1) * 30 * S;
  }

  test('an idle topic consumed to the end stays OK for days', () => {
    const windows = new CommitWindows();
    const now = run(windows, 20, () => 500, () => 500);
    assert.equal(evaluateGroup(windows.groupWindows('g'), now).status, 'OK');
    const later = now + 3 * 86_400 * S;
    windows.recordLogEnd('orders', 0, 500);
    assert.deepEqual(statusSamples('c', 'g', evaluateGroup(windows.groupWindows('g'), later)), [
      { metric: 'sluice_consumergroup_status', labels: { cluster: 'c', group: 'g' }, value: 1 },
      { metric: 'sluice_consumergroup_partition_status', labels: { cluster: 'c', group: 'g', topic: 'orders', partition: '0' }, value: 1 },
    ]);
  });

  test('a group keeping up with a steady producer is OK', () => {
    const windows = new CommitWindows();
    const now = run(windows, 30, (i) => i * 300, (i) => Math.max(0, i * 300 - 40 - (i % 3) * 20));
    const result = evaluateGroup(windows.groupWindows('g'), now);
    assert.equal(result.status, 'OK');
    assert.equal(result.complete, 1);
  });

  test('a group that stopped under a steady producer goes STOP, and the group ERR', () => {
    const windows = new CommitWindows();
    // Keeps up for 10 cycles, then its committed offset stays at 2_700 while the log grows.
    const now = run(windows, 40, (i) => i * 300, (i) => Math.min(i, 9) * 300);
    const result = evaluateGroup(windows.groupWindows('g'), now);
    assert.equal(result.partitions[0].status, 'STOP');
    assert.equal(result.partitions[0].currentLag, 39 * 300 - 2_700);
    assert.equal(result.status, 'ERR');
  });

  test('a lagging group reset to an earlier offset is REWIND while the jump back is in its window', () => {
    const windows = new CommitWindows();
    // 300 behind for ten cycles, then back to 600 and on to 700.
    const now = run(windows, 12, (i) => i * 300 + 300, (i) => (i < 10 ? i * 300 : 600 + (i - 10) * 100));
    assert.equal(evaluateGroup(windows.groupWindows('g'), now).partitions[0].status, 'REWIND');
  });

  test('a group with members whose offset stands still behind the log end is STALL; without members, STOP', () => {
    // Five cycles of progress, then the offset stays at 1_200 while the log grows 300 a cycle.
    const cycle = (windows: CommitWindows, i: number, members: boolean) => {
      windows.recordLogEnd('orders', 0, i * 300 + 300);
      windows.observeCommitted('g', 'orders', 0, Math.min(i, 4) * 300, i * 30 * S, members);
    };
    const live = new CommitWindows();
    for (let i = 0; i < 15; i++) cycle(live, i, true);
    const stalled = evaluateGroup(live.groupWindows('g'), 14 * 30 * S);
    assert.equal(stalled.partitions[0].status, 'STALL');
    assert.equal(stalled.partitions[0].currentLag, 15 * 300 - 1200);
    assert.equal(stalled.status, 'ERR');

    const empty = new CommitWindows();
    for (let i = 0; i < 15; i++) cycle(empty, i, false);
    // Five commits 30 s apart (0 s .. 120 s), each 300 behind: WARN until the 120 s span has
    // passed since the last one, at 241 s (not 240 s); STOP from then on.
    assert.equal(evaluateGroup(empty.groupWindows('g'), 240 * S).partitions[0].status, 'WARN');
    assert.equal(evaluateGroup(empty.groupWindows('g'), 241 * S).partitions[0].status, 'STOP');
    assert.equal(evaluateGroup(empty.groupWindows('g'), 14 * 30 * S).status, 'ERR');
  });
});

describe('CommitWindows views', () => {
  function cluster(): CommitWindows {
    const windows = new CommitWindows({ intervals: 3 });
    for (const [topic, partition, end] of [['orders', 2, 30], ['orders', 0, 10], ['orders', 1, 20], ['payments', 0, 7]] as const) {
      windows.recordLogEnd(topic, partition, end - 1);
      windows.recordLogEnd(topic, partition, end);
    }
    windows.recordCommit('billing', 'orders', 1, { offset: 15, timestampMs: 1 * S });
    windows.recordCommit('audit', 'payments', 0, { offset: 7, timestampMs: 2 * S });
    return windows;
  }

  test('topics and the newest log end of each partition, by partition index', () => {
    const windows = cluster();
    assert.deepEqual(windows.topics(), ['orders', 'payments']);
    assert.deepEqual(windows.latestLogEnds('orders'), [10, 20, 30]);
    assert.deepEqual(windows.latestLogEnds('payments'), [7]);
    assert.equal(windows.latestLogEnds('missing'), undefined);
  });

  test('a group lists every partition of a topic it commits, in partition order', () => {
    const windows = cluster();
    assert.deepEqual(
      windows.groupWindows('billing').map((w) => [w.topic, w.partition, w.window.commits.map((c) => c.offset), w.window.logEndOffsets]),
      [
        ['orders', 0, [], [9, 10]],
        ['orders', 1, [15], [19, 20]],
        ['orders', 2, [], [29, 30]],
      ],
    );
    assert.deepEqual(windows.groupsOfTopic('orders'), ['billing']);
    assert.deepEqual(windows.groupsOfTopic('payments'), ['audit']);
  });

  test('clearCommits drops every window and keeps the log ends', () => {
    const windows = cluster();
    windows.clearCommits();
    assert.deepEqual(windows.groups(), []);
    assert.deepEqual(windows.latestLogEnds('orders'), [10, 20, 30]);
    assert.equal(windows.recordCommit('billing', 'orders', 2, { offset: 30, timestampMs: 3 * S }), 'appended');
  });
});
