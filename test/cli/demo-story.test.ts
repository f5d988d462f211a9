/**
 * The demo's story and its parts that need no cluster: the acts against the shipped scenario
 * (every scenario event inside an act, acts back to back up to the scenario's end), the events
 * read from the scenario, an act's closing text, the demo rule pack and service config (checked
 * as `sluice start` checks them), and mailbox entries.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { demoServiceConfig, DEMO_RULES } from '../../src/cli/demo/config.ts';
import { mboxEntry } from '../../src/cli/demo/receivers.ts';
import { actAt, actSummary, alertSubject, DEMO_ACTS, DEMO_STORY, scenarioEvents } from '../../src/cli/demo/story.ts';
import { loadScenario } from '../../src/workload/scenario.ts';
import { pino } from 'pino';

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

  test('the config: the demo rules every 2 s, both receivers, the loop in auto with a core and a general group', () => {
    const config = demoServiceConfig(
      { name: 'demo', bootstrap: ['127.0.0.1:9092'], metrics: [], hosts: [], intervals: { host: 2, cluster: 2, topics: 2, clients: 2 }, timeouts: { requestMs: 5000, connectMs: 2000, scrapeMs: 2000 } },
      { port: 0, host: '127.0.0.1' },
      { smarthost: '127.0.0.1:2525', webhookUrl: 'http://127.0.0.1:9000/hook' },
    );
    assert.deepEqual(config.rules.files, [DEMO_RULES]);
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
