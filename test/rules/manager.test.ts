import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { VirtualClock } from '../../src/clock.ts';
import { RuleManager } from '../../src/rules/manager.ts';
import type { OutgoingAlert } from '../../src/rules/types.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { NOW } from '../store/support.ts';
import { BACKENDS, storeLocation } from '../helpers/backends.ts';
import { timeAt } from '../helpers/clock.ts';

const M = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

const LAG_RULES = `groups:
  - name: lag
    interval: 1m
    rules:
      - record: group:lag:sum
        expr: sum by (cluster, group) (kafka_consumergroup_lag)
      - alert: LagHigh
        expr: group:lag:sum > 100
        for: 2m
        labels: { severity: page }
        annotations: { summary: "lag of {{ $labels.group }} is {{ $value }}" }
      - record: total:lag:sum
        expr: sum(kafka_consumergroup_lag)
`;

for (const backend of BACKENDS) {
  describe(`rules manager (${backend})`, () => {
    let dir: string;
    let schema: string | undefined;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sluice-rules-manager-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    async function setup(): Promise<{ clock: VirtualClock; store: Store; close: () => Promise<void> }> {
      const clock = new VirtualClock(NOW);
      const location = storeLocation(backend);
      schema = 'schema' in location ? location.schema : undefined;
      const store = await openStore(location, { clock: timeAt(() => clock.now()), registry: new Registry() });
      return {
        clock,
        store,
        close: async () => {
          if (schema !== undefined) await store.db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await store.close();
        },
      };
    }

    function manager(store: Store, clock: VirtualClock, sent: OutgoingAlert[][], registry = new Registry()): RuleManager {
      return new RuleManager({
        querier: store.head,
        sink: store.writer,
        alertSink: { send: async (alerts) => void sent.push([...alerts]) },
        db: store.db,
        clock,
        registry,
        externalURL: 'http://sluice:8080',
      });
    }

    test('pending → firing → resolved across two restarts: for progress kept, a firing alert not paged again as new', async () => {
      const { clock, store, close } = await setup();
      try {
        const file = join(dir, 'lag.yaml');
        await writeFile(file, LAG_RULES);
        const feed = (ts: number, value: number) => store.writer.write([{ metric: 'kafka_consumergroup_lag', labels: { cluster: 'c1', group: 'billing', partition: '0' }, ts, value }]);
        const sent: OutgoingAlert[][] = [];
        const registry = new Registry();

        // First process: one evaluation at NOW; the recording rule's output is seen by the alert at the same time.
        const first = manager(store, clock, sent, registry);
        assert.deepEqual((await first.reload([file])).map((f) => f.problems), [[]]);
        await feed(NOW, 150);
        first.start();
        clock.advance(0);
        await first.idle();
        assert.deepEqual(first.alerts().map((a) => [a.state, a.activeAt, a.value]), [['pending', iso(NOW), 150]]);
        const alerts = await store.head.select([{ name: '__name__', type: '=', value: 'ALERTS' }], NOW, NOW);
        assert.deepEqual(alerts.map((s) => s.labels), [{ alertname: 'LagHigh', alertstate: 'pending', cluster: 'c1', group: 'billing', severity: 'page' }]);
        const skipped = await registry.getSingleMetric('sluice_rule_samples_skipped_total')!.get();
        assert.equal(skipped.values[0]!.value, 1, 'sum() without a cluster label is not stored');
        await first.stop();

        // Second process at NOW+1m: pending since NOW, so it fires at NOW+2m, not NOW+3m.
        clock.advanceTo(NOW + M);
        const second = manager(store, clock, sent);
        await second.reload([file]);
        await feed(NOW + M, 150);
        second.start();
        clock.advance(0);
        await second.idle();
        assert.deepEqual(second.alerts().map((a) => [a.state, a.activeAt]), [['pending', iso(NOW)]]);
        await feed(NOW + 2 * M, 1500);
        clock.advance(M);
        await second.idle();
        assert.deepEqual(second.alerts().map((a) => [a.state, a.firedAt]), [['firing', iso(NOW + 2 * M)]]);
        const firing: OutgoingAlert = {
          labels: { alertname: 'LagHigh', cluster: 'c1', group: 'billing', severity: 'page' },
          annotations: { summary: 'lag of billing is 1500' },
          startsAt: iso(NOW + 2 * M),
          endsAt: iso(NOW + 6 * M),
          generatorURL: 'http://sluice:8080/graph?g0.expr=group%3Alag%3Asum+%3E+100&g0.tab=1',
          status: 'firing',
        };
        assert.deepEqual(sent, [[firing]]);
        await second.stop();

        // Third process at NOW+3m: still firing since NOW+2m, and not sent again before the resend delay.
        clock.advanceTo(NOW + 3 * M);
        const third = manager(store, clock, sent);
        await third.reload([file]);
        await feed(NOW + 3 * M, 1500);
        third.start();
        clock.advance(0);
        await third.idle();
        assert.deepEqual(third.alerts().map((a) => [a.state, a.activeAt, a.firedAt]), [['firing', iso(NOW), iso(NOW + 2 * M)]]);
        assert.equal(sent.length, 1);
        await feed(NOW + 4 * M, 1500);
        clock.advance(M);
        await third.idle();
        assert.deepEqual(sent[1], [{ ...firing, endsAt: iso(NOW + 8 * M) }], 'the re-send keeps startsAt');
        await feed(NOW + 5 * M, 0);
        clock.advance(M);
        await third.idle();
        assert.deepEqual(sent[2], [{ ...firing, endsAt: iso(NOW + 5 * M), status: 'resolved' }]);
        const rows = await store.db.query<{ state: string; labels: Record<string, string> }>('SELECT state, labels FROM alert_state');
        assert.deepEqual(rows.rows.map((r) => r.state), ['inactive']);
        const status = third.groups();
        assert.deepEqual(status.map((g) => [g.name, g.file, g.intervalSeconds, g.lastEvaluation, g.rules.map((r) => [r.name, r.type, r.health])]), [
          ['lag', file, 60, iso(NOW + 5 * M), [['group:lag:sum', 'recording', 'ok'], ['LagHigh', 'alerting', 'ok'], ['total:lag:sum', 'recording', 'ok']]],
        ]);
        await third.stop();

        // After the outage tolerance (1 h), stored state is not restored.
        clock.advanceTo(NOW + 2 * 60 * M);
        const late = manager(store, clock, sent);
        await late.reload([file]);
        assert.deepEqual(late.alerts(), []);
      } finally {
        await close();
      }
    });

    test('tells the alert sink once, after every group was evaluated and its alerts sent, that it has resent what it holds', async () => {
      const { clock, store, close } = await setup();
      try {
        const file = join(dir, 'two.yaml');
        await writeFile(file, `groups:
  - name: fast
    interval: 1m
    rules:
      - alert: LagSome
        expr: kafka_consumergroup_lag > 0
  - name: slow
    interval: 5m
    rules:
      - alert: LagMuch
        expr: kafka_consumergroup_lag > 100
`);
        await store.writer.write([{ metric: 'kafka_consumergroup_lag', labels: { cluster: 'c1', group: 'billing', partition: '0' }, ts: NOW, value: 150 }]);
        const events: string[] = [];
        const rules = new RuleManager({
          querier: store.head,
          sink: store.writer,
          alertSink: { send: async (alerts) => void events.push(...alerts.map((a) => `sent ${a.labels.alertname}`)), settled: () => events.push('settled') },
          db: store.db,
          clock,
        });
        await rules.reload([file]);
        rules.start();
        clock.advance(0);
        await rules.idle();
        clock.advance(5 * M);
        await rules.idle();
        await rules.stop();
        assert.deepEqual(events.slice(0, 3).sort(), ['sent LagMuch', 'sent LagSome', 'settled'].sort());
        assert.equal(events[2], 'settled');
        assert.deepEqual(events.filter((e) => e === 'settled'), ['settled']);
      } finally {
        await close();
      }
    });

    test('outputs without cluster get externalLabels.cluster; a running evaluation is never overlapped; metrics', async () => {
      const { clock, store, close } = await setup();
      try {
        const file = join(dir, 'lag2.yaml');
        await writeFile(file, LAG_RULES.replace('for: 2m', 'for: 0s'));
        await store.writer.write([{ metric: 'kafka_consumergroup_lag', labels: { cluster: 'c1', group: 'billing', partition: '0' }, ts: NOW, value: 150 }]);
        let release = (): void => {};
        const gate = new Promise<void>((resolve) => { release = resolve; });
        const registry = new Registry();
        const m = new RuleManager({
          querier: store.head,
          sink: store.writer,
          // A receiver that is slow to answer holds the evaluation open.
          alertSink: { send: () => gate },
          clock,
          registry,
          externalLabels: { cluster: 'all' },
        });
        await m.reload([file]);
        m.start();
        clock.advance(0);
        clock.advance(M);
        clock.advance(M);
        // A reload while the evaluation is held waits for it, and the new group goes on evaluating.
        const reloading = m.reload([file]);
        release();
        await reloading;
        clock.advance(0);
        await m.idle();
        const value = async (name: string, labels: Record<string, string> = {}): Promise<number | undefined> =>
          (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
        assert.equal(await value('sluice_rule_group_iterations_missed_total'), 2);
        assert.equal(await value('sluice_rule_evaluations_total', { rule_group: `${file};lag` }), 6, 'one evaluation before the reload, one after');
        assert.equal(await value('sluice_rule_evaluation_failures_total'), undefined);
        assert.equal(await value('sluice_alerts', { state: 'firing' }), 1);
        assert.equal(await value('sluice_rule_samples_skipped_total'), 0);
        const total = await store.head.select([{ name: '__name__', type: '=', value: 'total:lag:sum' }], NOW, NOW);
        assert.deepEqual(total.map((s) => [s.labels, [...s.values]]), [[{ cluster: 'all' }, [150]]]);
        await m.stop();
      } finally {
        await close();
      }
    });

    test('reload: a file gone bad keeps its groups running; good files are replaced; unlisted files are dropped', async () => {
      const { clock, store, close } = await setup();
      try {
        const a = join(dir, 'a.yaml');
        const b = join(dir, 'b.yaml');
        await writeFile(a, 'groups:\n  - name: a\n    rules:\n      - record: a:up\n        expr: up\n');
        await writeFile(b, 'groups:\n  - name: b\n    rules:\n      - record: b:up\n        expr: up * 2\n');
        await store.writer.write([{ metric: 'up', labels: { cluster: 'c1' }, ts: NOW, value: 1 }]);
        const m = manager(store, clock, []);
        await m.reload([a, b]);
        m.start();
        clock.advance(0);
        await m.idle();
        await writeFile(a, 'groups:\n  - name: a\n    rules:\n      - record: a:up:new\n        expr: up + 1\n');
        await writeFile(b, 'groups:\n  - name: b\n    rules:\n      - record: b:up\n        expr: up * \n');
        clock.advance(10_000);
        const result = await m.reload([a, b]);
        assert.deepEqual(result.map((f) => f.problems.map((p) => `${p.line}:${p.col}: ${p.message}`)), [[], ['5:19: 1:5: unexpected end of input']]);
        clock.advance(19_999);
        await m.idle();
        assert.deepEqual(m.groups().map((g) => g.lastEvaluation), [iso(NOW), iso(NOW)], 'a replaced group is not evaluated again before its interval');
        clock.advance(1);
        await m.idle();
        assert.deepEqual(m.groups().map((g) => [g.name, g.rules.map((r) => [r.name, r.query, r.health])]), [
          ['a', [['a:up:new', 'up + 1', 'ok']]],
          ['b', [['b:up', 'up * 2', 'ok']]],
        ]);
        const b2 = await store.head.select([{ name: '__name__', type: '=', value: 'b:up' }], NOW, NOW + 30_000);
        assert.deepEqual([...b2[0]!.values], [2, 2], 'the kept group went on evaluating');
        await m.reload([a]);
        assert.deepEqual(m.groups().map((g) => g.name), ['a']);
        await m.stop();
      } finally {
        await close();
      }
    });
  });
}
