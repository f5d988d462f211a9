import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Kafka, logLevel, type logCreator } from 'kafkajs';
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import { startCluster, type RunningCluster } from '../../../src/kafka/broker/index.ts';

/**
 * Client quotas end to end, with two independent clients: a producer offering 4 MB/s under
 * producer_byte_rate 1 MB/s is held to about 1 MB/s and is told so in throttle_time_ms; removing
 * the quota lifts the throttle once the throttle time last announced has passed.
 *
 * Kafka's rate divides by at least (quota.window.num - 1) windows, so a client offering 4× its
 * quota bursts about 10 s worth of quota, is held back, and bursts again each time those samples
 * expire: its acknowledged throughput is a sawtooth with the quota window's period (11 s). Two
 * measures are asserted after one quota window of warm-up:
 * - the rate the broker measures for the client (Kafka's windowed rate, the
 *   kafka_server_produce_byte_rate series), averaged over 20 s;
 * - acknowledged bytes over two whole quota periods (22 s), which does not depend on where the
 *   sawtooth's bursts fall (a 20 s window catches one or two of them).
 */
const WARMUP_MS = 11_000;
const MEASURE_MS = 22_000;

const OFFERED = 4 * 1024 * 1024;
const QUOTA = 1024 * 1024;
const MESSAGE = 10 * 1024;
const PER_SEND = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  /** Bytes acknowledged between start and end of the window. */
  bytes: number;
  maxThrottleMs: number;
  /** Broker-measured rate of the client, averaged over the first 20 s after warm-up. */
  brokerRate: number;
}

/**
 * Sends at `OFFERED` bytes/s (paced by schedule) for warmupMs + ms, counting the bytes
 * acknowledged after the warm-up.
 */
async function paced(send: () => Promise<void>, ms: number, throttleSeen: () => number, warmupMs = 0, brokerRate: () => number = () => 0): Promise<Run> {
  const start = Date.now();
  const bytesPerSend = MESSAGE * PER_SEND;
  let sent = 0;
  let measured = 0;
  const rates: number[] = [];
  const sampler = setInterval(() => {
    const t = Date.now() - start;
    if (t > warmupMs && t <= warmupMs + 20_000) rates.push(brokerRate());
  }, 250);
  while (Date.now() - start < warmupMs + ms) {
    const due = ((Date.now() - start) / 1000) * OFFERED;
    if (sent * bytesPerSend > due) {
      await sleep(5);
      continue;
    }
    await send();
    sent++;
    if (Date.now() - start > warmupMs) measured += bytesPerSend;
  }
  clearInterval(sampler);
  return { bytes: measured, maxThrottleMs: throttleSeen(), brokerRate: rates.reduce((a, b) => a + b, 0) / Math.max(rates.length, 1) };
}

/** The produce rate broker 0 measures for a client id (its quota sensor). */
function measuredRate(c: RunningCluster, clientId: string): number {
  return c.cluster.nodes[0]!.quotaEnforcer.snapshot(Date.now()).find((e) => e.type === 'produce' && e.clientId === clientId)?.rate ?? 0;
}

async function setQuota(bootstrap: string, clientId: string, value: number | null): Promise<void> {
  const admin = new Admin({ clientId: 'quota-admin', bootstrapBrokers: [bootstrap] });
  try {
    await admin.alterClientQuotas({
      entries: [{ entities: [{ entityType: 'client-id', entityName: clientId }], ops: [{ key: 'producer_byte_rate', value: value ?? 0, remove: value === null }] }],
    });
  } finally {
    await admin.close();
  }
}

// The two clients run side by side, each on its own cluster: at 1 MB/s each they mostly wait on
// the quota, and the broker's rate and the acknowledged bytes are per client.
describe('producer_byte_rate with two clients', { concurrency: true }, () => {
test('kafkajs producer at 4 MB/s under producer_byte_rate 1 MB/s averages 0.9–1.1 MB/s and sees throttle_time_ms', async () => {
  const c = await startCluster({ port: 0, topics: [{ name: 'q1', partitions: 1 }] });
  let maxThrottle = 0;
  const logs: logCreator = () => ({ log }) => {
    // Since Produce v6 (KIP-219) kafkajs reports the broker's throttle_time_ms as clientSideThrottleTime.
    const data = (log as { data?: { throttleTime?: number; clientSideThrottleTime?: number } }).data;
    const throttle = Math.max(data?.throttleTime ?? 0, data?.clientSideThrottleTime ?? 0);
    if (log.message.startsWith('Response Produce') && throttle > 0) maxThrottle = Math.max(maxThrottle, throttle);
  };
  const CLIENT = 'noisy-kafkajs';
  const kafka = new Kafka({ brokers: [c.bootstrap], clientId: CLIENT, logLevel: logLevel.DEBUG, logCreator: logs });
  const producer = kafka.producer();
  try {
    await producer.connect();
    await setQuota(c.bootstrap, 'noisy-kafkajs', QUOTA);
    const value = Buffer.alloc(MESSAGE, 7);
    const send = async () => { await producer.send({ topic: 'q1', acks: 1, messages: Array.from({ length: PER_SEND }, () => ({ value })) }); };
    const run = await paced(send, MEASURE_MS, () => maxThrottle, WARMUP_MS, () => measuredRate(c, CLIENT));
    const rate = run.bytes / (MEASURE_MS / 1000);
    console.log(`${CLIENT}: acknowledged ${(rate / QUOTA).toFixed(3)} MiB/s over 22 s, broker-measured ${(run.brokerRate / QUOTA).toFixed(3)} MiB/s over 20 s, max throttle ${run.maxThrottleMs} ms`);
    assert.ok(rate >= 0.9 * QUOTA && rate <= 1.1 * QUOTA, `achieved ${(rate / QUOTA).toFixed(3)} MB/s acknowledged`);
    assert.ok(run.brokerRate >= 0.9 * QUOTA && run.brokerRate <= 1.1 * QUOTA, `broker-measured ${(run.brokerRate / QUOTA).toFixed(3)} MB/s`);
    assert.ok(run.maxThrottleMs > 0, 'throttle_time_ms seen in produce responses');
    await setQuota(c.bootstrap, 'noisy-kafkajs', null);
    const lifted = Date.now();
    // The connection may stay muted for the throttle time last announced (as on Kafka, removing a
    // quota does not unmute it early): 2 s are measured once that much has passed.
    const residual = run.maxThrottleMs;
    maxThrottle = 0;
    const after = await paced(send, 2_000, () => maxThrottle, residual);
    assert.ok(after.bytes / 2 >= 0.8 * OFFERED, `after removal: ${(after.bytes / 2 / QUOTA).toFixed(2)} MB/s over 2 s from ${residual} ms after it (${Date.now() - lifted} ms in all)`);
  } finally {
    await producer.disconnect();
    await c.stop();
  }
});

test('@platformatic/kafka producer at 4 MB/s under producer_byte_rate 1 MB/s averages 0.9–1.1 MB/s and sees throttle_time_ms', async () => {
  const c = await startCluster({ port: 0, topics: [{ name: 'q2', partitions: 1 }] });
  let maxThrottle = 0;
  const onEnd = (ctx: unknown) => {
    const t = (ctx as { result?: { throttleTimeMs?: number } }).result?.throttleTimeMs;
    if (typeof t === 'number') maxThrottle = Math.max(maxThrottle, t);
  };
  const channel = 'tracing:plt:kafka:connections:api:asyncEnd';
  subscribe(channel, onEnd);
  const CLIENT = 'noisy-platformatic';
  const producer = new Producer({ clientId: CLIENT, bootstrapBrokers: [c.bootstrap], acks: ProduceAcks.LEADER, retries: 3 });
  try {
    await setQuota(c.bootstrap, 'noisy-platformatic', QUOTA);
    const value = Buffer.alloc(MESSAGE, 9);
    const send = async () => { await producer.send({ messages: Array.from({ length: PER_SEND }, () => ({ topic: 'q2', value })) }); };
    const run = await paced(send, MEASURE_MS, () => maxThrottle, WARMUP_MS, () => measuredRate(c, CLIENT));
    const rate = run.bytes / (MEASURE_MS / 1000);
    console.log(`${CLIENT}: acknowledged ${(rate / QUOTA).toFixed(3)} MiB/s over 22 s, broker-measured ${(run.brokerRate / QUOTA).toFixed(3)} MiB/s over 20 s, max throttle ${run.maxThrottleMs} ms`);
    assert.ok(rate >= 0.9 * QUOTA && rate <= 1.1 * QUOTA, `achieved ${(rate / QUOTA).toFixed(3)} MB/s acknowledged`);
    assert.ok(run.brokerRate >= 0.9 * QUOTA && run.brokerRate <= 1.1 * QUOTA, `broker-measured ${(run.brokerRate / QUOTA).toFixed(3)} MB/s`);
    assert.ok(run.maxThrottleMs > 0, 'throttle_time_ms seen in produce responses');
    await setQuota(c.bootstrap, 'noisy-platformatic', null);
    // As above: measured once the throttle time last announced has passed.
    const residual = run.maxThrottleMs;
    maxThrottle = 0;
    const after = await paced(send, 2_000, () => maxThrottle, residual);
    assert.ok(after.bytes / 2 >= 0.8 * OFFERED, `after removal: ${(after.bytes / 2 / QUOTA).toFixed(2)} MB/s over 2 s from ${residual} ms after it`);
  } finally {
    unsubscribe(channel, onEnd);
    await producer.close();
    await c.stop();
  }
});
});
