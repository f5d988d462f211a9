/**
 * A 60 s run against the bundled broker: two producers (one with a spike) and a two-member
 * consumer group. Rates are measured by the broker (ListOffsets latest minus earliest), not by
 * the generator, and must be within 5% of what the schedule asked; the group must end with its
 * committed offsets at the log end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Admin } from 'kafkajs';
import type { RunningBroker } from '../../src/kafka/broker/options.ts';
import { latencyQuantile } from '../../src/workload/latency.ts';
import { ratePlan } from '../../src/workload/producer-runner.ts';
import { parseScenario } from '../../src/workload/scenario.ts';
import { scheduledCount } from '../../src/workload/pacing.ts';
import { committed, endOffsets, kafkajsAdmin, recordCount, runScenario, startTestBroker } from './support.ts';

const DURATION_MS = 60_000;
const SCENARIO = `
name: steady-pair
duration: 60s
topics:
  - { name: wl-orders, partitions: 4, replicationFactor: 3 }
  - { name: wl-clicks, partitions: 2 }
producers:
  - { id: orders, topic: wl-orders, rate: 400, size: 1024, keys: 100, acks: all }
  - { id: clicks, topic: wl-clicks, rate: 150, size: 256, keys: 50, acks: 1, compression: gzip,
      spikes: [ { at: 20s, for: 10s, factor: 2 } ] }
consumers:
  - { id: billing, group: wl-billing, topics: [wl-orders, wl-clicks], instances: 2 }
`;

describe('a 60 s run: paced producers and a consumer group', () => {
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

  test('each producer achieves its asked rate within 5% as the broker counts, and the group commits to the end', { timeout: 90_000 }, async (t) => {
    const { run, status, logs } = await runScenario(SCENARIO, { bootstrap: broker.bootstrap });
    assert.equal(run.durationMs, DURATION_MS);
    // Counters can be read at any moment without asking the cluster; asked is the schedule's count then.
    await sleep(10_000);
    const mid = run.counters();
    assert.ok(mid.elapsedMs >= 9_900 && mid.elapsedMs < 12_000, `counters at ${mid.elapsedMs} ms`);
    assert.equal(mid.producers[0]?.asked, Math.floor((400 * mid.elapsedMs) / 1000));
    assert.ok((mid.consumers[0]?.consumedBytes ?? 0) > 0);
    const summary = await run.done;
    assert.equal(summary.reason, 'finished');
    assert.equal(run.counters().elapsedMs, DURATION_MS);

    const scenario = parseScenario(SCENARIO);
    const measured: Record<string, { asked: number; stored: number; ratio: number }> = {};
    for (const spec of scenario.producers) {
      const asked = scheduledCount(ratePlan(spec, 1), DURATION_MS);
      const stored = await recordCount(admin, spec.topic);
      measured[spec.id] = { asked, stored, ratio: stored / asked };
    }
    // 400/s for 60 s; 150/s for 60 s with 10 s doubled.
    assert.equal(measured.orders?.asked, 24_000);
    assert.equal(measured.clicks?.asked, 10_500);
    for (const [id, m] of Object.entries(measured)) {
      assert.ok(Math.abs(m.ratio - 1) <= 0.05, `${id}: broker holds ${m.stored} records, asked ${m.asked} (${(100 * m.ratio).toFixed(2)}%)`);
    }
    t.diagnostic(`measured by the broker: ${JSON.stringify(measured)}`);

    // The generator's own counters agree with the broker and report no loss.
    for (const p of summary.sample.producers) {
      assert.equal(p.failed, 0, `${p.id} failed sends`);
      assert.equal(p.shortfall, 0, `${p.id} shortfall`);
      assert.equal(p.acked, measured[p.id]?.stored, `${p.id}: acknowledged = stored`);
      // Every acknowledged message has its acknowledge latency; an unloaded broker answers in well under a second.
      assert.equal(p.ackLatency.count, p.acked, `${p.id}: acknowledge latencies counted`);
      const p99 = latencyQuantile(p.ackLatency, 0.99) ?? 0;
      assert.ok(p99 > 0 && p99 < 1000, `${p.id}: acknowledge latency p99 ${p99} ms`);
    }

    // The group read everything and committed up to the log end of every partition.
    for (const topic of ['wl-orders', 'wl-clicks']) {
      const ends = await endOffsets(admin, topic);
      const commits = await committed(admin, 'wl-billing', topic);
      assert.deepEqual(commits, ends, `${topic}: committed offsets of wl-billing`);
    }
    const billing = summary.sample.consumers[0];
    assert.equal(billing?.lag?.lag, 0);
    assert.deepEqual(Object.keys(billing?.consumedBytesByTopic ?? {}).sort(), ['wl-clicks', 'wl-orders']);
    assert.equal(Object.values(billing?.consumedBytesByTopic ?? {}).reduce((sum, b) => sum + b, 0), billing?.consumedBytes);
    const stored = Object.values(measured).reduce((sum, m) => sum + m.stored, 0);
    assert.ok((billing?.consumed ?? 0) >= stored, `billing consumed ${billing?.consumed} of ${stored}`);

    // One status line every 5 s (11 or 12 of them), then the closing summary.
    const lines = status.filter((line) => line.startsWith('['));
    assert.ok(lines.length >= 11 && lines.length <= 13, `status lines:\n${status.join('\n')}`);
    // Asked rates are what the schedule asked over the status interval as the wall clock measured
    // it, so a 5.01 s interval shows 399.9 KiB/s for 400 KiB/s.
    assert.match(lines[2] ?? '', /^\[15s\] orders \d+\/(?:399|400|401) msg\/s [\d.]+ KiB\/(?:399\.\d|400\.\d) KiB\/s throttle 0ms \| clicks \d+\/(?:149|150|151) msg\/s [\d.]+ KiB\/(?:37\.\d) KiB\/s throttle 0ms \| billing \d+\/max msg\/s [\d.]+ KiB\/s lag \d+ throttle 0ms$/);
    // The producers start after the run's setup, so the schedule's count at their stop can be one
    // short of rate × duration (23,999 of 24,000); the broker-side counts above are the measure.
    assert.match(status.at(-1) ?? '', /^sluice workload: steady-pair finished after 1m: orders acked \d+ of (?:23999|24000) asked .*; billing consumed \d+, lag 0$/);
    assert.deepEqual(logs.filter((l) => (l.level as number) >= 40).map((l) => l.msg), [
      'topic wl-orders: replicationFactor 3 capped to 1, the number of brokers',
    ]);

    // What was written is what the format promises: keys, size, headers.
    await assertMessageFormat(broker.bootstrap);
  });
});

async function assertMessageFormat(bootstrap: string): Promise<void> {
  const consumer = new kafkajs.Kafka({ clientId: 'wl-check', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING }).consumer({
    groupId: 'wl-check',
  });
  await consumer.connect();
  await consumer.subscribe({ topic: 'wl-orders', fromBeginning: true });
  const seen = await new Promise<kafkajs.KafkaMessage>((resolve) => {
    void consumer.run({ eachMessage: async ({ message }) => resolve(message) });
  });
  await consumer.disconnect();
  assert.match(seen.key?.toString() ?? '', /^key-\d{1,2}$/);
  assert.equal(seen.value?.length, 1024);
  assert.equal(seen.headers?.['sluice-producer']?.toString(), 'orders');
  const ts = Number(seen.headers?.['sluice-ts']?.toString());
  assert.ok(Math.abs(ts - Number(seen.timestamp)) < 5000, `sluice-ts ${ts} near the record timestamp ${seen.timestamp}`);
}
