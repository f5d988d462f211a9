import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, it } from 'node:test';
import { VirtualClock } from '../../src/clock.ts';
import { parseNotifyConfig } from '../../src/notify/config.ts';
import { Notifier } from '../../src/notify/notifier.ts';
import type { OutgoingAlert } from '../../src/notify/types.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { forEachNotifyBackend, lagAlert, startServer, type TestServer } from './support.ts';

const T0 = Date.UTC(2024, 2, 10, 12, 0, 0);
const S = 1000;

function config(url: string, sendResolved = true) {
  return parseNotifyConfig({
    route: { receiver: 'ops', group_by: ['alertname'], group_wait: '30s', group_interval: '5m', repeat_interval: '1h' },
    receivers: [{ name: 'ops', webhook_configs: [{ url: `${url}/hook`, send_resolved: sendResolved }] }],
  });
}

/** A lag alert resolved at `at`, as the rules engine sends it. */
function resolved(group: string, startedAt: number, at: number): OutgoingAlert {
  return { ...lagAlert(group, startedAt), endsAt: new Date(at).toISOString(), status: 'resolved' };
}

/** Advances the clock a second at a time to `untilMs`, letting the notifier settle after each step. */
async function run(notifier: Notifier, clock: VirtualClock, untilMs: number): Promise<void> {
  while (clock.now() < untilMs) {
    clock.advance(S);
    await notifier.idle();
  }
}

/** 64 KiB of hex from a SHA-256 chain: does not compress below PostgreSQL's btree entry limit. */
function longValue(): string {
  let out = '';
  let block = 'sluice';
  while (out.length < 65_536) {
    block = createHash('sha256').update(block).digest('hex');
    out += block;
  }
  return out.slice(0, 65_536);
}

// Any string Kafka carries may be a client id, and so a group_by label and part of a group key:
// each must be stored, delivered, logged and restored exactly (src/store/labels.ts, the rule).
const hostile: [string, string][] = [
  ['a NUL byte', 'evil\u0000id'],
  ['a lone surrogate', 'half\ud800way'],
  ['64 KiB', longValue()],
];

forEachNotifyBackend((backend) => {
  let server: TestServer;
  let clock: VirtualClock;
  /** When each request came, in seconds after T0. */
  const at: number[] = [];
  before(async () => {
    server = await startServer(() => {
      at.push((clock.now() - T0) / S);
      return 200;
    });
  });
  after(() => server.close());
  /** What the webhook got: when, and each alert as `group:status`. */
  const received = (): [number, string[]][] => server.requests.map((r, i) => {
    const body = JSON.parse(r.body) as { alerts: { status: string; labels: Record<string, string> }[] };
    return [at[i]!, body.alerts.map((a) => `${a.labels.group}:${a.status}`)];
  });

  // The reported case: a group holding a firing alert already notified and one whose resolution
  // was just notified. After a restart the rules engine resends the resolved one before the
  // firing one (their resend times differ): that must not read as "the group resolved".
  it('sends nothing again after a restart until there is something new, then keeps the group_interval rhythm and repeat_interval', async () => {
    const db = await backend.fresh();
    clock = new VirtualClock(T0);
    server.requests.length = 0;
    at.length = 0;
    const first = new Notifier({ config: config(server.url), db, clock, logger: silentLogger() });
    first.start();
    await first.send([lagAlert('billing', T0), lagAlert('orders', T0)]);
    await run(first, clock, T0 + 60 * S);
    await first.send([lagAlert('billing', T0), resolved('orders', T0, T0 + 60 * S)]);
    await run(first, clock, T0 + 340 * S);
    assert.deepEqual(received(), [[30, ['billing:firing', 'orders:firing']], [330, ['billing:firing', 'orders:resolved']]]);
    // Everything it decided is stored: stopping now is the same as SIGKILL.
    await first.stop();

    const second = new Notifier({ config: config(server.url), db, clock, logger: silentLogger() });
    second.start();
    await second.send([resolved('orders', T0, T0 + 60 * S)]);
    second.settled();
    await run(second, clock, T0 + 400 * S);
    await second.send([lagAlert('billing', T0)]);
    await run(second, clock, T0 + 1000 * S);
    assert.deepEqual(received().length, 2, 'nothing is sent again after the restart');
    // Something new goes out on the group's own group_interval tick (30 s + k × 5 min), and the
    // unchanged group is repeated one repeat_interval after that notification.
    await second.send([lagAlert('billing', T0), lagAlert('payments', T0 + 1000 * S)]);
    await run(second, clock, T0 + 5000 * S);
    await second.stop();
    assert.deepEqual(received(), [
      [30, ['billing:firing', 'orders:firing']],
      [330, ['billing:firing', 'orders:resolved']],
      [1230, ['billing:firing', 'payments:firing']],
      [4830, ['billing:firing', 'payments:firing']],
    ]);
  });

  it('does not take a restored alert whose endsAt ran out while the process was down for resolved before the rules engine resent it', async () => {
    const db = await backend.fresh();
    clock = new VirtualClock(T0);
    server.requests.length = 0;
    at.length = 0;
    const first = new Notifier({ config: config(server.url), db, clock, logger: silentLogger() });
    first.start();
    // As the rules engine sends a firing alert: valid for 4 resend delays.
    const valid = (at: number): OutgoingAlert => ({ ...lagAlert('billing', T0), endsAt: new Date(at + 240 * S).toISOString() });
    await first.send([valid(T0)]);
    await run(first, clock, T0 + 60 * S);
    await first.stop();
    // Down for 10 minutes: the stored endsAt (T0 + 240 s) has passed at the restart.
    clock.advance(600 * S);
    const second = new Notifier({ config: config(server.url), db, clock, logger: silentLogger(), restoreHoldMs: 120 * S });
    second.start();
    await second.ready();
    await run(second, clock, T0 + 700 * S);
    await second.send([valid(clock.now())]);
    second.settled();
    await run(second, clock, T0 + 900 * S);
    await second.stop();
    assert.deepEqual(received(), [[30, ['billing:firing']]]);
  });

  it('pages again after a restart for an alert that resolved (without send_resolved) and fires again', async () => {
    const db = await backend.fresh();
    clock = new VirtualClock(T0);
    server.requests.length = 0;
    at.length = 0;
    const first = new Notifier({ config: config(server.url, false), db, clock, logger: silentLogger() });
    first.start();
    await first.send([lagAlert('billing', T0)]);
    await run(first, clock, T0 + 60 * S);
    // Resolved: the 330 s flush finds the group resolved and has nothing to list.
    await first.send([resolved('billing', T0, T0 + 60 * S)]);
    await run(first, clock, T0 + 400 * S);
    await first.stop();
    const second = new Notifier({ config: config(server.url, false), db, clock, logger: silentLogger() });
    second.start();
    await second.ready();
    second.settled();
    await run(second, clock, T0 + 500 * S);
    await second.send([lagAlert('billing', T0 + 500 * S)]);
    await run(second, clock, T0 + 900 * S);
    await second.stop();
    assert.deepEqual(received(), [[30, ['billing:firing']], [530, ['billing:firing']]]);
  });

  const throttled = (clientId: string, status: 'firing' | 'resolved' = 'firing'): OutgoingAlert => ({
    labels: { alertname: 'KafkaClientThrottled', cluster: 'c1', client_id: clientId, severity: 'warning' },
    annotations: { summary: `client ${clientId} is throttled` },
    startsAt: new Date(T0).toISOString(),
    endsAt: new Date(status === 'firing' ? T0 + 86_400_000 : T0 + 400 * S).toISOString(),
    generatorURL: 'http://sluice.example:8080/graph',
    ...(status === 'resolved' ? { status } : {}),
  });
  const cfg = () => parseNotifyConfig({
    route: { receiver: 'ops', group_by: ['alertname', 'client_id'], group_wait: '30s', group_interval: '5m', repeat_interval: '1h' },
    receivers: [{ name: 'ops', webhook_configs: [{ url: `${server.url}/hook`, send_resolved: true }] }],
  });

  for (const [what, clientId] of hostile) {
    it(`delivers, logs and restores a group whose group_by label holds ${what}, exactly and once`, async () => {
      const db = await backend.fresh();
      clock = new VirtualClock(T0);
      server.requests.length = 0;
      at.length = 0;
      type Body = { status: string; groupKey: string; groupLabels: Record<string, string>; commonLabels: Record<string, string>; alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[] };
      const bodies = (): Body[] => server.requests.map((r) => JSON.parse(r.body) as Body);

      const first = new Notifier({ config: cfg(), db, clock, logger: silentLogger() });
      first.start();
      await first.send([throttled(clientId)]);
      await run(first, clock, T0 + 60 * S);
      assert.deepEqual(at, [30], 'the group is notified at group_wait');
      // On the wire the value is plain JSON: NUL as \u0000, a lone surrogate as \ud800.
      assert.ok(server.requests[0]!.body.includes(`"client_id":${JSON.stringify(clientId)}`));
      const sent = bodies()[0]!;
      assert.equal(sent.status, 'firing');
      assert.equal(sent.groupLabels.client_id, clientId);
      assert.equal(sent.commonLabels.client_id, clientId);
      assert.deepEqual(sent.alerts.map((a) => [a.status, a.labels.client_id, a.annotations.summary]), [['firing', clientId, `client ${clientId} is throttled`]]);
      const log = await first.outbox.loadLog();
      assert.deepEqual(log.map((e) => [e.groupKey, e.receiver, e.integrationIndex, e.firing.length]), [[sent.groupKey, 'ops', 0, 1]]);
      await first.stop();

      // A restart: the held alert and the log come back; the resent alert is not notified again.
      const second = new Notifier({ config: cfg(), db, clock, logger: silentLogger() });
      second.start();
      await second.ready();
      assert.deepEqual(second.alerts().map((a) => a.labels.client_id), [clientId], 'the held alert is restored');
      await second.send([throttled(clientId)]);
      second.settled();
      await run(second, clock, T0 + 400 * S);
      assert.deepEqual(at, [30], 'no duplicate after the restart');
      await second.send([throttled(clientId, 'resolved')]);
      await run(second, clock, T0 + 700 * S);
      await second.stop();
      assert.deepEqual(at, [30, 630], 'the resolution goes out on the group_interval tick, once');
      const resolvedBody = bodies()[1]!;
      assert.equal(resolvedBody.groupKey, sent.groupKey);
      assert.deepEqual(resolvedBody.alerts.map((a) => [a.status, a.labels.client_id]), [['resolved', clientId]]);
      const rows = await db.query<{ status: string }>('SELECT status FROM notify_outbox ORDER BY id');
      assert.deepEqual(rows.rows.map((r) => r.status), ['sent', 'sent']);
    });
  }
});
