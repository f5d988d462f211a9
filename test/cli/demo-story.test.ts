/**
 * The demo's story and its parts that need no cluster: the acts against the shipped scenario
 * (every scenario event inside an act, acts back to back up to the scenario's end), the events
 * read from the scenario, an act's closing text, the narrator over the service's seams on a
 * clock of its own, the demo rule pack and service config (checked as `sluice rules check` and
 * `sluice start` check them), mailbox entries, and the local mailbox and webhook log over real
 * SMTP and HTTP.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { describe, test } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { demoServiceConfig, DEMO_GOVERNANCE_RULES, DEMO_RULES } from '../../src/cli/demo/config.ts';
import { mboxEntry, startLocalReceivers } from '../../src/cli/demo/receivers.ts';
import { actAt, actSummary, alertSubject, DEMO_ACTS, DEMO_STORY, scenarioEvents } from '../../src/cli/demo/story.ts';
import { loadScenario } from '../../src/workload/scenario.ts';
import { pino } from 'pino';
import type { StatusView } from '../../src/api/status-page/view.ts';
import { Narrator } from '../../src/cli/demo/narrator.ts';
import type { RuleManager } from '../../src/rules/manager.ts';
import type { Decision } from '../../src/throttle/audit.ts';
import type { ThrottleLoop } from '../../src/throttle/loop.ts';

describe('the story', () => {
  test('its events, read from demo-story.yaml, in time order', async () => {
    const scenario = await loadScenario(DEMO_STORY);
    assert.equal(scenario.name, 'demo-story');
    assert.deepEqual(scenarioEvents(scenario), [
      { atMs: 15_000, text: 'producer clickstream bursts to 8× its rate (1.2 MiB/s instead of 150 KiB/s) into clicks' },
      { atMs: 50_000, text: 'producer clickstream is back to its usual 150 KiB/s' },
      { atMs: 95_000, text: 'consumer group billing stalls: its members stay in the group but read 0.01 msg/s' },
      { atMs: 135_000, text: 'consumer group billing reads at full speed again' },
      { atMs: 165_000, text: 'broker 2 stops' },
      { atMs: 195_000, text: 'broker 2 starts again' },
    ]);
  });

  test('the acts run back to back from 0 to the scenario\'s end, and each has what it is about', async () => {
    const scenario = await loadScenario(DEMO_STORY);
    assert.deepEqual(DEMO_ACTS.map((a) => [a.title, a.fromMs, a.toMs]), [
      ['a noisy producer', 0, 90_000], ['a stalled consumer', 90_000, 160_000], ['a broker restart', 160_000, 230_000], ['calm', 230_000, 290_000],
    ]);
    DEMO_ACTS.forEach((a, i) => assert.equal(a.fromMs, i === 0 ? 0 : DEMO_ACTS[i - 1]!.toMs));
    assert.equal(DEMO_ACTS.at(-1)!.toMs, scenario.duration);
    const events = scenarioEvents(scenario);
    assert.deepEqual(DEMO_ACTS.map((_, i) => events.filter((e) => actAt(DEMO_ACTS, e.atMs) === i).length), [2, 2, 2, 0]);
    assert.equal(actAt(DEMO_ACTS, 290_000), undefined);
  });

  test('an act\'s end: what happened, then what Sluice did in time order, then the counts', () => {
    const text = actSummary({
      index: 0, count: 4, act: DEMO_ACTS[0]!,
      happened: [{ atMs: 15_000, text: 'producer clickstream bursts' }],
      did: [
        { kind: 'alert', atMs: 30_400, state: 'firing', alertname: 'KafkaTopicTrafficSpike', subject: 'topic clicks' },
        { kind: 'decision', atMs: 24_000, entity: 'client-id=clickstream', quota: 'producer_byte_rate', oldValue: undefined, newValue: 261_120, status: 'applied', reason: 'overloaded: demand over its allocation' },
        { kind: 'alert', atMs: 42_000, state: 'resolved', alertname: 'KafkaTopicTrafficSpike', subject: 'topic clicks' },
        { kind: 'decision', atMs: 80_000, entity: 'client-id=clickstream', quota: 'producer_byte_rate', oldValue: 261_120, newValue: null, status: 'applied', reason: 'headroom: fits again' },
      ],
      notifications: { mails: 2, webhooks: 1 },
    });
    assert.equal(text, [
      '── act 1/4: a noisy producer (0s–90s) ──',
      '  what happened:',
      '      15s  producer clickstream bursts',
      '  what Sluice did:',
      '      24s  quota client-id=clickstream producer_byte_rate: unset → 255 KiB/s applied; overloaded: demand over its allocation',
      '      30s  alert KafkaTopicTrafficSpike (topic clicks) firing',
      '      42s  alert KafkaTopicTrafficSpike (topic clicks) resolved',
      '      80s  quota client-id=clickstream producer_byte_rate: 255 KiB/s → unset applied; headroom: fits again',
      '  in short: 1 alert fired, 1 resolved, 2 quota decisions, 2 mails and 1 webhook post sent',
      '',
    ].join('\n'));
    assert.equal(actSummary({ index: 3, count: 4, act: DEMO_ACTS[3]!, happened: [], did: [], notifications: undefined }), [
      '── act 4/4: calm (230s–290s) ──',
      '  what happened:',
      '    nothing out of the ordinary: steady traffic',
      '  what Sluice did:',
      '    nothing: no alert fired or resolved and no quota changed',
      '  in short: 0 alerts fired, 0 resolved, 0 quota decisions',
      '',
    ].join('\n'));
    assert.equal(alertSubject({ alertname: 'KafkaClientThrottled', cluster: 'demo', client_id: 'etl', kind: 'produce', severity: 'warning' }), 'client etl, kind produce');
  });
});

describe('the demo service', () => {
  test('the demo rule pack passes `sluice rules check`', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const ctx: CliContext = {
      stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), logger: pino({ level: 'silent' }),
      startCluster: () => Promise.reject(new Error('no cluster')), shutdownRequested: () => new Promise(() => {}),
    };
    assert.equal(await runCli(['rules', 'check', DEMO_RULES], () => ctx), 0, err.join(''));
    assert.deepEqual(err, []);
  });

  test('the config: the demo rules and the shipped governance pack every 2 s, both receivers, the loop in auto with a core and a general group', () => {
    const config = demoServiceConfig(
      { name: 'demo', bootstrap: ['127.0.0.1:9092'], metrics: [], hosts: [], intervals: { host: 2, cluster: 2, topics: 2, clients: 2 }, timeouts: { requestMs: 5000, connectMs: 2000, scrapeMs: 2000 }, forgetRemovedBrokersAfter: 86_400 },
      { port: 0, host: '127.0.0.1' },
      { smarthost: '127.0.0.1:2525', webhookUrl: 'http://127.0.0.1:9000/hook' },
    );
    assert.deepEqual(config.rules.files, [DEMO_RULES, DEMO_GOVERNANCE_RULES]);
    assert.ok(DEMO_GOVERNANCE_RULES.endsWith('/rules/kafka-governance.yaml'), DEMO_GOVERNANCE_RULES);
    assert.equal(config.rules.interval, 2);
    assert.deepEqual(config.notify!.receivers.map((r) => [r.name, r.email_configs.map((e) => e.smarthost), r.webhook_configs.map((w) => w.url)]), [['oncall', ['127.0.0.1:2525'], ['http://127.0.0.1:9000/hook']]]);
    assert.equal(config.throttle.mode, 'auto');
    assert.deepEqual(config.throttle.groups.map((g) => [g.name, g.floor, g.match]), [['core', 51_200, [{ user: '*', clientId: 'core-*' }]], ['general', 20_480, [{ user: '*', clientId: '*' }]]]);
    assert.equal(demoServiceConfig(config.clusters[0]!, { port: 0, host: '127.0.0.1' }, undefined).notify, undefined);
  });
});

test('a mailbox entry: the mbox From line, CRLF turned into LF, body lines starting with From quoted', () => {
  const at = new Date(Date.UTC(2026, 11, 1, 23, 5, 9));
  assert.equal(
    mboxEntry('Subject: hi\r\n\r\nFrom here on\r\n>From there\r\n', 'sluice@sluice.demo', at),
    'From sluice@sluice.demo Tue Dec  1 23:05:09 2026\nSubject: hi\n\n>From here on\n>>From there\n\n',
  );
  assert.equal(mboxEntry('x', '', at), 'From MAILER-DAEMON Tue Dec  1 23:05:09 2026\nx\n\n');
});

describe('the narrator', () => {
  /** A service seen through the narrator's seams: the rules' alerts, the loop's last round, the page's status. */
  function service() {
    const state = {
      now: 1_000_000,
      alerts: [] as { labels: Record<string, string>; annotations: Record<string, string>; state: 'pending' | 'firing' | 'resolved'; activeAt: string; firedAt?: string; value: number }[],
      round: undefined as undefined | { at: number; decisions: Decision[]; rolledBack: Decision[] },
    };
    const view = (): StatusView => ({
      at: new Date(state.now).toISOString(), windowSeconds: 300, stepSeconds: 5, refreshSeconds: 3,
      clusters: [{ name: 'demo', brokersUp: 3, brokers: ['0', '1', '2'].map((id) => ({
        id, up: true, utilization: 0.3, series: [], bytesInPerSec: null, bytesOutPerSec: null, bytesIn: [], bytesOut: [], capacityIn: null, capacityOut: null, handlerBusy: null, leaders: null, replicas: null,
      })), groups: { shown: [], total: 0, byStatus: {} }, topClients: [
        { user: '', clientId: 'clickstream', direction: 'produce', bytesPerSec: 1, throttleMs: 0, series: [] },
        { user: '', clientId: 'analytics', direction: 'consume', bytesPerSec: 1, throttleMs: 0, series: [] },
      ], throttle: null }],
      alerts: { firing: state.alerts.filter((a) => a.state === 'firing').map((a) => ({ name: a.labels.alertname!, severity: 'warning', summary: '', labels: a.labels, activeAt: a.activeAt, muted: false })), pending: 0 },
      decisions: [],
    });
    const narrator = new Narrator({
      rules: { alerts: () => state.alerts } as unknown as RuleManager,
      throttle: { get lastRound() { return state.round; } } as unknown as ThrottleLoop,
      status: { status: async () => view(), group: () => Promise.reject(new Error('the narrator reads no group page')) },
      acts: DEMO_ACTS,
      scenario: undefined,
      startedAtMs: 1_000_000,
      notifications: () => ({ mails: state.alerts.length, webhooks: 0 }),
      now: () => state.now,
    });
    return { state, narrator };
  }

  const decision = (ts: number): Decision => ({
    id: 1, ts, cluster: 'demo', entity: [{ entityType: 'client-id', entityName: 'clickstream' }], entityKey: 'client-id=clickstream', quotaKey: 'producer_byte_rate',
    mode: 'auto', state: 'overloaded', oldValue: undefined, proposed: 261_120, newValue: 261_120, status: 'applied', appliedBy: 'sluice (auto)', reason: 'overloaded: over its share',
    evidence: {}, appliedAt: ts, rolledBackBy: undefined,
  });

  test('announces each act, records alerts firing and resolving and decisions, and tells each act at its end', async () => {
    const { state, narrator } = service();
    assert.deepEqual(narrator.observe(), ['▶ act 1/4: a noisy producer (0s–90s); watch for a topic spike alert, a producer_byte_rate limit on clickstream only, removed once the burst is over\n']);
    assert.equal(await narrator.statusLine(), 'sluice demo: 0s act 1/4 a noisy producer: 3/3 brokers up, 2 clients, 0 alerts firing, no quota decision yet');
    state.now += 24_000;
    state.round = { at: state.now, decisions: [decision(state.now), { ...decision(state.now), id: 2, entityKey: 'client-id=core-orders', status: 'skipped' }], rolledBack: [] };
    const spike = { labels: { alertname: 'KafkaTopicTrafficSpike', cluster: 'demo', topic: 'clicks' }, annotations: {}, state: 'firing' as const, activeAt: new Date(state.now - 4000).toISOString(), firedAt: new Date(state.now).toISOString(), value: 1 };
    state.alerts = [spike];
    assert.deepEqual(narrator.observe(), []);
    assert.deepEqual(narrator.observe(), [], 'seen once');
    assert.equal(await narrator.statusLine(), 'sluice demo: 24s act 1/4 a noisy producer: 3/3 brokers up, 2 clients, 1 alert firing (KafkaTopicTrafficSpike), last decision at 24s: client-id=clickstream producer_byte_rate unset → 255 KiB/s (applied)');
    state.now += 18_000;
    state.alerts = [{ ...spike, state: 'resolved' }];
    narrator.observe();
    state.now += 48_000; // 90 s: the first act is over, the second begins
    const told = narrator.observe();
    assert.equal(told.length, 2);
    assert.equal(told[0], [
      '── act 1/4: a noisy producer (0s–90s) ──',
      '  what happened:',
      '    nothing out of the ordinary: steady traffic',
      '  what Sluice did:',
      '      24s  alert KafkaTopicTrafficSpike (topic clicks) firing',
      '      24s  quota client-id=clickstream producer_byte_rate: unset → 255 KiB/s applied; overloaded: over its share',
      '      42s  alert KafkaTopicTrafficSpike (topic clicks) resolved',
      '  in short: 1 alert fired, 1 resolved, 1 quota decision, 1 mail and 0 webhook posts sent',
      '',
    ].join('\n'));
    assert.match(told[1]!, /^▶ act 2\/4: a stalled consumer \(90s–160s\); watch for /);
    state.now += 300_000; // past the end: the other acts are told, then the end of the story
    const rest = narrator.observe();
    assert.deepEqual(rest.map((t) => t.split('\n')[0]), [
      '── act 2/4: a stalled consumer (90s–160s) ──', '── act 3/4: a broker restart (160s–230s) ──', '── act 4/4: calm (230s–290s) ──',
      'the story is over after 290s: traffic stays calm until Ctrl-C; the page and the API keep running',
    ]);
    assert.deepEqual(narrator.observe(), []);
    assert.equal(narrator.timeline.length, 3);
  });
});

test('the local receivers: a mail over SMTP lands in the mbox file, a webhook payload in the log, a body that is not JSON is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-receivers-'));
  const errors: Error[] = [];
  const receivers = await startLocalReceivers(dir, '127.0.0.1', (err) => errors.push(err));
  try {
    const [host, port] = receivers.smarthost.split(':');
    const transport = createTransport({ host, port: Number(port), secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'sluice@sluice.demo', to: 'oncall@sluice.demo', subject: '[FIRING:1] KafkaBrokerDown', text: 'From the cluster: broker 2 is down' });
    transport.close();
    const ok = await fetch(receivers.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'firing' }) });
    assert.equal(ok.status, 200);
    const bad = await fetch(receivers.webhookUrl, { method: 'POST', body: 'not json' });
    assert.equal(bad.status, 400);
    assert.deepEqual(receivers.counts(), { mails: 1, webhooks: 1 });
    const mbox = await readFile(receivers.mailboxPath, 'utf8');
    assert.match(mbox, /^From sluice@sluice\.demo \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n/);
    assert.match(mbox, /\nSubject: \[FIRING:1\] KafkaBrokerDown\n/);
    assert.match(mbox, /\n>From the cluster: broker 2 is down\n\n$/);
    const lines = (await readFile(receivers.webhookLogPath, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as { path: string; payload: unknown });
    assert.deepEqual(lines.map((l) => [l.path, l.payload]), [['/hook', { status: 'firing' }]]);
    assert.deepEqual(errors, []);
  } finally {
    await receivers.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
