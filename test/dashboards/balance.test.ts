/**
 * The Balance board's queries, after the expansion Grafana does (./grafana.ts), against a
 * migrated store (embedded PGlite, and PostgreSQL at DATABASE_URL when set) holding ten minutes
 * of per-broker samples, stored plans (an older one, the newest, one made after the range, one of
 * another cluster) and executions (a finished one and a running one with one move done): every
 * panel returns exactly the rows those give, and the cluster and broker variables narrow them.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Dashboard, Panel } from '@grafana/schema';
import { balanceConfigSchema } from '../../src/balance/config.ts';
import { BalanceStore } from '../../src/balance/execute/store.ts';
import type { Plan } from '../../src/balance/result.ts';
import { wallClock } from '../../src/clock.ts';
import { planOnFixture } from '../../src/replay/balance.ts';
import { openStore, type Sample, type Store } from '../../src/store/index.ts';
import { quoteIdent } from '../../src/store/sql.ts';
import { BACKENDS, storeLocation, uniqueSchema } from '../helpers/backends.ts';
import { skewedFixture } from '../replay/balance-support.ts';
import { boardVariables, panelSql, type SqlClient, type TimeRange, type VariableValue } from './grafana.ts';

const MIN = 60_000;
const END = Date.UTC(2026, 11, 1, 10, 10, 0);
const RANGE: TimeRange = { from: END - 10 * MIN, to: END + MIN };
const MIN_INTERVAL = '15s';
const board = JSON.parse(await readFile(new URL('../../dashboards/json/balance.json', import.meta.url), 'utf8')) as Dashboard;

/** Per broker of cluster east: produce, replication in, fetch, replication out (B/s); and the log sizes it holds. */
const TRAFFIC: Record<string, [number, number, number, number]> = { 1: [1000, 100, 500, 0], 2: [200, 50, 100, 100], 3: [300, 0, 0, 50] };
const LOGS: Record<string, [string, number][]> = { 1: [['0', 6_600_000], ['1', 3_960_000]], 2: [['2', 1_320_000]], 3: [['3', 1_320_000]] };

function samples(): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i <= 10; i++) {
    const ts = END - (10 - i) * MIN;
    for (const cluster of ['east', 'west']) out.push({ metric: 'sluice_cluster_brokers_alive', labels: { cluster }, ts, value: 3 });
    for (const [broker, rates] of Object.entries(TRAFFIC)) {
      const labels = { cluster: 'east', broker };
      out.push({ metric: 'sluice_cluster_broker_up', labels, ts, value: 1 });
      ['bytesin', 'replicationbytesin', 'bytesout', 'replicationbytesout'].forEach((name, k) => {
        out.push({ metric: `kafka_server_brokertopicmetrics_${name}_total`, labels, ts, value: rates[k]! * 60 * i });
      });
      // A per-topic series of the same metric: the per-broker total already counts it.
      out.push({ metric: 'kafka_server_brokertopicmetrics_bytesin_total', labels: { ...labels, topic: 'orders' }, ts, value: 99_999 * i });
      for (const [partition, size] of LOGS[broker]!) out.push({ metric: 'kafka_log_log_size', labels: { ...labels, topic: 'orders', partition }, ts, value: size });
    }
  }
  return out;
}

/** Values as they compare: numbers as numbers (pg gives numeric and bigint as text), times as ISO text. */
function plain(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) && k !== 'metric' ? Number(v) : v])));
}

const iso = (ms: number): string => new Date(ms).toISOString();

for (const backend of BACKENDS) {
  describe(`the Balance board on ${backend}`, () => {
    const schema = uniqueSchema();
    let store: Store;
    let client: SqlClient;
    let variables: Map<string, VariableValue>;
    const ids = { older: 0, newest: 0, later: 0, west: 0, finished: 0, running: 0 };

    before(async () => {
      store = await openStore(storeLocation(backend, schema), { clock: { ...wallClock, now: () => END - 11 * MIN } });
      await store.writer.write(samples());
      await store.writer.flush();
      const db = store.db;
      client = { query: async (sql) => { const r = await db.query(sql); return { fields: Object.keys(r.rows[0] ?? {}).map((name) => ({ name })), rows: r.rows }; } };
      const config = balanceConfigSchema.parse({});
      const plan = async (mode: 'full' | 'incremental'): Promise<Plan> => (await planOnFixture(skewedFixture(), config, { mode })).plan;
      const balance = new BalanceStore(db);
      const save = async (cluster: string, createdAt: number, p: Plan): Promise<number> =>
        balance.savePlan({ cluster, createdAt, createdBy: 'cli', mode: p.mode, plan: p, evidence: {}, explanation: `${p.mode} plan` });
      ids.older = await save('east', END - 30 * MIN, await plan('incremental'));
      ids.newest = await save('east', END - 5 * MIN, await plan('full'));
      ids.later = await save('east', END + 60 * MIN, await plan('incremental'));
      ids.west = await save('west', END - MIN, await plan('incremental'));
      // The older plan ran to the end; the newest runs now, orders-1 copied, orders-3 in flight.
      const finished = await balance.createExecution(ids.older, 'east', 'cli', END - 20 * MIN);
      ids.finished = finished.id;
      assert.ok(await balance.claim(finished.id, 'p', END - 20 * MIN, END - 20 * MIN));
      assert.ok(await balance.record(finished.id, 'p', END - 15 * MIN, { state: 'done', finishedAt: END - 15 * MIN }, finished.moves.map((m) => ({ ...m, state: 'done', startedAt: END - 19 * MIN, finishedAt: END - 16 * MIN }))));
      const running = await balance.createExecution(ids.newest, 'east', 'cli', END - 4 * MIN);
      ids.running = running.id;
      assert.ok(await balance.claim(running.id, 'p', END - 4 * MIN, END - 4 * MIN));
      const sizing = {
        at: END - 2 * MIN, override: null, explanation: [],
        brokers: [{ broker: 1, leaderRate: 2e6, followerRate: 3e6, clientIn: 1100, clientOut: 500 }, { broker: 3, leaderRate: 5e6, followerRate: 1.5e6, clientIn: 300, clientOut: 50 }],
      };
      const [m0, m1] = running.moves as [typeof running.moves[0], typeof running.moves[0]];
      assert.ok(await balance.record(running.id, 'p', END - 2 * MIN, { sizing }, [
        { ...m0, state: 'done', startedAt: END - 4 * MIN, finishedAt: END - 3 * MIN },
        { ...m1, state: 'in-flight', startedAt: END - 3 * MIN },
      ]));
      variables = await boardVariables(client, board, RANGE, MIN_INTERVAL);
    });
    after(async () => {
      if (backend === 'postgres') await store?.db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      await store?.close();
    });

    async function rows(title: string, picked: Record<string, string[]> = {}): Promise<Record<string, unknown>[]> {
      const p = ((board.panels ?? []) as Panel[]).find((x) => x.title === title);
      assert.ok(p !== undefined, `no panel ${title}`);
      const vars = new Map(variables);
      for (const [name, current] of Object.entries(picked)) vars.set(name, { ...vars.get(name)!, current });
      const [target] = p.targets as unknown as { rawSql: string }[];
      return plain((await client.query(panelSql(p, target!.rawSql, RANGE, vars, MIN_INTERVAL))).rows as Record<string, unknown>[]);
    }

    /** Time series rows as legend → distinct values, and the bucket times of the first legend. */
    function byLegend(list: readonly Record<string, unknown>[]): Record<string, number[]> {
      const out: Record<string, number[]> = {};
      for (const r of list) out[String(r.metric)] = [...new Set([...(out[String(r.metric)] ?? []), Number(r.value)])];
      return out;
    }

    test('the variables list the clusters and the brokers', () => {
      assert.deepEqual(variables.get('cluster')!.options, ['east', 'west']);
      assert.deepEqual(variables.get('broker')!.options, ['1', '2', '3']);
    });

    test('bytes in, bytes out and disk per broker over time, from the stored samples', async () => {
      const bytesIn = await rows('Bytes in per broker');
      // Produce and replication together; the per-topic series is left out. Every minute but the first has a rate.
      assert.deepEqual(byLegend(bytesIn), { 'east broker 1': [1100], 'east broker 2': [250], 'east broker 3': [300] });
      assert.deepEqual([...new Set(bytesIn.map((r) => Number(r.time)))], Array.from({ length: 10 }, (_, i) => (END - (9 - i) * MIN) / 1000));
      assert.deepEqual(byLegend(await rows('Bytes out per broker')), { 'east broker 1': [500], 'east broker 2': [200], 'east broker 3': [50] });
      const disk = await rows('Disk per broker');
      assert.deepEqual(byLegend(disk), { 'east broker 1': [10_560_000], 'east broker 2': [1_320_000], 'east broker 3': [1_320_000] });
      assert.equal(disk.length, 33);
      assert.deepEqual(byLegend(await rows('Disk per broker', { broker: ['2'] })), { 'east broker 2': [1_320_000] });
    });

    test('the latest plan of each cluster made by the end of the range', async () => {
      assert.deepEqual(await rows('Latest plan'), [
        {
          cluster: 'east', plan: ids.newest, created: iso(END - 5 * MIN), by: 'cli', mode: 'full', state: 'executing', moves: 2, reassignments: 2,
          'bytes to copy': 5_280_000, 'expected s': 3_960_000 / (50 * 2 ** 20), 'max/min bytes in': 'default 8.00× → 2.50×', unmet: 3,
        },
        {
          cluster: 'west', plan: ids.west, created: iso(END - MIN), by: 'cli', mode: 'incremental', state: 'planned', moves: 1, reassignments: 1,
          'bytes to copy': 3_960_000, 'expected s': 3_960_000 / (50 * 2 ** 20), 'max/min bytes in': 'default 8.00× → 5.00×', unmet: 2,
        },
      ]);
    });

    test('every broker\'s load before and predicted after in the latest plan', async () => {
      const row = (cluster: string, plan: number, broker: number, v: number[]): Record<string, unknown> => ({
        cluster, plan, broker, group: 'default', drained: '',
        'bytes in before': v[0], 'bytes in after': v[1], 'bytes out before': v[2], 'bytes out after': v[3], 'disk before': v[4], 'disk after': v[5],
        'leaders before': v[6], 'leaders after': v[7], 'replicas before': v[8], 'replicas after': v[9],
      });
      const east = [
        row('east', ids.newest, 1, [1600, 1000, 1100, 500, 10_560_000, 6_600_000, 2, 1, 2, 1]),
        row('east', ids.newest, 2, [200, 400, 200, 400, 1_320_000, 2_640_000, 1, 2, 1, 2]),
        row('east', ids.newest, 3, [200, 600, 200, 600, 1_320_000, 3_960_000, 1, 1, 1, 1]),
      ];
      assert.deepEqual(await rows('Per-broker load: before and predicted after', { cluster: ['east'] }), east);
      const all = await rows('Per-broker load: before and predicted after');
      assert.deepEqual(all.slice(0, 3), east);
      assert.deepEqual(all.slice(3).map((r) => [r.cluster, r.plan, r.broker, r['bytes in after']]), [['west', ids.west, 1, 1000], ['west', ids.west, 2, 200], ['west', ids.west, 3, 800]]);
      assert.deepEqual((await rows('Per-broker load: before and predicted after', { broker: ['1'] })).map((r) => [r.cluster, r.broker]), [['east', 1], ['west', 1]]);
    });

    test('the current execution: the running one, with its moves done and the throttle', async () => {
      assert.deepEqual(await rows('Current execution'), [{
        cluster: 'east', execution: ids.running, plan: ids.newest, state: 'running', requested: '', started: iso(END - 4 * MIN), updated: iso(END - 2 * MIN), finished: null,
        'moves done': 1, moves: 2, 'bytes done': 3_960_000, bytes: 5_280_000, 'throttle B/s': 1_500_000, blocked: '', error: '',
      }]);
      const moves = await rows('Moves of the current execution');
      assert.deepEqual(moves, [
        { cluster: 'east', execution: ids.running, seq: 0, topic: 'orders', partition: 1, replicas: '[1] → [3]', bytes: 3_960_000, state: 'done', started: iso(END - 4 * MIN), finished: iso(END - 3 * MIN), error: '' },
        { cluster: 'east', execution: ids.running, seq: 1, topic: 'orders', partition: 3, replicas: '[3] → [2]', bytes: 1_320_000, state: 'in-flight', started: iso(END - 3 * MIN), finished: null, error: '' },
      ]);
      assert.deepEqual((await rows('Moves of the current execution', { broker: ['2'] })).map((r) => r.seq), [1]);
      assert.deepEqual(await rows('Moves of the current execution', { cluster: ['west'] }), []);
    });
  });
}
