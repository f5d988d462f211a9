/**
 * A real consumer (kafkajs) that stops making progress but keeps re-committing its offset, then
 * leaves its group, watched by a real topic collector over a bundled broker, with commits read
 * from `__consumer_offsets` and with commits polled. Burrow 1.2's rules say, on both sources:
 * a window of re-commits of one offset behind the log end is STALL; once the group is empty and
 * silent for longer than its window spans, STOP (the group ERR either way).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { startCluster } from '../../../src/kafka/broker/index.ts';
import { KafkaAdmin } from '../../../src/kafka/admin.ts';
import { TopicCollector } from '../../../src/collect/topics.ts';
import { adminOptionsOf, parseCollectConfig } from '../../../src/collect/config.ts';
import { evaluateGroup } from '../../../src/collect/lag/burrow.ts';
import { bundledClusterEntry } from '../../helpers/service.ts';
import { waitFor } from '../../helpers/broker.ts';

const TOPIC = 'events';

async function scenario(commits: 'auto' | 'polled'): Promise<void> {
  const running = await startCluster({ brokers: 1, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), topics: [{ name: TOPIC, partitions: 1, replicationFactor: 1 }] });
  const config = parseCollectConfig({ clusters: [bundledClusterEntry(running, 'test', { timeouts: { requestMs: 2000, connectMs: 1000, scrapeMs: 2000 } })] }).clusters[0]!;
  const collector = new TopicCollector(config, new KafkaAdmin(adminOptionsOf(config)), { commitWindows: { intervals: 3 }, commits });
  const kafka = new Kafka({ brokers: running.bootstrap.split(','), clientId: `recommit-${commits}`, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'recommit' });
  let release = (): void => {};
  const blocked = new Promise<void>((resolve) => { release = resolve; });
  let stuckAt = -1;
  const produce = (n: number) => producer.send({ topic: TOPIC, messages: Array.from({ length: n }, (_, i) => ({ value: `v${i}` })) });
  const windowOf = () => collector.commits.windows.window('recommit', TOPIC, 0);
  try {
    await producer.connect();
    await produce(10);
    // The consumer reads offsets 0..3 and hangs on offset 4, as a consumer stuck on a message does.
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (Number(message.offset) === 4) {
          stuckAt = 4;
          await blocked;
        }
      },
    });
    await waitFor(() => stuckAt === 4, 10_000, 'the consumer to reach offset 4');
    const recommit = () => consumer.commitOffsets([{ topic: TOPIC, partition: 0, offset: '4' }]);

    if (commits === 'auto') {
      // The first commit creates __consumer_offsets; the reader starts after the first cycle and
      // is the source from the cycle after its first round.
      await recommit();
      await collector.collect({ nowMs: Date.now() });
      await waitFor(() => collector.commits.readerState?.lastReadMs !== undefined, 5000, 'the offsets topic read');
    }
    // Three cycles: the log grows by 10, and the member re-commits offset 4.
    for (let i = 0; i < 3; i++) {
      await produce(10);
      if (commits === 'polled') {
        await recommit();
        await collector.collect({ nowMs: Date.now() });
      } else {
        await collector.collect({ nowMs: Date.now() });
        // Read once the newest commit held is a later record of the offsets topic.
        const before = windowOf()?.commits.at(-1)?.order ?? -1;
        await recommit();
        await waitFor(() => (windowOf()?.commits.at(-1)?.order ?? -1) > before, 5000, 'the re-commit read');
      }
    }
    assert.equal(collector.commits.source, commits === 'auto' ? 'offsets-topic' : 'polled');
    const window = windowOf()!;
    assert.deepEqual(window.commits.map((c) => c.offset), [4, 4, 4]);
    const last = window.commits[2]!.timestampMs;
    const span = last - window.commits[0]!.timestampMs;
    const stalled = evaluateGroup(collector.commits.windows.groupWindows('recommit'), last);
    assert.deepEqual([stalled.status, stalled.partitions[0]!.status, stalled.totalLag], ['ERR', 'STALL', 40 - 4]);

    // The member leaves: the group is empty and commits nothing more.
    release();
    await consumer.disconnect();
    for (let i = 0; i < 2; i++) {
      await produce(10);
      await collector.collect({ nowMs: Date.now() });
    }
    assert.deepEqual(windowOf()!.commits.map((c) => [c.offset, c.timestampMs]), window.commits.map((c) => [c.offset, c.timestampMs]));
    const silent = evaluateGroup(collector.commits.windows.groupWindows('recommit'), last + span + 1000);
    assert.deepEqual([silent.status, silent.partitions[0]!.status, silent.totalLag], ['ERR', 'STOP', 60 - 4]);
  } finally {
    release();
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await collector.close();
    await running.stop();
  }
}

describe('re-committed offsets and an emptied group', { concurrency: true }, () => {
  test('read from __consumer_offsets: STALL while re-committing, STOP once empty and silent', () => scenario('auto'));
  test('polled: the same statuses, a group with members being taken to re-commit', () => scenario('polled'));
});
