import assert from 'node:assert/strict';
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
});
