/**
 * consumer_byte_rate with three real consumers reading a backlog: kcat (librdkafka), kafkajs and
 * @platformatic/kafka, each under its own client id with a 20 KiB/s quota, side by side on one
 * broker. Each must receive its quota within 10% over 30 s from its first record: slowed to the
 * quota, never stopped.
 *
 * A throttled fetch is answered empty (as Kafka answers it) and a fetch is bounded to what the
 * quota admits over the least span its rate divides by; the throttle time is when the same fetch
 * would pass. A batch larger than any fetch the quota admits is sent alone (else the consumer
 * would never get past it: 0 bytes in 30 s before this was handled).
 *
 * A quota holds on each broker for its entity, whichever connections count against it: a group
 * of three instances sharing one client id, reading partitions led by three brokers, receives
 * three times the quota between them, not three times that (one window each) nor less (the
 * instances' fetches crowding each other out of the window).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Consumer, type Message } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdmin } from '../../../src/kafka/admin.ts';
import { startCluster, type RunningCluster } from '../../../src/kafka/broker/index.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { KCAT } from '../../helpers/kcat.ts';

const QUOTA = 20 * 1024;
const MEASURE_MS = 30_000;
const VALUE = Buffer.alloc(1024, 7);

/**
 * Counts the value bytes `start` delivers to `onBytes` over MEASURE_MS from the first of them, then
 * stops it; the result is bytes per second.
 */
async function measure(start: (onBytes: (n: number) => void) => Promise<() => Promise<void>>): Promise<number> {
  let first: number | undefined;
  let bytes = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  const stop = await start((n) => {
    const now = Date.now();
    if (first === undefined) {
      first = now;
      setTimeout(done, MEASURE_MS);
    }
    if (now - first <= MEASURE_MS) bytes += n;
  });
  const guard = setTimeout(done, 3 * MEASURE_MS);
  await finished;
  clearTimeout(guard);
  await stop();
  return bytes / (MEASURE_MS / 1000);
}

/** A @platformatic/kafka group member reading `topic` from the earliest offsets, handing each record's value size to `onBytes`. */
async function platformaticReader(bootstrap: string[], clientId: string, groupId: string, topic: string, onBytes: (n: number) => void) {
  const consumer = new Consumer({ clientId, bootstrapBrokers: bootstrap, groupId, maxWaitTime: 100 });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => onBytes(message.value?.length ?? 0));
  return { consumer, stream };
}

describe('consumer_byte_rate 20 KiB/s: kcat, kafkajs and @platformatic/kafka reading a backlog', { concurrency: true }, () => {
  let c: RunningCluster;
  before(async () => {
    c = await startCluster({ port: 0, brokers: 1, host: '127.0.0.1', logger: silentLogger(), topics: [{ name: 'backlog', partitions: 1 }, { name: 'big-batches', partitions: 1 }] });
    // 3 MiB in batches of ten 1 KiB records: 5 times what a consumer may read in the 30 s. And
    // 3 MiB in batches of 300 KiB, each larger than the 200 KiB a fetch under the quota may hold.
    const producer = new Kafka({ brokers: [c.bootstrap], clientId: 'filler', logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    for (let i = 0; i < 300; i++) await producer.send({ topic: 'backlog', acks: 1, messages: Array.from({ length: 10 }, () => ({ value: VALUE })) });
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'big-batches', acks: 1, messages: Array.from({ length: 300 }, () => ({ value: VALUE })) });
    await producer.disconnect();
    const admin = new KafkaAdmin({ bootstrap: [c.bootstrap] });
    const set = await admin.alterClientQuotas(['reader-kcat', 'reader-kcat-big', 'reader-kafkajs', 'reader-platformatic'].map((id) => ({ entity: [{ entityType: 'client-id', entityName: id }], key: 'consumer_byte_rate', value: QUOTA })));
    await admin.close();
    assert.deepEqual(set.errors, []);
  });
  after(async () => {
    await c?.stop();
  });

  const within = (rate: number, who: string): void => {
    console.log(`${who}: ${(rate / 1024).toFixed(2)} KiB/s under a ${QUOTA / 1024} KiB/s quota (${(rate / QUOTA).toFixed(3)})`);
    assert.ok(rate >= 0.9 * QUOTA && rate <= 1.1 * QUOTA, `${who} received ${(rate / 1024).toFixed(2)} KiB/s over 30 s`);
  };

  /** kcat reading `topic` from the beginning as `clientId`: bytes per second over 30 s. */
  const kcatRate = (topic: string, clientId: string): Promise<number> => measure(async (onBytes) => {
    // -u: unbuffered, so every record is counted when it arrives.
    const kcat = spawn(KCAT, ['-C', '-b', c.bootstrap, '-t', topic, '-o', 'beginning', '-X', `client.id=${clientId}`, '-f', '%S\n', '-q', '-u'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let rest = '';
    kcat.stdout.setEncoding('utf8').on('data', (text: string) => {
      const lines = (rest + text).split('\n');
      rest = lines.pop()!;
      for (const line of lines) onBytes(Number(line));
    });
    return async () => {
      kcat.kill();
    };
  });

  test('kcat', async () => {
    within(await kcatRate('backlog', 'reader-kcat'), 'kcat');
  });

  test('kcat, batches larger than a fetch under the quota may hold: each is sent alone, then the client waits for the quota to pay for it', async () => {
    within(await kcatRate('big-batches', 'reader-kcat-big'), 'kcat (300 KiB batches)');
  });

  test('kafkajs', async () => {
    const rate = await measure(async (onBytes) => {
      const consumer = new Kafka({ brokers: [c.bootstrap], clientId: 'reader-kafkajs', logLevel: logLevel.NOTHING }).consumer({ groupId: 'readers-kafkajs' });
      await consumer.connect();
      await consumer.subscribe({ topic: 'backlog', fromBeginning: true });
      void consumer.run({ eachMessage: async ({ message }) => onBytes(message.value?.length ?? 0) });
      return () => consumer.disconnect();
    });
    within(rate, 'kafkajs');
  });

  test('@platformatic/kafka', async () => {
    const rate = await measure(async (onBytes) => {
      const reader = await platformaticReader([c.bootstrap], 'reader-platformatic', 'readers-platformatic', 'backlog', onBytes);
      return async () => {
        await reader.stream.close();
        await reader.consumer.close(true);
      };
    });
    within(rate, '@platformatic/kafka');
  });
});

describe('consumer_byte_rate 100 KiB/s on three brokers: a group of three @platformatic/kafka instances sharing one client id', () => {
  const PER_BROKER = 100 * 1024;
  let c: RunningCluster;
  before(async () => {
    c = await startCluster({ port: 0, brokers: 3, host: '127.0.0.1', logger: silentLogger(), topics: [{ name: 'clicks', partitions: 3 }] });
    assert.deepEqual([0, 1, 2].map((i) => c.cluster.topics.partition('clicks', i)!.leader).sort(), [0, 1, 2]);
    // 12 MiB over three partitions, one led by each broker: four times what the group may read in 30 s.
    const producer = new Kafka({ brokers: c.bootstrap.split(','), clientId: 'filler', logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    for (let i = 0; i < 1200; i++) await producer.send({ topic: 'clicks', acks: 1, messages: Array.from({ length: 10 }, (_, j) => ({ partition: (i + j) % 3, value: VALUE })) });
    await producer.disconnect();
    const admin = new KafkaAdmin({ bootstrap: c.bootstrap.split(',') });
    const set = await admin.alterClientQuotas([{ entity: [{ entityType: 'client-id', entityName: 'replay' }], key: 'consumer_byte_rate', value: PER_BROKER }]);
    await admin.close();
    assert.deepEqual(set.errors, []);
  });
  after(async () => {
    await c?.stop();
  });

  test('the group receives the quota of each broker, three times 100 KiB/s in all, within 10% over 30 s', async () => {
    const rate = await measure(async (onBytes) => {
      const members = await Promise.all([0, 1, 2].map(() => platformaticReader(c.bootstrap.split(','), 'replay', 'replayers', 'clicks', onBytes)));
      // All at once: a member left behind would rebalance, and rejoin a stopping cluster.
      return async () => {
        await Promise.all(members.map(({ stream }) => stream.close()));
        await Promise.all(members.map(({ consumer }) => consumer.close(true)));
      };
    });
    console.log(`a group of three sharing client id replay: ${(rate / 1024).toFixed(2)} KiB/s under ${PER_BROKER / 1024} KiB/s per broker on 3 brokers (${(rate / (3 * PER_BROKER)).toFixed(3)})`);
    assert.ok(rate >= 0.9 * 3 * PER_BROKER && rate <= 1.1 * 3 * PER_BROKER, `the group received ${(rate / 1024).toFixed(2)} KiB/s over 30 s`);
  });
});
