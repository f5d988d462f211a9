import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../src/clock.ts';
import { parseNotifyConfig } from '../../src/notify/config.ts';
import { Dispatcher, type Delivery } from '../../src/notify/dispatcher.ts';
import { compileInhibitRules } from '../../src/notify/inhibit.ts';
import { fingerprint } from '../../src/notify/labels.ts';
import { compileRoutes } from '../../src/notify/route.ts';
import type { OutgoingAlert } from '../../src/notify/types.ts';

const T0 = Date.UTC(2024, 2, 10, 12, 0, 0);
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const iso = (ms: number): string => new Date(ms).toISOString();

const config = parseNotifyConfig({
  route: {
    receiver: 'team',
    group_by: ['alertname'],
    routes: [{ receiver: 'quiet', matchers: ['team="quiet"'] }],
  },
  receivers: [
    { name: 'team', webhook_configs: [{ url: 'http://127.0.0.1:9/a' }] },
    { name: 'quiet', webhook_configs: [{ url: 'http://127.0.0.1:9/b', send_resolved: false }] },
  ],
  inhibit_rules: [{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['group'] }],
  external_url: 'http://sluice.example:8080',
});

interface Harness {
  clock: VirtualClock;
  dispatcher: Dispatcher;
  sent: { at: number; receiver: string; status: string; alerts: string[] }[];
  muted: Record<string, number>;
  silenced: Set<string>;
  /** Outbox writes still to refuse. */
  refuse: { count: number };
}

function harness(): Harness {
  const clock = new VirtualClock(T0);
  const sent: Harness['sent'] = [];
  const muted: Record<string, number> = {};
  const silenced = new Set<string>();
  const refuse = { count: 0 };
  const dispatcher = new Dispatcher({
    route: compileRoutes(config.route),
    receivers: config.receivers,
    inhibitRules: compileInhibitRules(config.inhibit_rules),
    clock,
    externalURL: config.external_url,
    silencedBy: (labels) => (silenced.has(labels.group ?? '') ? ['s1'] : []),
    deliver: async (deliveries: readonly Delivery[]) => {
      await Promise.resolve();
      if (refuse.count > 0) {
        refuse.count--;
        throw new Error('database unreachable');
      }
      for (const d of deliveries) {
        sent.push({ at: d.entry.sentAt - T0, receiver: d.receiver, status: d.notification.status, alerts: d.notification.alerts.map((a) => `${a.labels.group}:${a.status}`) });
      }
    },
    onMuted: (reason, count) => {
      muted[reason] = (muted[reason] ?? 0) + count;
    },
  });
  return { clock, dispatcher, sent, muted, silenced, refuse };
}

/** An alert of KafkaConsumerLag for `group`, started now, firing until `endsAt` (default in a day). */
function lag(h: Harness, group: string, extra: Record<string, string> = {}, endsAt = h.clock.now() + 24 * H): OutgoingAlert {
  return { labels: { alertname: 'KafkaConsumerLag', group, ...extra }, annotations: { summary: `lag of ${group}` }, startsAt: iso(h.clock.now()), endsAt: iso(endsAt), generatorURL: 'http://sluice/graph' };
}

/** Moves the clock to `ms` after T0 and lets deliveries settle. */
async function at(h: Harness, ms: number): Promise<void> {
  h.clock.advanceTo(T0 + ms);
  await h.dispatcher.idle();
}

describe('Dispatcher', () => {
  it('waits group_wait before the first notification and batches the group', async () => {
    const h = harness();
    h.dispatcher.ingest([lag(h, 'billing')]);
    await at(h, 10 * S);
    h.dispatcher.ingest([lag(h, 'orders')]);
    await at(h, 30 * S - 1);
    assert.deepEqual(h.sent, []);
    await at(h, 30 * S);
    assert.deepEqual(h.sent, [{ at: 30 * S, receiver: 'team', status: 'firing', alerts: ['billing:firing', 'orders:firing'] }]);
  });

  it('sends updates at group_interval and repeats an unchanged group at repeat_interval', async () => {
    const h = harness();
    h.dispatcher.ingest([lag(h, 'billing')]);
    await at(h, 30 * S);
    await at(h, 60 * S);
    h.dispatcher.ingest([lag(h, 'orders')]);
    await at(h, 30 * S + 5 * M - 1);
    assert.equal(h.sent.length, 1);
    await at(h, 30 * S + 5 * M);
    assert.deepEqual(h.sent.at(-1), { at: 30 * S + 5 * M, receiver: 'team', status: 'firing', alerts: ['billing:firing', 'orders:firing'] });
    // Unchanged from 5m30s on: the next notification is 4h later, on a group_interval tick.
    await at(h, 30 * S + 5 * M + 4 * H - 1);
    assert.equal(h.sent.length, 2);
    await at(h, 30 * S + 5 * M + 4 * H);
    assert.deepEqual(h.sent.map((s) => s.at), [30 * S, 30 * S + 5 * M, 30 * S + 5 * M + 4 * H]);
  });

  it('sends resolved alerts with send_resolved, then forgets the group', async () => {
    const h = harness();
    h.dispatcher.ingest([lag(h, 'billing'), lag(h, 'orders'), lag(h, 'a', { team: 'quiet' })]);
    await at(h, 30 * S);
    assert.equal(h.sent.length, 2);
    await at(h, 2 * M);
    h.dispatcher.ingest([lag(h, 'orders', {}, h.clock.now()), lag(h, 'a', { team: 'quiet' }, h.clock.now())]);
    await at(h, 30 * S + 5 * M);
    assert.deepEqual(h.sent.slice(2), [{ at: 30 * S + 5 * M, receiver: 'team', status: 'firing', alerts: ['billing:firing', 'orders:resolved'] }]);
    assert.deepEqual(h.dispatcher.alerts().map((a) => a.labels.group), ['billing']);
    h.dispatcher.ingest([lag(h, 'billing', {}, h.clock.now())]);
    await at(h, 30 * S + 10 * M);
    assert.deepEqual(h.sent.slice(3), [{ at: 30 * S + 10 * M, receiver: 'team', status: 'resolved', alerts: ['billing:resolved'] }]);
    assert.equal(h.dispatcher.groupCount, 0);
    assert.equal(h.dispatcher.logSize, 0);
    await at(h, 5 * H);
    assert.equal(h.sent.length, 4);
  });

  it('decides the same when the clock moves a long way in one step', async () => {
    const h = harness();
    h.dispatcher.ingest([lag(h, 'billing')]);
    h.clock.advanceTo(T0 + 30 * S + 4 * H);
    await h.dispatcher.idle();
    assert.deepEqual(h.sent.map((s) => s.at), [30 * S, 30 * S + 4 * H]);
  });

  it('tries again at the next group_interval when the outbox write fails', async () => {
    const h = harness();
    h.refuse.count = 1;
    h.dispatcher.ingest([lag(h, 'billing')]);
    await at(h, 30 * S);
    assert.deepEqual(h.sent, []);
    await at(h, 30 * S + 5 * M);
    assert.deepEqual(h.sent, [{ at: 30 * S + 5 * M, receiver: 'team', status: 'firing', alerts: ['billing:firing'] }]);
  });

  it('drops a resolved alert the rules engine keeps re-sending as resolved, and keeps one that fires again', async () => {
    const h = harness();
    h.dispatcher.ingest([lag(h, 'billing'), lag(h, 'orders')]);
    await at(h, 30 * S);
    await at(h, 2 * M);
    const resolvedAt = h.clock.now();
    h.dispatcher.ingest([lag(h, 'billing', {}, resolvedAt), lag(h, 'orders', {}, resolvedAt)]);
    await at(h, 3 * M);
    h.dispatcher.ingest([lag(h, 'billing', {}, resolvedAt), lag(h, 'orders')]);
    await at(h, 30 * S + 5 * M);
    assert.deepEqual(h.sent.slice(1), [{ at: 30 * S + 5 * M, receiver: 'team', status: 'firing', alerts: ['orders:firing', 'billing:resolved'] }]);
    assert.deepEqual(h.dispatcher.alerts().map((a) => a.labels.group), ['orders']);
  });

  it('does not notify a resolution again when the rules engine resends a resolved alert after a later notification', async () => {
    const h = harness();
    h.dispatcher.ingest([lag(h, 'billing'), lag(h, 'orders')]);
    await at(h, 1 * M);
    h.dispatcher.ingest([lag(h, 'orders', {}, h.clock.now())]);
    await at(h, 30 * S + 5 * M);
    // The resolution went out and orders left the group; then payments fires.
    await at(h, 6 * M);
    h.dispatcher.ingest([lag(h, 'payments')]);
    await at(h, 30 * S + 10 * M);
    // The rules engine keeps resending orders as resolved (Prometheus does for 15 minutes).
    await at(h, 11 * M);
    h.dispatcher.ingest([lag(h, 'orders', {}, T0 + 1 * M)]);
    await at(h, 30 * S + 30 * M);
    assert.deepEqual(h.sent, [
      { at: 30 * S, receiver: 'team', status: 'firing', alerts: ['billing:firing', 'orders:firing'] },
      { at: 30 * S + 5 * M, receiver: 'team', status: 'firing', alerts: ['billing:firing', 'orders:resolved'] },
      { at: 30 * S + 10 * M, receiver: 'team', status: 'firing', alerts: ['billing:firing', 'payments:firing'] },
    ]);
  });

  it('does not hold back an alert that started more than group_wait ago', async () => {
    const h = harness();
    h.dispatcher.ingest([{ ...lag(h, 'billing'), startsAt: iso(T0 - 10 * M) }]);
    await at(h, 0);
    assert.deepEqual(h.sent, [{ at: 0, receiver: 'team', status: 'firing', alerts: ['billing:firing'] }]);
  });

  it('leaves silenced and inhibited alerts out, and counts them', async () => {
    const h = harness();
    h.silenced.add('orders');
    h.dispatcher.ingest([lag(h, 'billing', { severity: 'critical' }), lag(h, 'billing', { severity: 'warning' }), lag(h, 'orders'), lag(h, 'payments', { severity: 'warning' })]);
    await at(h, 30 * S);
    assert.deepEqual(h.sent, [{ at: 30 * S, receiver: 'team', status: 'firing', alerts: ['billing:firing', 'payments:firing'] }]);
    assert.deepEqual(h.muted, { silenced: 1, inhibited: 1 });
    const views = h.dispatcher.alerts().map((a) => [a.labels.group, a.labels.severity ?? '', a.muted, a.silencedBy, a.inhibitedBy, a.receivers]);
    assert.deepEqual(views, [
      ['billing', 'critical', false, [], [], ['team']],
      ['billing', 'warning', true, [], [fingerprint({ alertname: 'KafkaConsumerLag', group: 'billing', severity: 'critical' })], ['team']],
      ['orders', '', true, ['s1'], [], ['team']],
      ['payments', 'warning', false, [], [], ['team']],
    ]);
  });

  it('notifies once a silence ends', async () => {
    const h = harness();
    h.silenced.add('billing');
    h.dispatcher.ingest([lag(h, 'billing')]);
    await at(h, 30 * S);
    assert.deepEqual(h.sent, []);
    h.silenced.clear();
    await at(h, 30 * S + 5 * M);
    assert.deepEqual(h.sent, [{ at: 30 * S + 5 * M, receiver: 'team', status: 'firing', alerts: ['billing:firing'] }]);
  });
});

describe('Dispatcher forwarding and sibling routes', () => {
  const forwardConfig = parseNotifyConfig({
    route: {
      receiver: 'am',
      group_by: ['alertname'],
      group_interval: '1m',
      routes: [
        { receiver: 'am', matchers: ['team="kafka"'], continue: true },
        { receiver: 'am', matchers: ['team="kafka"'] },
      ],
    },
    receivers: [{ name: 'am', alertmanager_configs: [{ url: 'http://127.0.0.1:9' }] }],
  });

  it('re-forwards firing alerts at every group_interval, valid for two, and keeps sibling groups apart', async () => {
    const clock = new VirtualClock(T0);
    const sent: [number, string, string, string][] = [];
    const dispatcher = new Dispatcher({
      route: compileRoutes(forwardConfig.route),
      receivers: forwardConfig.receivers,
      inhibitRules: [],
      clock,
      externalURL: '',
      silencedBy: () => [],
      deliver: async (deliveries) => {
        for (const d of deliveries) for (const a of d.notification.alerts) sent.push([clock.now() - T0, d.groupKey, a.status, a.endsAt]);
      },
    });
    const endsAt = T0 + 90 * S;
    dispatcher.ingest([{ labels: { alertname: 'Lag', team: 'kafka' }, annotations: {}, startsAt: iso(T0), endsAt: iso(endsAt), generatorURL: '' }]);
    for (const t of [30 * S, 90 * S, 150 * S]) {
      clock.advanceTo(T0 + t);
      await dispatcher.idle();
    }
    const key = '{}/{team="kafka"}:{alertname="Lag"}';
    assert.deepEqual(sent, [
      [30 * S, key, 'firing', iso(T0 + 30 * S + 2 * M)],
      [30 * S, key, 'firing', iso(T0 + 30 * S + 2 * M)],
      [90 * S, key, 'resolved', iso(endsAt)],
      [90 * S, key, 'resolved', iso(endsAt)],
    ]);
    assert.equal(dispatcher.groupCount, 0);
  });
});
