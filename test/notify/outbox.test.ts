import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { VirtualClock } from '../../src/clock.ts';
import { parseNotifyConfig } from '../../src/notify/config.ts';
import { fingerprint } from '../../src/notify/labels.ts';
import { NotifyMetrics } from '../../src/notify/metrics.ts';
import { Notifier } from '../../src/notify/notifier.ts';
import { Outbox, backoffMs, DEFAULT_RETRY } from '../../src/notify/outbox.ts';
import { WebhookReceiver } from '../../src/notify/receivers/webhook.ts';
import type { Db } from '../../src/store/types.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { forEachNotifyBackend, lagAlert, startServer, type TestServer } from './support.ts';

const T0 = Date.UTC(2024, 2, 10, 12, 0, 0);
const SECRET = 'hmac-key-do-not-log';

function webhookConfig(url: string, extra: Record<string, unknown> = {}) {
  return parseNotifyConfig({
    route: { receiver: 'ops', group_by: ['alertname'], group_wait: '30s' },
    receivers: [{ name: 'ops', webhook_configs: [{ url: `${url}/hook`, hmac_secret: SECRET, ...extra }] }],
    external_url: 'http://sluice.example:8080',
  });
}

/** Advances the clock by `stepMs` at a time, letting the notifier settle after each step. */
async function run(notifier: Notifier, clock: VirtualClock, untilMs: number, stepMs = 1000): Promise<void> {
  while (clock.now() < untilMs) {
    clock.advance(stepMs);
    await notifier.idle();
  }
}

async function outboxRows(db: Db): Promise<{ status: string; attempts: number; last_error: string | null }[]> {
  return (await db.query<{ status: string; attempts: number; last_error: string | null }>('SELECT status, attempts, last_error FROM notify_outbox ORDER BY id')).rows;
}

async function counter(registry: Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

describe('backoffMs', () => {
  it('doubles from 1 s and stops at 5 min', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 9, 10, 20].map((n) => backoffMs(DEFAULT_RETRY, n)), [1000, 2000, 4000, 8000, 16_000, 256_000, 300_000, 300_000]);
  });
});

forEachNotifyBackend((backend) => {
  let server: TestServer;
  let failUntil = 0;
  let clock: VirtualClock;
  let status = 200;
  before(async () => {
    server = await startServer(() => (clock.now() < failUntil ? 500 : status));
  });
  after(() => server.close());

  it('posts the exact version-4 payload, signed with HMAC-SHA256', async () => {
    const db = await backend.fresh();
    clock = new VirtualClock(T0);
    server.requests.length = 0;
    const notifier = new Notifier({ config: webhookConfig(server.url), db, clock, logger: silentLogger() });
    notifier.start();
    await notifier.send([lagAlert('billing', T0), lagAlert('orders', T0, { severity: 'critical' })]);
    await run(notifier, clock, T0 + 30_000);
    await notifier.stop();
    assert.equal(server.requests.length, 1);
    const request = server.requests[0]!;
    assert.equal(request.url, '/hook');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['x-sluice-signature'], `sha256=${createHmac('sha256', SECRET).update(request.body).digest('hex')}`);
    const alert = (group: string, severity: string) => ({
      status: 'firing',
      labels: { alertname: 'KafkaConsumerLag', cluster: 'c1', group, severity },
      annotations: { description: 'lag above 1000 for 10m', summary: `Consumer group ${group} is behind` },
      startsAt: '2024-03-10T12:00:00.000Z',
      endsAt: '2024-03-11T12:00:00.000Z',
      generatorURL: 'http://sluice.example:8080/graph?g0.expr=sluice_consumer_lag',
      fingerprint: fingerprint({ alertname: 'KafkaConsumerLag', cluster: 'c1', group, severity }),
    });
    assert.deepEqual(JSON.parse(request.body), {
      version: '4',
      groupKey: '{}:{alertname="KafkaConsumerLag"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'ops',
      groupLabels: { alertname: 'KafkaConsumerLag' },
      commonLabels: { alertname: 'KafkaConsumerLag', cluster: 'c1' },
      commonAnnotations: { description: 'lag above 1000 for 10m' },
      externalURL: 'http://sluice.example:8080',
      alerts: [alert('billing', 'warning'), alert('orders', 'critical')],
    });
    assert.deepEqual(await outboxRows(db), [{ status: 'sent', attempts: 1, last_error: null }]);
  });

  it('truncates to max_alerts', async () => {
    const receiver = new WebhookReceiver(webhookConfig(server.url, { max_alerts: 1 }).receivers[0]!.webhook_configs[0]!);
    server.requests.length = 0;
    clock = new VirtualClock(T0);
    const alerts = ['a', 'b', 'c'].map((g) => ({ ...lagAlert(g, T0), status: 'firing' as const, fingerprint: g }));
    const result = await receiver.send({ receiver: 'ops', groupKey: 'k', status: 'firing', groupLabels: {}, alerts, externalURL: '' });
    assert.deepEqual(result, { ok: true, retryable: false });
    const body = JSON.parse(server.requests[0]!.body) as { truncatedAlerts: number; alerts: { fingerprint: string }[] };
    assert.deepEqual([body.truncatedAlerts, body.alerts.map((a) => a.fingerprint)], [2, ['a']]);
  });

  it('retries a webhook answering 500 for 30 s and delivers exactly once', async () => {
    const db = await backend.fresh();
    clock = new VirtualClock(T0);
    failUntil = T0 + 60_000;
    server.requests.length = 0;
    const registry = new Registry();
    const notifier = new Notifier({ config: webhookConfig(server.url), db, clock, registry, logger: silentLogger() });
    notifier.start();
    await notifier.send([lagAlert('billing', T0)]);
    await run(notifier, clock, T0 + 120_000);
    await notifier.stop();
    failUntil = 0;
    // Attempts at 30 s, then after 1, 2, 4, 8 and 16 s of backoff: 31, 33, 37, 45 fail, 61 succeeds.
    assert.deepEqual(server.requests.map((r) => r.status), [500, 500, 500, 500, 500, 200]);
    // Every attempt carries the row's id, so that a receiver can drop a repeat after a crash.
    assert.deepEqual(new Set(server.requests.map((r) => r.headers['idempotency-key'])).size, 1);
    assert.match(String(server.requests[0]!.headers['idempotency-key']), /^[0-9a-z]+-1$/);
    assert.deepEqual(await outboxRows(db), [{ status: 'sent', attempts: 6, last_error: null }]);
    assert.equal(await counter(registry, 'sluice_notifications_sent_total'), 1);
    assert.equal(await counter(registry, 'sluice_notifications_retried_total'), 5);
    assert.equal(await counter(registry, 'sluice_notifications_failed_total'), 0);
  });

  it('gives up at once on a 4xx answer', async () => {
    const db = await backend.fresh();
    clock = new VirtualClock(T0);
    status = 400;
    server.requests.length = 0;
    const registry = new Registry();
    const notifier = new Notifier({ config: webhookConfig(server.url), db, clock, registry, logger: silentLogger() });
    notifier.start();
    await notifier.send([lagAlert('billing', T0)]);
    await run(notifier, clock, T0 + 300_000, 5000);
    await notifier.stop();
    status = 200;
    assert.deepEqual(server.requests.map((r) => r.status), [400]);
    const rows = await outboxRows(db);
    assert.deepEqual(rows, [{ status: 'failed', attempts: 1, last_error: `http://127.0.0.1:${new URL(server.url).port}/hook answered 400: status 400` }]);
    assert.equal(await counter(registry, 'sluice_notifications_failed_total'), 1);
    assert.equal(await counter(registry, 'sluice_notifications_retried_total'), 0);
  });

  it('delivers, after a restart, what an earlier process wrote but never sent', async () => {
    const db = await backend.fresh();
    clock = new VirtualClock(T0);
    server.requests.length = 0;
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    const first = new Notifier({ config: webhookConfig(server.url), db, clock, logger: silentLogger(), afterOutboxWrite: () => (written(), new Promise<void>(() => undefined)) });
    first.start();
    await first.send([lagAlert('billing', T0)]);
    clock.advance(30_000);
    await wrote;
    clock.advance(60_000); // the first sender holds off: nothing goes out
    assert.equal(server.requests.length, 0);
    const second = new Notifier({ config: webhookConfig(server.url), db, clock: new VirtualClock(T0 + 90_000), logger: silentLogger() });
    second.start();
    await second.ready();
    await second.idle();
    await second.stop();
    assert.deepEqual(server.requests.map((r) => r.status), [200]);
    assert.deepEqual(await outboxRows(db), [{ status: 'sent', attempts: 1, last_error: null }]);
  });

  it('does not page again after a restart for a group already notified', async () => {
    const db = await backend.fresh();
    clock = new VirtualClock(T0);
    server.requests.length = 0;
    const first = new Notifier({ config: webhookConfig(server.url), db, clock, logger: silentLogger() });
    first.start();
    await first.send([lagAlert('billing', T0)]);
    await run(first, clock, T0 + 30_000);
    await first.stop();
    const second = new Notifier({ config: webhookConfig(server.url), db, clock, logger: silentLogger() });
    second.start();
    await second.send([lagAlert('billing', T0)]);
    await run(second, clock, T0 + 600_000, 30_000);
    await second.send([lagAlert('billing', T0), lagAlert('orders', T0)]);
    await run(second, clock, T0 + 900_000, 30_000);
    await second.stop();
    assert.deepEqual(server.requests.map((r) => (JSON.parse(r.body) as { alerts: unknown[] }).alerts.length), [1, 2]);
  });

  it('prunes sent rows and log entries after the retention, never pending ones', async () => {
    const db = await backend.fresh();
    clock = new VirtualClock(T0);
    server.requests.length = 0;
    const receiver = new WebhookReceiver(webhookConfig(server.url).receivers[0]!.webhook_configs[0]!);
    const outbox = new Outbox({ db, clock, receiverOf: () => receiver, metrics: new NotifyMetrics(new Registry()), logger: silentLogger(), retentionMs: 86_400_000 });
    const delivery = (key: string) => ({
      receiver: 'ops',
      integration: 'webhook' as const,
      integrationIndex: 0,
      groupKey: key,
      notification: { receiver: 'ops', groupKey: key, status: 'firing' as const, groupLabels: {}, alerts: [], externalURL: '' },
      entry: { groupKey: key, receiver: 'ops', integrationIndex: 0, firing: ['a'], resolved: [], sentAt: clock.now() },
    });
    await outbox.enqueue([delivery('sent')]);
    assert.equal(await outbox.runOnce(), 1);
    clock.advance(86_400_000);
    await outbox.enqueue([delivery('pending')]);
    assert.equal(await outbox.prune(), 0);
    clock.advance(1);
    assert.equal(await outbox.prune(), 2);
    clock.advance(86_400_000);
    assert.equal(await outbox.prune(), 1);
    assert.deepEqual((await db.query('SELECT group_key, status FROM notify_outbox')).rows, [{ group_key: 'pending', status: 'pending' }]);
  });

  it('takes over a row whose sender died after claiming it, once the lease ends', async () => {
    const db = await backend.fresh();
    clock = new VirtualClock(T0);
    server.requests.length = 0;
    const registry = new Registry();
    const receiver = new WebhookReceiver(webhookConfig(server.url).receivers[0]!.webhook_configs[0]!);
    const outbox = new Outbox({ db, clock, receiverOf: () => receiver, metrics: new NotifyMetrics(registry), logger: silentLogger() });
    await outbox.enqueue([{
      receiver: 'ops',
      integration: 'webhook',
      integrationIndex: 0,
      groupKey: 'g',
      notification: { receiver: 'ops', groupKey: 'g', status: 'firing', groupLabels: {}, alerts: [], externalURL: '' },
      entry: { groupKey: 'g', receiver: 'ops', integrationIndex: 0, firing: [], resolved: [], sentAt: T0 },
    }]);
    // As a sender that claimed the row and died would have left it.
    await db.query(`UPDATE notify_outbox SET attempts = 1, lease_until = $1`, [new Date(T0 + 300_000).toISOString()]);
    clock.advance(300_000 - 1);
    assert.equal(await outbox.runOnce(), 0);
    clock.advance(1);
    assert.equal(await outbox.runOnce(), 1);
    assert.equal(server.requests.length, 1);
    assert.deepEqual(await outboxRows(db), [{ status: 'sent', attempts: 2, last_error: null }]);
    const latency = await registry.getSingleMetric('sluice_notification_latency_seconds')!.get();
    const named = latency.values as { metricName?: string; value: number }[];
    assert.deepEqual(named.filter((v) => v.metricName?.endsWith('_sum') === true || v.metricName?.endsWith('_count') === true).map((v) => v.value), [300, 1]);
  });

  it('never lets two senders deliver one row', async () => {
    const db = await backend.fresh();
    clock = new VirtualClock(T0);
    server.requests.length = 0;
    const config = webhookConfig(server.url);
    const receiver = new WebhookReceiver(config.receivers[0]!.webhook_configs[0]!);
    const outbox = () => new Outbox({ db, clock, receiverOf: () => receiver, metrics: new NotifyMetrics(new Registry()), logger: silentLogger() });
    const writer = outbox();
    const deliveries = Array.from({ length: 20 }, (_, i) => ({
      receiver: 'ops',
      integration: 'webhook' as const,
      integrationIndex: 0,
      groupKey: `g${i}`,
      notification: { receiver: 'ops', groupKey: `g${i}`, status: 'firing' as const, groupLabels: {}, alerts: [], externalURL: '' },
      entry: { groupKey: `g${i}`, receiver: 'ops', integrationIndex: 0, firing: [], resolved: [], sentAt: T0 },
    }));
    await writer.enqueue(deliveries);
    const counts = await Promise.all([outbox().runOnce(), outbox().runOnce(), outbox().runOnce()]);
    assert.equal(counts.reduce((a, b) => a + b, 0), 20);
    assert.deepEqual(server.requests.map((r) => (JSON.parse(r.body) as { groupKey: string }).groupKey).sort(), deliveries.map((d) => d.groupKey).sort());
  });
});
