/**
 * Alerting end to end, all real: the bundled 3-broker cluster over sockets, a kafkajs producer
 * and consumer group, the service (collectors every second, the store, rules, notifications,
 * the API), a real SMTP server (smtp-server) and a real HTTP webhook receiver.
 *
 * Stopping the consumer makes the lag alert reach both receivers within scrape interval + `for`
 * + 5 s; restarting it sends the resolved notification; a silence made through the API keeps the
 * next firing from being sent; with a broker down, its broker-down alert is sent and the
 * under-replicated-partitions alert it inhibits is not.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { SMTPServer } from 'smtp-server';
import { buildApp, type App } from '../../src/app.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { startServer, waitFor, type TestServer } from '../notify/support.ts';
import { serviceConfigFor } from '../helpers/service.ts';

const SCRAPE_S = 1;
const FOR_S = 2;
const BUDGET_MS = (SCRAPE_S + FOR_S + 5) * 1000;
const TOKEN = 'e2e-token-long-enough';

const RULES = `groups:
  - name: e2e
    interval: 1s
    rules:
      - alert: E2EConsumerLag
        expr: kafka_consumergroup_group_sum_lag{group="billing"} > 20
        for: ${FOR_S}s
        labels: { severity: warning }
        annotations:
          summary: 'Consumer group {{ $labels.group }} is {{ $value }} messages behind'
      - alert: E2EBrokerDown
        expr: sluice_cluster_broker_up == 0
        labels: { severity: page }
        annotations: { summary: 'Broker {{ $labels.broker }} is down' }
      - alert: E2EUnderReplicated
        expr: sluice_cluster_under_replicated_partitions > 0
        labels: { severity: warning }
        annotations: { summary: '{{ $value }} partitions under-replicated' }
`;

interface Mail { subject: string; raw: string }
let smtp: SMTPServer;
const mails: Mail[] = [];
let webhook: TestServer;
let cluster: RunningCluster;
let app: App;
let dir: string;
let producer: Producer;
let consumer: Consumer | undefined;
let producing: NodeJS.Timeout | undefined;
let kafka: Kafka;

/** Webhook payloads received so far, parsed. */
function payloads(): { status: string; alerts: { status: string; labels: Record<string, string>; generatorURL: string }[] }[] {
  return webhook.requests.map((r) => JSON.parse(r.body));
}

function sent(alertname: string, status: 'firing' | 'resolved'): boolean {
  return payloads().some((p) => p.status === status && p.alerts.some((a) => a.labels.alertname === alertname && a.status === status));
}

async function startConsumer(): Promise<Consumer> {
  const c = kafka.consumer({ groupId: 'billing', sessionTimeout: 6000, heartbeatInterval: 500 });
  await c.connect();
  await c.subscribe({ topic: 'orders', fromBeginning: true });
  await c.run({ autoCommitInterval: 200, eachMessage: async () => {} });
  return c;
}

before(async () => {
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({ subject: /^Subject: (.*)$/m.exec(raw)?.[1] ?? '', raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  webhook = await startServer();
  cluster = await startCluster({ port: 0, brokers: 3, metricsPort: 0, replicaLagTimeMaxMs: 1000, logger: silentLogger(), topics: [{ name: 'orders', partitions: 3, replicationFactor: 3 }] });
  dir = await mkdtemp(join(tmpdir(), 'sluice-e2e-'));
  await writeFile(join(dir, 'e2e.yaml'), RULES);
  const nodes = cluster.cluster.nodes.filter((n) => n !== undefined);
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const config = serviceConfigFor(cluster, {
    name: 'e2e',
    cluster: {
      intervals: { host: 60, cluster: SCRAPE_S, topics: SCRAPE_S, clients: 60 },
      timeouts: { requestMs: 1000, connectMs: 500, scrapeMs: 1000 },
    },
    api: { port: 0, token: TOKEN },
    rules: { files: [join(dir, 'e2e.yaml')], interval: 1 },
    notify: {
      route: { receiver: 'team', group_by: ['alertname'], group_wait: '0s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [{
        name: 'team',
        email_configs: [{ to: 'oncall@example.org', from: 'sluice@example.org', smarthost: `127.0.0.1:${smtpPort}`, require_tls: false, send_resolved: true }],
        webhook_configs: [{ url: `${webhook.url}/hook`, send_resolved: true }],
      }],
      inhibit_rules: [{ source_matchers: ['alertname="E2EBrokerDown"'], target_matchers: ['alertname="E2EUnderReplicated"'], equal: ['cluster'] }],
    },
    throttle: { mode: 'off' },
  });
  app = buildApp(config, { jitter: 0 });
  await app.start();
  kafka = new Kafka({ brokers: nodes.map((n) => `127.0.0.1:${n.port}`), clientId: 'e2e', logLevel: logLevel.NOTHING });
  producer = kafka.producer();
  await producer.connect();
  producing = setInterval(() => { void producer.send({ topic: 'orders', messages: Array.from({ length: 5 }, (_, i) => ({ value: `m${i}` })) }).catch(() => undefined); }, 50);
  consumer = await startConsumer();
});

after(async () => {
  if (producing) clearInterval(producing);
  await consumer?.disconnect().catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
  await app?.stop();
  await cluster?.stop();
  await webhook?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

test('a stopped consumer pages by email and webhook within scrape + for + 5 s; restarting it resolves', async (t) => {
  // The group commits and keeps up first: no lag alert.
  await waitFor(async () => {
    const lag = app.store.head.selectSync([{ name: '__name__', type: '=', value: 'kafka_consumergroup_group_sum_lag' }, { name: 'group', type: '=', value: 'billing' }], Date.now() - 2000, Date.now());
    return lag.length > 0 && lag[0]!.values.at(-1)! <= 20;
  }, 'the group to commit and keep up', 30_000);
  assert.equal(sent('E2EConsumerLag', 'firing'), false);

  await consumer!.disconnect();
  consumer = undefined;
  const stoppedAt = Date.now();
  await waitFor(() => sent('E2EConsumerLag', 'firing') && mails.some((m) => m.subject.startsWith('[FIRING:1] E2EConsumerLag')), 'the lag alert by webhook and email', 30_000);
  const took = Date.now() - stoppedAt;
  t.diagnostic(`lag alert delivered ${took} ms after the consumer stopped (budget ${BUDGET_MS} ms)`);
  assert.ok(took <= BUDGET_MS, `the lag alert took ${took} ms (budget ${BUDGET_MS} ms)`);
  const firing = payloads().find((p) => p.status === 'firing')!;
  assert.deepEqual(Object.entries(firing.alerts[0]!.labels).filter(([k]) => ['alertname', 'cluster', 'group', 'severity'].includes(k)).sort(), [
    ['alertname', 'E2EConsumerLag'], ['cluster', 'e2e'], ['group', 'billing'], ['severity', 'warning'],
  ]);
  // The API took a free port (api.port 0): alerts link to the port it listens on.
  assert.ok(firing.alerts[0]!.generatorURL.startsWith(`${app.apiUrl}/graph?g0.expr=`), firing.alerts[0]!.generatorURL);
  const mail = mails.find((m) => m.subject.startsWith('[FIRING:1] E2EConsumerLag'))!;
  assert.match(mail.raw, /Consumer group billing is \d+ messages behind/);

  consumer = await startConsumer();
  await waitFor(() => sent('E2EConsumerLag', 'resolved') && mails.some((m) => m.subject.startsWith('[RESOLVED] E2EConsumerLag')), 'the resolved notification', 60_000);
});

test('a silence made through the API keeps the next firing from being sent', async () => {
  const api = app.apiUrl!;
  const created = await fetch(`${api}/api/v1/silences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ matchers: [{ name: 'alertname', value: 'E2EConsumerLag' }], endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: 'e2e', comment: 'maintenance' }),
  });
  assert.equal(created.status, 201);
  const { silenceID } = (await created.json()) as { silenceID: string };
  const before = webhook.requests.length;
  const mailsBefore = mails.length;
  await consumer!.disconnect();
  consumer = undefined;
  // The alert fires (the API shows it, silenced) but nothing is sent.
  await waitFor(async () => {
    const res = (await (await fetch(`${api}/api/v1/sluice/alerts?filter=alertname%3D%22E2EConsumerLag%22&state=firing`)).json()) as { alerts: { silencedBy: string[] }[] };
    return res.alerts.length === 1 && res.alerts[0]!.silencedBy.includes(silenceID);
  }, 'the silenced alert to fire', 30_000);
  await new Promise((r) => setTimeout(r, 3000));
  const after = payloads().slice(before).filter((p) => p.alerts.some((a) => a.labels.alertname === 'E2EConsumerLag' && a.status === 'firing'));
  assert.deepEqual(after, [], 'no firing notification while silenced');
  assert.equal(mails.slice(mailsBefore).filter((m) => m.subject.startsWith('[FIRING')).length, 0);
  consumer = await startConsumer();
});

test('a broker down pages; the under-replicated alert it inhibits is not sent', async () => {
  await cluster.cluster.stopBroker(2);
  try {
    await waitFor(() => sent('E2EBrokerDown', 'firing'), 'the broker-down alert', 30_000);
    // URP is firing too (the API lists it, inhibited), yet no notification carries it.
    await waitFor(async () => {
      const res = (await (await fetch(`${app.apiUrl}/api/v1/sluice/alerts?filter=alertname%3D%22E2EUnderReplicated%22`)).json()) as { alerts: { state: string; inhibitedBy: string[] }[] };
      return res.alerts.some((a) => a.state === 'firing' && a.inhibitedBy.length > 0);
    }, 'the inhibited URP alert to fire', 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(sent('E2EUnderReplicated', 'firing'), false, 'the inhibited alert was not sent');
  } finally {
    await cluster.cluster.startBroker(2);
  }
});
