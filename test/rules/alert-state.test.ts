import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alertSeries, dueForSending, fingerprint, RESOLVED_RETENTION_MS, restoreActiveAt, stepAlerts, type Alert, type AlertCandidate } from '../../src/rules/alert-state.ts';

const M = 60_000;
const labels = { alertname: 'Lag', group: 'billing' };
const hit: AlertCandidate = { labels, annotations: { summary: 's' }, value: 5 };

/** Runs the rule at each minute; `returned[i]` says whether the series is returned at minute i. */
function run(returned: boolean[], rule: { forMs: number; keepFiringForMs: number }): (Alert | undefined)[] {
  let alerts = new Map<string, Alert>();
  return returned.map((r, i) => {
    const step = stepAlerts(alerts, r ? [hit] : [], i * M, rule);
    assert.ok(step.ok);
    alerts = step.alerts;
    return alerts.get(fingerprint(labels));
  });
}

describe('alert lifecycle', () => {
  test('for: pending from the first evaluation, firing once returned for the whole duration, then resolved', () => {
    const states = run([true, true, true, true, false, false], { forMs: 2 * M, keepFiringForMs: 0 });
    assert.deepEqual(states.map((a) => a?.state), ['pending', 'pending', 'firing', 'firing', 'inactive', 'inactive']);
    assert.equal(states[3]!.activeAt, 0);
    assert.equal(states[3]!.firedAt, 2 * M);
    assert.equal(states[5]!.resolvedAt, 4 * M);
  });

  test('for: 0 fires at once', () => {
    const [first] = run([true], { forMs: 0, keepFiringForMs: 0 });
    assert.deepEqual({ state: first!.state, activeAt: first!.activeAt, firedAt: first!.firedAt }, { state: 'firing', activeAt: 0, firedAt: 0 });
  });

  test('a pending alert whose series goes away is dropped, and starts over', () => {
    const states = run([true, false, true, true, true], { forMs: 2 * M, keepFiringForMs: 0 });
    assert.deepEqual(states.map((a) => a?.state), ['pending', undefined, 'pending', 'pending', 'firing']);
    assert.equal(states[4]!.activeAt, 2 * M);
  });

  test('keep_firing_for keeps it firing after the condition clears, and a return resets the countdown', () => {
    const states = run([true, false, false, true, false, false, false, false], { forMs: 0, keepFiringForMs: 2 * M });
    assert.deepEqual(states.map((a) => a?.state), ['firing', 'firing', 'firing', 'firing', 'firing', 'firing', 'inactive', 'inactive']);
    assert.equal(states[1]!.keepFiringSince, 1 * M);
    assert.equal(states[3]!.keepFiringSince, undefined);
    assert.equal(states[6]!.resolvedAt, 6 * M);
    assert.equal(states[6]!.firedAt, 0);
  });

  test('resolved alerts are kept 15 minutes, and a return then is a new alert', () => {
    let alerts = stepAlerts(new Map(), [hit], 0, { forMs: 0, keepFiringForMs: 0 });
    assert.ok(alerts.ok);
    const resolved = stepAlerts(alerts.alerts, [], M, { forMs: 0, keepFiringForMs: 0 });
    assert.ok(resolved.ok);
    const kept = stepAlerts(resolved.alerts, [], M + RESOLVED_RETENTION_MS, { forMs: 0, keepFiringForMs: 0 });
    assert.ok(kept.ok);
    assert.equal(kept.alerts.size, 1);
    const gone = stepAlerts(kept.alerts, [], M + RESOLVED_RETENTION_MS + 1, { forMs: 0, keepFiringForMs: 0 });
    assert.ok(gone.ok);
    assert.equal(gone.alerts.size, 0);
    alerts = stepAlerts(resolved.alerts, [hit], 2 * M, { forMs: M, keepFiringForMs: 0 });
    assert.ok(alerts.ok);
    assert.deepEqual([...alerts.alerts.values()].map((a) => [a.state, a.activeAt]), [['pending', 2 * M]]);
  });

  test('value and annotations follow each evaluation; duplicate label sets are an error', () => {
    const first = stepAlerts(new Map(), [hit], 0, { forMs: M, keepFiringForMs: 0 });
    assert.ok(first.ok);
    const second = stepAlerts(first.alerts, [{ labels, annotations: { summary: 't' }, value: 9 }], M, { forMs: M, keepFiringForMs: 0 });
    assert.ok(second.ok);
    const a = [...second.alerts.values()][0]!;
    assert.deepEqual([a.state, a.value, a.annotations, a.activeAt], ['firing', 9, { summary: 't' }, 0]);
    assert.deepEqual(stepAlerts(new Map(), [hit, hit], 0, { forMs: 0, keepFiringForMs: 0 }), { ok: false, error: 'vector contains metrics with the same labelset after applying alert labels' });
  });

  test('ALERTS and ALERTS_FOR_STATE for pending and firing alerts only', () => {
    const states = run([true, true, false], { forMs: M, keepFiringForMs: 0 });
    const pending = new Map([['p', states[0]!]]);
    assert.deepEqual(alertSeries(pending), [
      { labels: { alertname: 'Lag', group: 'billing', __name__: 'ALERTS', alertstate: 'pending' }, value: 1 },
      { labels: { alertname: 'Lag', group: 'billing', __name__: 'ALERTS_FOR_STATE' }, value: 0 },
    ]);
    assert.deepEqual(alertSeries(new Map([['r', states[2]!]])), []);
  });

  test('sending: firing alerts at once then every resend delay, resolved ones at once then every delay, pending never', () => {
    const rule = { forMs: 0, keepFiringForMs: 0 };
    let alerts = new Map<string, Alert>();
    const sent: [number, string, number | undefined][] = [];
    for (let i = 0; i <= 5; i++) {
      const step = stepAlerts(alerts, i < 3 ? [hit] : [], i * 30_000, rule);
      assert.ok(step.ok);
      const due = dueForSending(step.alerts, i * 30_000, M, 30_000);
      alerts = due.alerts;
      for (const a of due.due) sent.push([i * 30_000, a.state, a.validUntil]);
    }
    assert.deepEqual(sent, [
      [0, 'firing', 4 * M],
      [90_000, 'inactive', 90_000 + 4 * M],
    ]);
    const pending = stepAlerts(new Map(), [hit], 0, { forMs: M, keepFiringForMs: 0 });
    assert.ok(pending.ok);
    assert.deepEqual(dueForSending(pending.alerts, 0, M, 30_000).due, []);
  });
});

describe('restoring pending alerts after an outage', () => {
  const pending: Alert = { labels, annotations: {}, state: 'pending', activeAt: 0, value: 1 };
  const ctx = { forMs: 20 * M, downAt: 5 * M, intervalMs: M, gracePeriodMs: 0 };

  test('time pending before the outage counts; the outage beyond one interval does not', () => {
    assert.equal(restoreActiveAt(pending, { ...ctx, now: 6 * M }), 0, 'a restart within one interval loses nothing');
    assert.equal(restoreActiveAt(pending, { ...ctx, now: 16 * M }), 10 * M);
  });

  test('an alert close to firing waits the grace period; one already due and firing ones keep activeAt', () => {
    assert.equal(restoreActiveAt(pending, { ...ctx, now: 16 * M, gracePeriodMs: 30 * M }), 26 * M);
    assert.equal(restoreActiveAt(pending, { ...ctx, downAt: 25 * M, now: 40 * M }), 0);
    assert.equal(restoreActiveAt({ ...pending, state: 'firing' }, { ...ctx, now: 40 * M }), 0);
  });
});
