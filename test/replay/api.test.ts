/**
 * POST /api/v1/replay through fastify's inject: the timeline of a fixture from the fixtures
 * directory, a rule file overridden, the check against expected.yaml, and the bounds (names,
 * unknown fixtures, the time budget, the number of events returned).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { replayRoutes } from '../../src/api/routes/replay.ts';
import { buildApi } from '../../src/api/server.ts';
import { replayFixture } from '../../src/replay/replayer.ts';
import { ruleFilesOf } from '../../src/replay/run.ts';
import { timelineJson } from '../../src/replay/timeline.ts';
import { writeFixture } from '../../src/replay/write.ts';
import { brokerDownFixture } from './support.ts';

const EXPECTED = 'fire:\n  - { alertname: KafkaBrokerDown, labels: { broker: "1" }, earliest: 2m, latest: 2m }\nnotFire:\n  - { alertname: KafkaOfflinePartitions }\n';

async function api(options: Parameters<typeof replayRoutes>[1]): Promise<FastifyInstance> {
  return buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, plugins: [(app) => replayRoutes(app, options)] });
}

describe('POST /api/v1/replay', () => {
  let fixturesDir: string;
  let app: FastifyInstance;
  before(async () => {
    fixturesDir = await mkdtemp(join(tmpdir(), 'sluice-replay-api-'));
    const dir = join(fixturesDir, 'broker-down');
    await mkdir(dir);
    await writeFixture(dir, brokerDownFixture());
    await writeFile(join(dir, 'expected.yaml'), EXPECTED);
    app = await api({ fixturesDir });
  });
  after(async () => {
    await app.close();
    await rm(fixturesDir, { recursive: true, force: true });
  });

  test('returns the timeline sluice replay --json prints, and the check when asked', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/replay', payload: { fixture: 'broker-down', check: true } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as Record<string, unknown>;
    const expected = JSON.parse(timelineJson(await replayFixture(brokerDownFixture(), { ruleFiles: await ruleFilesOf(undefined) })));
    assert.deepEqual({ ...body, check: undefined }, { ...expected, check: undefined });
    assert.deepEqual(body.check, { ok: true, differences: [] });
    const doc = (await app.inject('/api/v1/openapi.json')).json() as { paths: Record<string, { post?: { requestBody?: unknown } }> };
    assert.ok(doc.paths['/api/v1/replay']?.post?.requestBody !== undefined, 'documented with its body schema');
  });

  test('a rule file in the request replaces the shipped one of that name: without the broker-down rule the check names it missing', async () => {
    const rules = { 'sluice-collectors.yaml': 'groups:\n  - name: sluice-collectors\n    rules:\n      - alert: SluiceSomethingElse\n        expr: vector(0) > 1\n' };
    const res = await app.inject({ method: 'POST', url: '/api/v1/replay', payload: { fixture: 'broker-down', rules, check: true } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { rules: { files: string[] }; check: { ok: boolean; differences: { kind: string; text: string }[] } };
    assert.equal(body.rules.files.length, 7);
    assert.equal(body.rules.files.filter((f) => f.endsWith('sluice-collectors.yaml') && !f.startsWith('rules/')).length, 1);
    assert.deepEqual(body.check, { ok: false, differences: [{ kind: 'missing', text: 'missing alert: KafkaBrokerDown{broker="1"} should fire between +00:02:00 and +00:02:00; it never fired' }] });
  });

  test('bounds: names only from the fixtures directory, unknown fixtures 404, the time budget, the events returned', async () => {
    const traversal = await app.inject({ method: 'POST', url: '/api/v1/replay', payload: { fixture: '../etc' } });
    assert.equal(traversal.statusCode, 400);
    assert.deepEqual(traversal.json(), { error: 'body.fixture: expected a fixture name such as broker-down, got "../etc"', code: 'SLUICE_ERR_API_REQUEST', path: 'body.fixture' });
    const unknown = await app.inject({ method: 'POST', url: '/api/v1/replay', payload: { fixture: 'nothing-here' } });
    assert.equal(unknown.statusCode, 404);
    assert.equal((unknown.json() as { error: string }).error, 'body.fixture: no fixture "nothing-here"');
    const badPolicy = await app.inject({ method: 'POST', url: '/api/v1/replay', payload: { fixture: 'broker-down', throttle: { mode: 'sometimes' } } });
    assert.equal(badPolicy.statusCode, 400);
    assert.match((badPolicy.json() as { error: string }).error, /^body\.throttle\.mode: /);

    const tight = await api({ fixturesDir, budgetMs: 0, maxEvents: 2 });
    try {
      const slow = await tight.inject({ method: 'POST', url: '/api/v1/replay', payload: { fixture: 'broker-down' } });
      assert.equal(slow.statusCode, 400);
      assert.equal((slow.json() as { error: string }).error, 'the replay took longer than 0 s; replay a shorter window (from, to)');
    } finally {
      await tight.close();
    }
    const few = await api({ fixturesDir, maxEvents: 2 });
    try {
      const res = await few.inject({ method: 'POST', url: '/api/v1/replay', payload: { fixture: 'broker-down', to: new Date(brokerDownFixture().meta.to).toISOString() } });
      const body = res.json() as { alerts: unknown[]; truncated: Record<string, number> };
      assert.equal(body.alerts.length, 2);
      assert.deepEqual(body.truncated, { alerts: 4, notifications: 2 });
    } finally {
      await few.close();
    }
  });
});
