/**
 * POST /api/v1/replay through fastify's inject: the timeline of a fixture from the fixtures
 * directory, a rule file overridden, the check against expected.yaml, the bearer token, no server
 * paths in answers, and the bounds (names, unknown fixtures, the number of events returned, and
 * the wall-clock budget of the worker thread, which never holds up /healthz).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { replayRoutes } from '../../src/api/routes/replay.ts';
import { buildApi } from '../../src/api/server.ts';
import { replayFixture } from '../../src/replay/replayer.ts';
import { ruleFilesOf, SHIPPED_RULES_DIR } from '../../src/replay/run.ts';
import { timelineJson } from '../../src/replay/timeline.ts';
import { writeFixture } from '../../src/replay/write.ts';
import { brokerDownFixture } from './support.ts';

const EXPECTED = 'fire:\n  - { alertname: KafkaBrokerDown, labels: { broker: "1" }, earliest: 2m, latest: 2m }\nnotFire:\n  - { alertname: KafkaOfflinePartitions }\n';

const TOKEN = 'replay-token';
const headers = { authorization: `Bearer ${TOKEN}` };

async function api(options: Parameters<typeof replayRoutes>[1]): Promise<FastifyInstance> {
  return buildApi({ registry: new Registry(), token: TOKEN, readiness: { checks: async () => [] }, plugins: [(app, auth) => replayRoutes(app, options, auth)] });
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
    const res = await app.inject({ method: 'POST', url: '/api/v1/replay', headers, payload: { fixture: 'broker-down', check: true } });
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
    const res = await app.inject({ method: 'POST', url: '/api/v1/replay', headers, payload: { fixture: 'broker-down', rules, check: true } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { rules: { files: string[] }; check: { ok: boolean; differences: { kind: string; text: string }[] } };
    // Files are named relative to stable places, never by the server's absolute paths.
    assert.deepEqual(body.rules.files, [...SHIPPED.filter((f) => f !== 'sluice-collectors.yaml').map((f) => `rules/${f}`), 'request/sluice-collectors.yaml']);
    assertNoServerPaths(res.body);
    assert.deepEqual(body.check, { ok: false, differences: [{ kind: 'missing', text: 'missing alert: KafkaBrokerDown{broker="1"} should fire between +00:02:00 and +00:02:00; it never fired' }] });
  });

  test('bounds: names only from the fixtures directory, unknown fixtures 404, the events returned', async () => {
    const traversal = await app.inject({ method: 'POST', url: '/api/v1/replay', headers, payload: { fixture: '../etc' } });
    assert.equal(traversal.statusCode, 400);
    assert.deepEqual(traversal.json(), { error: 'body.fixture: expected a fixture name such as broker-down, got "../etc"', code: 'SLUICE_ERR_API_REQUEST', path: 'body.fixture' });
    const unknown = await app.inject({ method: 'POST', url: '/api/v1/replay', headers, payload: { fixture: 'nothing-here' } });
    assert.equal(unknown.statusCode, 404);
    assert.equal((unknown.json() as { error: string }).error, 'body.fixture: no fixture "nothing-here"');
    const badPolicy = await app.inject({ method: 'POST', url: '/api/v1/replay', headers, payload: { fixture: 'broker-down', throttle: { mode: 'sometimes' } } });
    assert.equal(badPolicy.statusCode, 400);
    assert.match((badPolicy.json() as { error: string }).error, /^body\.throttle\.mode: /);

    const few = await api({ fixturesDir, maxEvents: 2 });
    try {
      const res = await few.inject({ method: 'POST', url: '/api/v1/replay', headers, payload: { fixture: 'broker-down', to: new Date(brokerDownFixture().meta.to).toISOString() } });
      const body = res.json() as { alerts: unknown[]; truncated: Record<string, number> };
      assert.equal(body.alerts.length, 2);
      assert.deepEqual(body.truncated, { alerts: 4, notifications: 2 });
    } finally {
      await few.close();
    }
  });

  test('replay needs the bearer token: 401 without or with a wrong one, 403 when no api.token is configured; the OpenAPI entry says so', async () => {
    const none = await app.inject({ method: 'POST', url: '/api/v1/replay', payload: { fixture: 'broker-down' } });
    assert.equal(none.statusCode, 401);
    assert.equal((none.json() as { code: string }).code, 'SLUICE_ERR_API_UNAUTHORIZED');
    const wrong = await app.inject({ method: 'POST', url: '/api/v1/replay', headers: { authorization: 'Bearer nope' }, payload: { fixture: 'broker-down' } });
    assert.equal(wrong.statusCode, 401);
    const closed = await buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, plugins: [(scope, auth) => replayRoutes(scope, { fixturesDir }, auth)] });
    try {
      const refused = await closed.inject({ method: 'POST', url: '/api/v1/replay', headers, payload: { fixture: 'broker-down' } });
      assert.equal(refused.statusCode, 403);
      assert.deepEqual(refused.json(), { error: 'mutating endpoints are disabled: no api.token is configured', code: 'SLUICE_ERR_API_UNAUTHORIZED' });
    } finally {
      await closed.close();
    }
    const doc = (await app.inject('/api/v1/openapi.json')).json() as { paths: Record<string, { post?: { security?: unknown } }> };
    assert.deepEqual(doc.paths['/api/v1/replay']?.post?.security, [{ bearer: [] }]);
  });

  test('errors name request rule files by their public name, never the server path', async () => {
    const rules = { 'broken.yaml': 'groups:\n  - name: b\n    rules:\n      - record: x\n        expr: foo{a=~"(a)\\\\1"}\n' };
    const res = await app.inject({ method: 'POST', url: '/api/v1/replay', headers, payload: { fixture: 'broker-down', rules } });
    assert.equal(res.statusCode, 400, res.body);
    const body = res.json() as { error: string; code: string; path: string };
    assert.equal(body.code, 'SLUICE_ERR_RULES_FILE');
    assert.equal(body.path, 'request/broken.yaml');
    assert.match(body.error, /^request\/broken\.yaml:5:19: groups\[0\]\.rules\[0\]\.expr: 1:5: .*error parsing regexp: invalid escape sequence: `\\1` \(backreferences are not supported/);
    assertNoServerPaths(res.body);
  });

  test('the replay runs in a worker thread: /healthz answers while it runs, and past its budget it is cut with the timeout error', async () => {
    // One evaluation of this rule keeps a thread busy for seconds without yielding.
    const rules = { 'slow.yaml': 'groups:\n  - name: slow\n    rules:\n      - record: slow_count\n        expr: count_over_time(vector(1)[7d:1s])\n' };
    const budgeted = await api({ fixturesDir, budgetMs: 4000 });
    try {
      let done = false;
      const replay = budgeted.inject({ method: 'POST', url: '/api/v1/replay', headers, payload: { fixture: 'broker-down', rules } }).finally(() => { done = true; });
      let answered = 0;
      while (!done) {
        const health = await budgeted.inject('/healthz');
        assert.equal(health.statusCode, 200);
        if (!done) answered++;
        await new Promise((r) => setTimeout(r, 50));
      }
      const res = await replay;
      assert.equal(res.statusCode, 503, res.body);
      assert.deepEqual(res.json(), { error: 'the replay took longer than 4 s and was stopped; replay a shorter window (from, to)', code: 'SLUICE_ERR_REPLAY_TIMEOUT', path: 'body' });
      // About 4 s of 50 ms pauses; a replay on this thread would have held every one of them.
      assert.ok(answered >= 20, `/healthz answered ${answered} times during the replay`);
    } finally {
      await budgeted.close();
    }
  });
});

const SHIPPED = readdirSync(SHIPPED_RULES_DIR).filter((f) => f.endsWith('.yaml')).sort();

/** Fails when `text` holds an absolute path of this machine: the checkout, the working directory or the temporary directory. */
function assertNoServerPaths(text: string): void {
  for (const dir of [SHIPPED_RULES_DIR, dirname(SHIPPED_RULES_DIR), process.cwd(), tmpdir()]) assert.ok(!text.includes(dir), `the answer shows ${dir}: ${text.slice(0, 2000)}`);
}
