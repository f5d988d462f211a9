/**
 * The API shell: health and readiness, the service's metrics in Prometheus text (checked by the
 * real promtool when installed), the OpenAPI document, bearer-token rules (disabled without a
 * token, 401 with a wrong one), path-precise 400s and JSON 404s.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import * as z from 'zod';
import { Counter, Registry } from 'prom-client';
import { buildApi, listenApi } from '../../src/api/server.ts';
import { parseInput } from '../../src/api/input.ts';
import type { ReadinessCheck } from '../../src/api/types.ts';

function readiness(checks: ReadinessCheck[]) {
  return { checks: async () => checks };
}

const echo = (app: import('fastify').FastifyInstance, auth: import('../../src/api/server.ts').AuthHook) => {
  const body = z.strictObject({ n: z.int().min(1), items: z.array(z.strictObject({ name: z.string() })).default([]) });
  app.post('/api/v1/echo', { preHandler: auth }, async (request) => parseInput(body, request.body, 'body'));
};

test('healthz, readyz (200 when every check passes, 200 degraded when only checks it serves through fail, 503 naming the failing one otherwise) and metrics', async () => {
  const registry = new Registry();
  new Counter({ name: 'sluice_test_requests_total', help: 'test counter', registers: [registry] }).inc(3);
  const checks: ReadinessCheck[] = [{ name: 'database', ok: true }, { name: 'collectors', ok: true }];
  const api = await buildApi({ registry, readiness: readiness(checks) });
  try {
    assert.deepEqual((await api.inject('/healthz')).json(), { status: 'ok' });
    const ready = await api.inject('/readyz');
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', checks });
    checks[1] = { name: 'clusters', ok: false, detail: 'cluster a unreachable', degraded: true };
    const degraded = await api.inject('/readyz');
    assert.equal(degraded.statusCode, 200);
    assert.deepEqual(degraded.json(), { status: 'degraded', checks });
    checks[0] = { name: 'database', ok: false, detail: 'connection refused' };
    const notReady = await api.inject('/readyz');
    assert.equal(notReady.statusCode, 503);
    assert.deepEqual(notReady.json(), { status: 'not ready', checks });
    const metrics = await api.inject('/metrics');
    assert.match(metrics.headers['content-type'] as string, /^text\/plain/);
    assert.match(metrics.body, /^sluice_test_requests_total 3$/m);
    if (existsSync('/usr/bin/promtool')) execFileSync('/usr/bin/promtool', ['check', 'metrics'], { input: metrics.body });
  } finally {
    await api.close();
  }
});

test('mutating endpoints: 403 without a configured token, 401 with a wrong one, through with the right one; 400 names the field', async () => {
  const registry = new Registry();
  const closed = await buildApi({ registry, readiness: readiness([]), plugins: [echo] });
  const open = await buildApi({ registry, readiness: readiness([]), token: 's3cret', plugins: [echo] });
  try {
    const refused = await closed.inject({ method: 'POST', url: '/api/v1/echo', payload: { n: 1 }, headers: { authorization: 'Bearer s3cret' } });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error, 'mutating endpoints are disabled: no api.token is configured');
    const wrong = await open.inject({ method: 'POST', url: '/api/v1/echo', payload: { n: 1 }, headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.statusCode, 401);
    const none = await open.inject({ method: 'POST', url: '/api/v1/echo', payload: { n: 1 } });
    assert.equal(none.statusCode, 401);
    const ok = await open.inject({ method: 'POST', url: '/api/v1/echo', payload: { n: 2 }, headers: { authorization: 'Bearer s3cret' } });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { n: 2, items: [] });
    const bad = await open.inject({ method: 'POST', url: '/api/v1/echo', payload: { n: 0, items: [{ name: 3 }] }, headers: { authorization: 'Bearer s3cret' } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'SLUICE_ERR_API_REQUEST');
    assert.equal(bad.json().error, 'body.n: expected a positive integer, got 0\nbody.items[0].name: expected a string, got 3');
    const missing = await open.inject('/api/v1/nothing-here');
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { error: 'no route GET /api/v1/nothing-here', code: 'SLUICE_ERR_API_NOT_FOUND' });
  } finally {
    await closed.close();
    await open.close();
  }
});

test('the OpenAPI document lists the served routes; the API listens on a free port', async () => {
  const api = await buildApi({ registry: new Registry(), readiness: readiness([]), plugins: [echo] });
  try {
    const url = await listenApi(api, 0);
    const doc = await (await fetch(`${url}/api/v1/openapi.json`)).json() as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/api/v1/echo', '/healthz', '/metrics', '/readyz']);
  } finally {
    await api.close();
  }
});
