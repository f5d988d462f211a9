/**
 * Debian's promtool (Prometheus 2.42's own client: form-encoded POST queries, GET series and
 * label look-ups) against Sluice's API over real HTTP, printing what it prints for a Prometheus
 * server: `promtool query instant|range|series|labels`, and a bad query's error.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { listenApi } from '../../../src/api/server.ts';
import type { Store } from '../../../src/store/index.ts';
import { openFixtureStore, prometheusApi } from './support.ts';

const PROMTOOL = '/usr/bin/promtool';
const BYTES = 'kafka_server_brokertopicmetrics_bytesin_total';
// promtool looks series and labels up around the wall clock: the data ends a minute ago.
const END = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
const END_S = END / 1000;

function promtool(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PROMTOOL, args, { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? -1, stdout, stderr }));
  });
}

describe('promtool query against Sluice', { skip: existsSync(PROMTOOL) ? false : `needs ${PROMTOOL} (Debian package prometheus)` }, () => {
  let store: Store;
  let api: FastifyInstance;
  let url: string;
  before(async () => {
    store = await openFixtureStore('pglite', END);
    api = await prometheusApi({ source: store.querier, now: () => END });
    url = await listenApi(api, 0);
  });
  after(async () => {
    await api.close();
    await store.close();
  });

  test('query instant', async () => {
    const out = await promtool(['query', 'instant', `--time=${END_S}`, url, BYTES]);
    assert.deepEqual(out, {
      code: 0,
      stdout: `${BYTES}{cluster="c1", topic="orders"} => 72000 @[${END_S}]\n${BYTES}{cluster="c1", topic="payments"} => 144000 @[${END_S}]\n`,
      stderr: '',
    });
    const sum = await promtool(['query', 'instant', `--time=${new Date(END - 3_600_000).toISOString()}`, url, `sum(rate(${BYTES}[5m])) / 3`]);
    assert.deepEqual(sum, { code: 0, stdout: `{} => 10 @[${END_S - 3600}]\n`, stderr: '' });
  });

  test('query instant -o json', async () => {
    const out = await promtool(['query', 'instant', '-o', 'json', `--time=${END_S}`, url, `${BYTES}{topic="orders"}`]);
    assert.deepEqual(out, { code: 0, stdout: `[{"metric":{"__name__":"${BYTES}","cluster":"c1","topic":"orders"},"value":[${END_S},"72000"]}]\n`, stderr: '' });
  });

  test('query range, across stored samples and the head', async () => {
    const out = await promtool(['query', 'range', `--start=${new Date(END - 1_800_000).toISOString()}`, `--end=${END_S}`, '--step=15m', url, `kafka_consumergroup_lag + on (cluster) group_left () (sum by (cluster) (${BYTES}) * 0)`]);
    const points = (v: string) => [END_S - 1800, END_S - 900, END_S].map((t) => `${v} @[${t}]`).join('\n');
    assert.deepEqual(out, {
      code: 0,
      stdout: `{cluster="c1", group="billing", partition="0", topic="orders"} =>\n${points('5')}\n{cluster="c1", group="billing", partition="1", topic="orders"} =>\n${points('7')}\n`,
      stderr: '',
    });
  });

  test('query series', async () => {
    const out = await promtool(['query', 'series', '--match=kafka_consumergroup_lag', '--match=sluice_head_only', url]);
    assert.deepEqual(out, {
      code: 0,
      stdout: '{__name__="kafka_consumergroup_lag", cluster="c1", group="billing", partition="0", topic="orders"}\n'
        + '{__name__="kafka_consumergroup_lag", cluster="c1", group="billing", partition="1", topic="orders"}\n'
        + '{__name__="sluice_head_only", cluster="c1"}\n',
      stderr: '',
    });
  });

  test('query labels', async () => {
    assert.deepEqual(await promtool(['query', 'labels', url, 'topic']), { code: 0, stdout: 'orders\npayments\n', stderr: '' });
    assert.deepEqual(await promtool(['query', 'labels', '--match=kafka_consumergroup_lag', url, 'partition']), { code: 0, stdout: '0\n1\n', stderr: '' });
  });

  test('a bad query: promtool reports Prometheus\'s error type and message', async () => {
    const out = await promtool(['query', 'instant', url, `sum(${BYTES}`]);
    assert.deepEqual(out, { code: 1, stdout: '', stderr: `query error: bad_data: invalid parameter "query": 1:${BYTES.length + 5}: parse error: unexpected end of input\n` });
  });
});
