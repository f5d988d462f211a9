/**
 * The OpenAPI document of the service as `buildApp` wires it (rules, notifications, throttle,
 * replay): every route that answers 401 without a token is marked with `security`, and no route
 * marked so lets a request through without one. Walks the document and asks each route, so a
 * route registered without the auth hook, or documented wrongly, fails here. Also: the rules API
 * names rule files without the server's absolute paths.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildApp, type App } from '../../src/app.ts';
import { parseSluiceConfig } from '../../src/app-config.ts';
import { SHIPPED_RULES_DIR } from '../../src/replay/run.ts';
import { DryRunActuator } from '../../src/throttle/actuator.ts';

const TOKEN = 'openapi-walk-token';
let app: App;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-openapi-'));
  await writeFile(join(dir, 'extra.yaml'), 'groups:\n  - name: extra\n    rules:\n      - record: one\n        expr: vector(1)\n');
  const config = parseSluiceConfig({
    store: {},
    clusters: [{ name: 'c1', bootstrap: ['127.0.0.1:1'] }],
    api: { port: 0, token: TOKEN },
    // The shipped directory as the config schema's default names it, with a trailing slash.
    rules: { files: [`${SHIPPED_RULES_DIR}/`, join(dir, 'extra.yaml')] },
    notify: { route: { receiver: 'hook' }, receivers: [{ name: 'hook', webhook_configs: [{ url: 'http://127.0.0.1:1/' }] }] },
    throttle: { mode: 'recommend' },
  });
  app = buildApp(config, { collectors: () => [], actuator: () => new DryRunActuator(), jitter: 0 });
  await app.start();
});
after(async () => {
  await app.stop();
  await rm(dir, { recursive: true, force: true });
});

type Operation = { security?: unknown };

test('every route behind the token is marked with security in the OpenAPI document, and no open one is', async () => {
  const doc = await (await fetch(`${app.apiUrl}/api/v1/openapi.json`)).json() as { paths: Record<string, Record<string, Operation>> };
  const protectedRoutes: string[] = [];
  const mismatches: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const url = path.replace(/\{[^}]+\}/g, 'x');
      const res = await fetch(`${app.apiUrl}${url}`, { method: method.toUpperCase(), ...(method === 'get' || method === 'delete' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }) });
      await res.arrayBuffer();
      const refused = res.status === 401;
      const marked = operation.security !== undefined;
      if (refused) protectedRoutes.push(`${method.toUpperCase()} ${path}`);
      if (refused !== marked) mismatches.push(`${method.toUpperCase()} ${path}: answers ${res.status} without a token but is ${marked ? '' : 'not '}marked with security`);
      if (marked) assert.deepEqual(operation.security, [{ bearer: [] }], `${method} ${path}`);
    }
  }
  assert.deepEqual(mismatches, []);
  assert.deepEqual(protectedRoutes.sort(), [
    'DELETE /api/v1/silences/{id}',
    'POST /api/v1/balance/cancel', 'POST /api/v1/balance/execute', 'POST /api/v1/balance/pause', 'POST /api/v1/balance/plan', 'POST /api/v1/balance/resume', 'POST /api/v1/balance/throttle',
    'POST /api/v1/replay', 'POST /api/v1/silences', 'POST /api/v1/throttle/apply',
  ]);
});

test('the rules API names rule files relative to the configured entry they came from', async () => {
  const res = await fetch(`${app.apiUrl}/api/v1/sluice/rules`);
  const text = await res.text();
  const files = [...new Set((JSON.parse(text) as { groups: { file: string }[] }).groups.map((g) => g.file))].sort();
  assert.deepEqual(files, ['extra.yaml', 'rules/host.yaml', 'rules/kafka-consumer-lag.yaml', 'rules/kafka-governance.yaml', 'rules/kafka-leader-health.yaml', 'rules/kafka-throttling.yaml', 'rules/kafka-topic-traffic.yaml', 'rules/sluice-collectors.yaml']);
  for (const server of [SHIPPED_RULES_DIR, dir, process.cwd()]) assert.ok(!text.includes(server), `the answer shows ${server}`);
});
