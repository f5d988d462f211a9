/**
 * Tracing end to end: `sluice start` as its own process, with the standard OTEL_* variables
 * pointing at an OTLP/HTTP receiver run here, exports a span for each collection cycle, rule
 * group evaluation, notification send and throttle round (with their attributes), and the
 * instrumented HTTP server (and PostgreSQL client, when the store is PostgreSQL). Off when no
 * OTEL_* variable asks for it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { tracingRequested } from '../../src/telemetry/tracing.ts';
import { waitFor } from '../notify/support.ts';
import { DATABASE_URL, uniqueSchema } from '../store/support.ts';

const BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

describe('tracingRequested', () => {
  test('on with an OTLP endpoint or a traces exporter; off without, or when disabled', () => {
    assert.equal(tracingRequested({}), false);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), true);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'console' }), true);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }), false);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }), false);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }), false);
  });
});

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
interface ReceivedSpan { scope: string; name: string; attributes: Record<string, string | number | boolean | undefined>; service: string | undefined }

/** An OTLP/HTTP receiver (JSON encoding) keeping every span it is sent. */
function otlpReceiver(): Promise<{ server: Server; url: string; spans: ReceivedSpan[] }> {
  const spans: ReceivedSpan[] = [];
  const value = (v: OtlpValue) => v.stringValue ?? (v.intValue === undefined ? undefined : Number(v.intValue)) ?? v.boolValue ?? v.doubleValue;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { scope: { name: string }; spans: { name: string; attributes?: { key: string; value: OtlpValue }[] }[] }[] }[] };
        for (const rs of body.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) spans.push({ scope: ss.scope.name, name: s.name, service, attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, value(a.value)])) });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans })));
}

describe('sluice start with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let cluster: RunningCluster;
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let webhook: Server;
  let dir = '';
  let child: ChildProcess | undefined;

  before(async () => {
    cluster = await startCluster({ port: 0, brokers: 1, metricsPort: 0, logger: silentLogger() });
    receiver = await otlpReceiver();
    webhook = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end()); });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    dir = await mkdtemp(join(tmpdir(), 'sluice-tracing-'));
  });

  after(async () => {
    child?.kill('SIGKILL');
    await cluster?.stop();
    receiver?.server.close();
    webhook?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('exports spans for collection, rule evaluation, notification, throttle rounds, HTTP and PostgreSQL', async () => {
    const node = cluster.cluster.nodes[0]!;
    const rules = join(dir, 'always.yaml');
    await writeFile(rules, 'groups:\n  - name: tracing\n    interval: 1s\n    rules:\n      - alert: AlwaysFiring\n        expr: vector(1)\n        labels: { severity: info }\n');
    const config = join(dir, 'sluice.yaml');
    await writeFile(config, JSON.stringify({
      store: DATABASE_URL === undefined ? { dataDir: 'memory' } : { url: DATABASE_URL, schema: uniqueSchema() },
      clusters: [{
        name: 'traced', bootstrap: [`127.0.0.1:${node.port}`], metrics: [{ url: `http://127.0.0.1:${node.metricsPort}/metrics`, broker: node.nodeId }],
        intervals: { host: 60, cluster: 1, topics: 1, clients: 1 },
      }],
      rules: { files: [rules], interval: 1 },
      notify: {
        route: { receiver: 'hook', group_wait: '0s', group_interval: '1s', repeat_interval: '1h' },
        receivers: [{ name: 'hook', webhook_configs: [{ url: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook` }] }],
      },
      throttle: { mode: 'recommend', interval: 1 },
    }));
    let stdout = '';
    child = spawn(process.execPath, [BIN, 'start', '--config', config, '--api-port', '0'], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_SERVICE_NAME: 'sluice-test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));

    await waitFor(async () => /api on (http:\/\/\S+) /.test(stdout), `the service to start (stderr: ${stderr})`, 60_000);
    const api = /api on (http:\/\/\S+) /.exec(stdout)![1]!;
    assert.equal((await fetch(`${api}/healthz`)).status, 200);

    const named = (name: string) => receiver.spans.filter((s) => s.name === name);
    await waitFor(async () => ['sluice.collect.cycle', 'sluice.rules.evaluate', 'sluice.notify.send', 'sluice.throttle.round'].every((n) => named(n).length > 0)
      && receiver.spans.some((s) => s.scope === '@opentelemetry/instrumentation-http' && s.attributes['url.path'] === '/healthz' && s.attributes['http.response.status_code'] === 200)
      && (DATABASE_URL === undefined || receiver.spans.some((s) => s.scope === '@opentelemetry/instrumentation-pg')), `every kind of span (got ${[...new Set(receiver.spans.map((s) => s.name))].join(', ')})`, 60_000);

    assert.ok(receiver.spans.every((s) => s.service === 'sluice-test'));
    const collectors = new Set(named('sluice.collect.cycle').map((s) => s.attributes['sluice.collector']));
    assert.ok(collectors.has('cluster') && collectors.has('clients'), [...collectors].join(','));
    assert.ok(named('sluice.collect.cycle').every((s) => s.attributes['sluice.cluster'] === 'traced' && typeof s.attributes['sluice.samples'] === 'number'));
    assert.ok(named('sluice.rules.evaluate').some((s) => String(s.attributes['sluice.rule_group']).endsWith(';tracing') && s.attributes['sluice.rules'] === 1 && s.attributes['sluice.rule_failures'] === 0));
    assert.ok(named('sluice.notify.send').some((s) => s.attributes['sluice.receiver'] === 'hook' && s.attributes['sluice.integration'] === 'webhook' && s.attributes['sluice.outcome'] === 'sent'));
    assert.ok(named('sluice.throttle.round').every((s) => s.attributes['sluice.cluster'] === 'traced' && s.attributes['sluice.throttle.mode'] === 'recommend'));

    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    child = undefined;
  });
});
