/**
 * Consumer actions seen from outside, through the cluster: stop and start in the group's
 * membership (describeGroups) and committed offsets, rewind in the committed offsets going back
 * to the log start, and a rate cap in what the group read. Time runs 10x fast (timeScale 10).
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin as PlatformaticAdmin, Producer } from '@platformatic/kafka';
import type { Admin } from 'kafkajs';
import type { RunningBroker } from '../../src/kafka/broker/options.ts';
import { resetGroupOffsets } from '../../src/workload/offsets.ts';
import { RESPONSES_CHANNEL } from '../../src/workload/throttle.ts';
import { committed, endOffsets, kafkajsAdmin, recordCount, runScenario, startTestBroker } from './support.ts';

const TOPIC = 'act-orders';
const GROUP = 'act-billing';
const SCENARIO = `
name: actions
duration: 105s
timeScale: 10
topics:
  - { name: ${TOPIC}, partitions: 2 }
producers:
  - { id: orders, topic: ${TOPIC}, rate: 200, size: 100 }
consumers:
  - { id: billing, group: ${GROUP}, topics: [${TOPIC}],
      actions: [ { at: 25s, do: stop }, { at: 45s, do: start }, { at: 75s, do: rewind, to: earliest } ] }
  - { id: reports, group: act-reports, topics: [${TOPIC}], rate: 100 }
`;

/** What the cluster said about the group at one moment of the run. */
interface Observation {
  /** Wall ms since the run's time 0. */
  readonly t: number;
  readonly state: string;
  readonly members: number;
  /** Sum of committed offsets over the topic's partitions (-1 counted as 0). */
  readonly committed: number;
}

async function observe(admin: Admin, startedAtMs: number): Promise<Observation> {
  const t = Date.now() - startedAtMs;
  const [{ groups }, commits] = await Promise.all([admin.describeGroups([GROUP]), committed(admin, GROUP, TOPIC)]);
  const group = groups[0];
  const sum = [...commits.values()].reduce((total, offset) => total + Math.max(0, offset), 0);
  return { t, state: group?.state ?? 'Unknown', members: group?.members.length ?? 0, committed: sum };
}

describe('consumer actions (timeScale 10)', () => {
  let broker: RunningBroker;
  let admin: Admin;

  before(async () => {
    broker = await startTestBroker();
    admin = await kafkajsAdmin(broker.bootstrap);
  });

  after(async () => {
    await admin?.disconnect();
    await broker?.stop();
  });

  test('stop leaves the group, start rejoins, rewind resets the committed offsets, slow caps the rate', { timeout: 40_000 }, async () => {
    const { run } = await runScenario(SCENARIO, { bootstrap: broker.bootstrap, statusIntervalMs: 1000 });
    assert.equal(run.durationMs, 10_500);
    const seen: Observation[] = [];
    let endedAtMs = Number.POSITIVE_INFINITY;
    const done = run.done.finally(() => (endedAtMs = Date.now()));
    while (endedAtMs === Number.POSITIVE_INFINITY) {
      seen.push(await observe(admin, run.startedAtMs));
      await sleep(100);
    }
    const summary = await done;
    const between = (from: number, to: number): Observation[] => seen.filter((o) => o.t >= from && o.t < to);
    const show = (list: readonly Observation[]): string => list.map((o) => `${o.t}:${o.state}/${o.members}/${o.committed}`).join(' ');

    // Before the stop (wall 2.5 s) the member has joined and committed.
    assert.ok(between(0, 2500).some((o) => o.members === 1 && o.committed > 0), `before stop: ${show(between(0, 2500))}`);
    // Stopped (2.5 s to 4.5 s): nobody in the group and the committed offsets frozen.
    const stopped = between(3000, 4400);
    assert.ok(stopped.length >= 5, `stopped: ${show(stopped)}`);
    assert.ok(stopped.every((o) => o.members === 0 && o.state === 'Empty'), `stopped: ${show(stopped)}`);
    assert.equal(new Set(stopped.map((o) => o.committed)).size, 1, `frozen offsets: ${show(stopped)}`);
    const frozen = stopped[0]?.committed ?? 0;
    // Started again at 4.5 s: a member is back and the offsets move on.
    const restarted = between(4500, 7500);
    assert.ok(restarted.some((o) => o.members === 1 && o.committed > frozen), `restarted: ${show(restarted)}`);
    // Rewound at 7.5 s: the committed offsets go back to the log start (0), then climb again.
    const rewound = between(7500, 10_500);
    const reset = rewound.findIndex((o) => o.committed === 0);
    assert.ok(reset >= 0, `rewound: ${show(rewound)}`);
    assert.ok(rewound.slice(reset).some((o) => o.committed > 0 && o.members === 1), `after the rewind: ${show(rewound)}`);

    // At the end the group has read (and committed) everything, some of it twice.
    const ends = await endOffsets(admin, TOPIC);
    assert.deepEqual(await committed(admin, GROUP, TOPIC), ends);
    const stored = await recordCount(admin, TOPIC);
    const billing = summary.sample.consumers.find((c) => c.id === 'billing');
    const reports = summary.sample.consumers.find((c) => c.id === 'reports');
    assert.ok((billing?.consumed ?? 0) >= stored + 1000, `billing read ${billing?.consumed} of ${stored} stored, re-reading after the rewind`);
    assert.equal(billing?.lag?.lag, 0);

    // reports reads at most 100 msg/s while 200 msg/s are produced: it falls behind. It reads on
    // while the run drains the uncapped groups and stops its clients (longer on a busy machine),
    // so the most it may have read is 100 msg/s over the time until the run was done.
    const most = (100 * (endedAtMs - run.startedAtMs)) / 1000 + 20;
    assert.ok((reports?.consumed ?? 0) <= most, `reports read ${reports?.consumed} in ${endedAtMs - run.startedAtMs} ms`);
    assert.ok((reports?.consumed ?? 0) >= 100 * 8, `reports read ${reports?.consumed}`);
    assert.ok((reports?.lag?.lag ?? 0) >= stored - most, `reports lag ${reports?.lag?.lag}`);
    assert.equal(reports?.rateCap, 100);
  });

  test('a group whose first action is start joins only then, and reads from the log start', { timeout: 20_000 }, async () => {
    const topic = 'act-late';
    const group = 'act-late-batch';
    // Scenario 30 s at timeScale 10: the group starts at scenario 15 s, wall 1.5 s.
    const { run } = await runScenario(`
name: late
duration: 30s
timeScale: 10
topics:
  - { name: ${topic}, partitions: 2 }
producers:
  - { id: feed, topic: ${topic}, rate: 200, size: 100 }
consumers:
  - { id: batch, group: ${group}, topics: [${topic}], actions: [ { at: 15s, do: start } ] }
`, { bootstrap: broker.bootstrap, statusIntervalMs: 60_000 });
    const seen: { t: number; members: number; committed: number }[] = [];
    let finished = false;
    const done = run.done.finally(() => (finished = true));
    let producedBeforeStart = 0;
    while (!finished) {
      const t = Date.now() - run.startedAtMs;
      const [{ groups }, commits] = await Promise.all([admin.describeGroups([group]), committed(admin, group, topic)]);
      seen.push({ t, members: groups[0]?.members.length ?? 0, committed: [...commits.values()].reduce((s, o) => s + Math.max(0, o), 0) });
      if (t < 1400) producedBeforeStart = await recordCount(admin, topic);
      await sleep(100);
    }
    const summary = await done;
    const show = (list: typeof seen): string => list.map((o) => `${o.t}:${o.members}/${o.committed}`).join(' ');
    // Until wall 1.5 s nobody is in the group and nothing is committed (a small margin for timers).
    const before = seen.filter((o) => o.t < 1400);
    assert.ok(before.length >= 5, `before the start: ${show(before)}`);
    assert.ok(before.every((o) => o.members === 0 && o.committed === 0), `before the start: ${show(before)}`);
    // Then a member joins and commits past everything produced before it started: it read from the log start.
    const after = seen.filter((o) => o.t >= 1500);
    assert.ok(after.some((o) => o.members === 1 && o.committed >= producedBeforeStart), `after the start (${producedBeforeStart} produced before): ${show(after)}`);
    const batch = summary.sample.consumers.find((c) => c.id === 'batch');
    assert.equal(batch?.lag?.lag, 0);
    assert.equal(batch?.consumed, await recordCount(admin, topic));
  });

  test('a member reading a backlog fetches at most 1 MiB of a partition at a time, as Kafka\'s consumers do', { timeout: 20_000 }, async () => {
    const topic = 'act-backlog';
    // 3 MiB in batches of 16 messages of 4 KiB (64 KiB each).
    const producer = new Producer({ clientId: 'backlog-loader', bootstrapBrokers: [broker.bootstrap], autocreateTopics: true });
    try {
      const value = Buffer.alloc(4096, 'b');
      for (let i = 0; i < 48; i++) await producer.send({ messages: Array.from({ length: 16 }, () => ({ topic, partition: 0, value })) });
    } finally {
      await producer.close();
    }
    // Value bytes of each partition of each Fetch response the members receive.
    const fetched: number[] = [];
    const onResponse = (message: unknown): void => {
      const event = message as { apiKey?: number; result?: { responses?: { partitions: { records?: { records: { value?: Buffer }[] }[] }[] }[] } };
      if (event.apiKey !== 1) return;
      for (const t of event.result?.responses ?? []) {
        for (const p of t.partitions) {
          const bytes = (p.records ?? []).reduce((sum, batch) => sum + batch.records.reduce((s, r) => s + (r.value?.length ?? 0), 0), 0);
          if (bytes > 0) fetched.push(bytes);
        }
      }
    };
    subscribe(RESPONSES_CHANNEL, onResponse);
    try {
      const { run } = await runScenario(`name: backlog\nduration: 4s\nconsumers:\n  - { id: reader, group: act-backlog-reader, topics: [${topic}] }\n`, { bootstrap: broker.bootstrap, statusIntervalMs: 60_000 });
      const summary = await run.done;
      assert.equal(summary.sample.consumers[0]?.consumed, 768);
    } finally {
      unsubscribe(RESPONSES_CHANNEL, onResponse);
    }
    // Whole batches up to 1 MiB: 15 batches (960 KiB of values) a fetch, then what is left.
    assert.equal(fetched.reduce((a, b) => a + b, 0), 3 * 1024 * 1024);
    assert.ok(Math.max(...fetched) <= 1024 * 1024, `fetches of ${fetched.join(', ')} bytes`);
    assert.ok(fetched.length >= 4 && fetched.filter((b) => b >= 15 * 65_536).length >= 3, `fetches of ${fetched.join(', ')} bytes`);
  });

  test('a rewind moves the offsets to the log start, the log end, a time, or a time ago', async () => {
    const topic = 'act-times';
    const producer = new Producer({ clientId: 'rewind-test', bootstrapBrokers: [broker.bootstrap], autocreateTopics: true });
    const client = new PlatformaticAdmin({ clientId: 'rewind-test', bootstrapBrokers: [broker.bootstrap] });
    try {
      await client.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
      const send = (n: number) => producer.send({ messages: Array.from({ length: n }, (_, i) => ({ topic, key: Buffer.from(`k${i}`), value: Buffer.from('v') })) });
      await send(10);
      await sleep(50);
      const middle = Date.now();
      await sleep(50);
      await send(5);
      const positions: Record<string, number | undefined> = {};
      const targets = [
        ['earliest', { kind: 'earliest' }],
        ['latest', { kind: 'latest' }],
        ['timestamp', { kind: 'timestamp', ms: middle }],
        ['an hour ago', { kind: 'ago', ms: 3_600_000 }],
        ['in the future', { kind: 'timestamp', ms: Date.now() + 60_000 }],
      ] as const;
      for (const [label, target] of targets) {
        await resetGroupOffsets(client, 'act-rewinds', [topic], target, Date.now());
        positions[label] = (await committed(admin, 'act-rewinds', topic)).get(0);
      }
      assert.deepEqual(positions, { earliest: 0, latest: 15, timestamp: 10, 'an hour ago': 0, 'in the future': 15 });
    } finally {
      await producer.close();
      await client.close();
    }
  });
});
