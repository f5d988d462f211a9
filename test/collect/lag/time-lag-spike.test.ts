/**
 * Lag in seconds stays honest under a traffic spike.
 *
 * Live: a bundled broker, a producer at a steady rate that goes 10× for two seconds, a real
 * consumer group (kafkajs) that reads slower than that and commits behind, and the topic
 * collector every 500 ms. At every collection sample, the lag in seconds Sluice stored is
 * compared with the true age of the next message the group will consume: the timestamp of the
 * message at its committed offset, as a real client (kafkajs) read it.
 *
 * Why it is read and not interpolated (pure): on the same pattern, interpolating a table of log
 * end readings dates the spike's first messages to the start of the interval the spike began in,
 * and once readings are missing (a collector that could not reach the cluster during the spike)
 * the error spans the whole gap; the record's own timestamp has no error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { KafkaAdmin } from '../../../src/kafka/admin.ts';
import { TopicCollector } from '../../../src/collect/topics.ts';
import { CollectScheduler } from '../../../src/collect/scheduler.ts';
import { adminOptionsOf } from '../../../src/collect/config.ts';
import { CycleTimeLag, RecordTimes } from '../../../src/collect/lag/record-times.ts';
import { OffsetTimeTable, OffsetTimeTables } from '../../../src/collect/lag/time-lag.ts';
import type { RunningCluster } from '../../../src/kafka/broker/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { closeTestStore, clusterConfigFor, openTestStore, startTestCluster, stored, waitUntil } from '../support.ts';

const INTERVAL_MS = 500;

describe('time lag under a 10× spike, pure: record timestamps against interpolation', () => {
  // Produced: every 50 ms until 4.25 s (20/s), every 5 ms until 6.25 s (200/s), every 50 ms
  // after; a group reads 10 messages a second from offset 0, so it reaches the spike at 8.5 s.
  const produced: number[] = [];
  for (let t = 25; t < 4250; t += 50) produced.push(t);
  for (let t = 4252; t < 6250; t += 5) produced.push(t);
  for (let t = 6275; t <= 16_000; t += 50) produced.push(t);
  const logEnd = (t: number) => produced.filter((at) => at <= t).length;
  const committedAt = (t: number) => Math.floor(t / 100);
  const samples = Array.from({ length: 30 }, (_, k) => (k + 1) * INTERVAL_MS);

  /** Error (ms) of the lag each sample reports, against the true age of the message at the committed offset. */
  function errors(lagAt: (t: number, committed: number, end: number) => number | undefined, readAt: readonly number[] = samples): number[] {
    return readAt.map((t) => {
      const committed = committedAt(t);
      const lag = lagAt(t, committed, logEnd(t));
      assert.notEqual(lag, undefined, `lag at ${t} ms`);
      return lag! - (t - produced[committed]!);
    });
  }
  const worst = (errs: readonly number[]) => Math.round(Math.max(...errs.map(Math.abs)) * 10) / 10;

  test('the record read at the committed offset gives the true age at every sample', () => {
    const times = new RecordTimes();
    const errs = errors((t, committed, end) => {
      const logs = [{ topic: 'spike', partition: 0, start: 0, end }];
      const plan = times.plan([{ group: 'lagging', offsets: [{ topic: 'spike', partition: 0, offset: committed }] }], logs);
      // What a Fetch at each offset returns: the message's own timestamp.
      for (const r of plan.reads) times.store(r.topic, r.partition, r.offset, produced[r.offset]!);
      return new CycleTimeLag(times, new OffsetTimeTables(), logs).timeLagMs('spike', 0, committed, t);
    });
    assert.deepEqual(errs, samples.map(() => 0));
  });

  test('interpolation misdates the spike by most of an interval, and by more than two once readings are missing', () => {
    const interpolate = (readAt: readonly number[]) => {
      const table = new OffsetTimeTable();
      table.append(logEnd(0), 0);
      return errors((t, committed, end) => {
        table.append(end, t);
        return table.timeLagMs(committed, t);
      }, readAt);
    };
    // Steady traffic: off by 25 ms, the interpolation dating a message to when the log end
    // reached it (the message before was produced 50 ms earlier).
    const everyCycle = interpolate(samples);
    assert.equal(everyCycle[0], 25);
    // Message 85, the spike's first, produced at 4.252 s: between the readings at 4.0 s (log end
    // 80) and 4.5 s (log end 135) interpolation puts it at 4.0 + 5/55 × 0.5 s = 4.045 s.
    assert.equal(worst(everyCycle), 206.5);
    // No readings from 3 s to 7 s: the 4 s between 3.0 s (log end 60) and 7.0 s (log end 500)
    // are spread evenly over the 440 messages, and message 85 is dated 3.227 s.
    const withGap = interpolate(samples.filter((t) => t <= 3000 || t >= 7000));
    assert.equal(worst(withGap), 1024.7);
    assert.ok(worst(withGap) > 2 * INTERVAL_MS);
  });
});

describe('time lag under a 10× spike, live', () => {
  let running: RunningCluster;
  let store: Store;
  let kafka: Kafka;
  before(async () => {
    running = await startTestCluster({ brokers: 1, topics: [{ name: 'spike', partitions: 1, replicationFactor: 1 }] });
    store = await openTestStore();
    kafka = new Kafka({ brokers: running.bootstrap.split(','), clientId: 'spike-test', logLevel: logLevel.NOTHING });
  });
  after(async () => {
    await closeTestStore(store);
    await running.stop();
  });

  test('at every sample, Sluice\'s lag in seconds is the age of the next message to consume, within one interval', async (t) => {
    const config = clusterConfigFor(running, { intervals: { topics: INTERVAL_MS / 1000 } });
    const collector = new TopicCollector(config, new KafkaAdmin(adminOptionsOf(config)), { commits: 'polled' });
    const scheduler = new CollectScheduler({ collectors: [collector], sink: store.writer, registry: new Registry(), jitter: 0 });
    const producer: Producer = kafka.producer();
    const admin: Admin = kafka.admin();
    const lagging: Consumer = kafka.consumer({ groupId: 'lagging', maxWaitTimeInMs: 100 });
    const reader: Consumer = kafka.consumer({ groupId: 'truth-reader', maxWaitTimeInMs: 100 });
    /** Message timestamps as the real client read them, by offset. */
    const truth = new Map<number, number>();
    let perTick = 1;
    let producing = true;
    let pump: Promise<void> | undefined;
    const committed = async (): Promise<number> => Number((await admin.fetchOffsets({ groupId: 'lagging', topics: ['spike'] }))[0]!.partitions[0]!.offset);
    try {
      await Promise.all([producer.connect(), admin.connect(), lagging.connect(), reader.connect()]);
      // The producer: a tick every 50 ms, one message a tick (20/s), ten during the spike (200/s).
      pump = (async () => {
        while (producing) {
          await producer.send({ topic: 'spike', messages: Array.from({ length: perTick }, () => ({ value: 'x' })) });
          await sleep(50);
        }
      })();
      await sleep(1000);
      await reader.subscribe({ topic: 'spike', fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void truth.set(Number(message.offset), Number(message.timestamp)) });
      // The group reads 10 messages a second and commits each: always behind a 20/s producer.
      await lagging.subscribe({ topic: 'spike', fromBeginning: true });
      await lagging.run({ autoCommitThreshold: 1, eachMessage: () => sleep(100) });
      await waitUntil(async () => (await committed()) > 0, 15_000, 'the lagging group to commit');

      // A first cycle connects and loads the client library; the timed ones follow.
      await collector.collect({ nowMs: Date.now() });
      // 12 cycles: 4 steady intervals, 4 in the spike, 4 steady again.
      // The group commits on while a cycle runs: its committed offset is read with the real
      // client just before and just after each cycle, and the one the cycle saw lies between.
      const cycles: { ts: number; before: number; after: number }[] = [];
      const start = Date.now();
      for (let k = 0; k < 12; k++) {
        await sleep(Math.max(0, start + k * INTERVAL_MS - Date.now()));
        const before = await committed();
        const [{ result }] = await scheduler.runOnce();
        const after = await committed();
        assert.deepEqual(result?.errors, [], `cycle ${k}`);
        const ts = result!.samples.find((s) => s.metric === 'kafka_consumergroup_group_lag_seconds')?.ts;
        assert.ok(ts !== undefined, `cycle ${k} wrote no lag in seconds`);
        cycles.push({ ts, before, after });
        // Until the next sample: the spike after samples 4 to 7.
        perTick = k >= 4 && k < 8 ? 10 : 1;
      }
      producing = false;
      await pump;
      const labels = { cluster: 'test', group: 'lagging', topic: 'spike', partition: '0' };
      const lagSeconds = await stored(store, 'kafka_consumergroup_group_lag_seconds', labels);
      assert.deepEqual(lagSeconds.map((p) => p.ts), cycles.map((c) => c.ts));
      // The committed offset each cycle saw: its log end less its offset lag, as stored.
      const ends = await stored(store, 'kafka_partition_latest_offset', { cluster: 'test', topic: 'spike', partition: '0' });
      const lags = await stored(store, 'kafka_consumergroup_group_lag', labels);
      const seen = cycles.map((c, k) => {
        const end = ends.find((p) => p.ts === c.ts)?.value;
        const lag = lags.find((p) => p.ts === c.ts)?.value;
        assert.ok(end !== undefined && lag !== undefined, `cycle ${k}: no log end or offset lag stored at ${c.ts}`);
        const offset = end - lag;
        assert.ok(offset >= c.before && offset <= c.after, `cycle ${k}: Sluice saw committed offset ${offset}, the group had ${c.before} before the cycle and ${c.after} after`);
        return offset;
      });
      await waitUntil(() => seen.every((o) => truth.has(o)), 10_000, 'the truth reader to reach every committed offset');
      const diffs = lagSeconds.map((p, k) => p.value - (p.ts - truth.get(seen[k]!)!) / 1000);
      for (const [k, diff] of diffs.entries()) {
        assert.ok(Math.abs(diff) <= INTERVAL_MS / 1000, `sample ${k}: Sluice ${lagSeconds[k]!.value} s, true age ${(lagSeconds[k]!.value - diff).toFixed(3)} s`);
      }
      // Every one of them was read from the record, none interpolated.
      const sources = async (source: string) => (await stored(store, 'sluice_lag_seconds_sources', { cluster: 'test', source })).map((p) => p.value);
      assert.deepEqual(await sources('record'), cycles.map(() => 1));
      assert.deepEqual(await sources('interpolated'), cycles.map(() => 0));
      // The spike happened: the log grew several times faster in its cycles than in steady ones.
      const grown = (from: number, to: number) => ends[to]!.value - ends[from]!.value;
      assert.ok(grown(4, 8) > 5 * grown(0, 4), `log end per phase: ${grown(0, 4)} steady, ${grown(4, 8)} spike`);
      t.diagnostic(`largest |Sluice - true age|: ${Math.max(...diffs.map(Math.abs)).toFixed(3)} s over ${diffs.length} samples`);
    } finally {
      producing = false;
      await pump?.catch(() => undefined);
      await Promise.all([lagging.disconnect(), reader.disconnect(), producer.disconnect(), admin.disconnect()].map((p) => p.catch(() => undefined)));
      await scheduler.stop();
    }
  });
});
