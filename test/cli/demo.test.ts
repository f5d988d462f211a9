import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import type { CliContext } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/main.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';

/** A context running the real cluster, with captured output and a shutdown the test triggers. */
function demoContext(onLine: (line: string) => void) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const clusters: RunningCluster[] = [];
  let requestShutdown: (signal: string) => void = () => {};
  const ctx: CliContext = {
    stdout: (text) => {
      stdout.push(text);
      for (const line of text.split('\n')) if (line !== '') onLine(line);
    },
    stderr: (text) => void stderr.push(text),
    logger: pino({ level: 'silent' }),
    startCluster: async (options) => {
      const running = await startCluster(options);
      clusters.push(running);
      return running;
    },
    shutdownRequested: () => new Promise((resolve) => (requestShutdown = resolve)),
  };
  return { ctx, stdout, stderr, clusters, shutdown: (signal: string) => requestShutdown(signal) };
}

describe('sluice demo (in-process)', () => {
  test('runs cluster, workload, store and collectors; stores samples; stops on SIGINT with exit 0', async () => {
    let seen: (line: string) => void = () => {};
    const stored = new Promise<string>((resolve) => {
      seen = (line) => {
        const m = /^sluice demo: \d+s: (\d+) samples stored/.exec(line);
        if (m !== null && Number(m[1]) > 0) resolve(line);
      };
    });
    const fake = demoContext((line) => seen(line));
    const exit = runCli(
      ['demo', '--port', '0', '--metrics-port', '0', '--control-port', '0', '--api-port', '0', '--status-interval', '1', '--collect-interval', '1'],
      () => fake.ctx,
    );
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no samples stored: ${fake.stdout.join('')}${fake.stderr.join('')}`)), 30_000).unref());
    const line = await Promise.race([stored, timeout, exit.then((code) => Promise.reject(new Error(`exited ${code}: ${fake.stderr.join('')}`)))]);
    assert.match(line, /, 3\/3 brokers up$/);
    const api = /  api:        (http:\/\/127\.0\.0\.1:\d+)  \(health \1\/healthz, metrics \1\/metrics, OpenAPI \1\/api\/v1\/openapi\.json\)\n/.exec(fake.stdout.join(''));
    assert.ok(api, fake.stdout.join(''));
    assert.equal((await fetch(`${api[1]}/readyz`)).status, 200);
    fake.shutdown('SIGINT');
    assert.equal(await exit, 0);
    assert.deepEqual(fake.stderr, []);
    const out = fake.stdout.join('');
    const running = fake.clusters[0]!;
    const nodes = running.cluster.nodes.filter((n) => n !== undefined);
    assert.equal(nodes.length, 3);
    assert.ok(out.includes(`  bootstrap:  ${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}\n`), out);
    for (const n of nodes) assert.ok(out.includes(`  broker ${n.nodeId}:   127.0.0.1:${n.port}  metrics http://127.0.0.1:${n.metricsPort}/metrics\n`), out);
    assert.match(out, /  control:    http:\/\/127\.0\.0\.1:\d+\n/);
    assert.match(out, /  database:   (PGlite \(in memory; data is lost at exit\)|PostgreSQL at .*)\n/);
    assert.match(out, /  workload:   calm-day \(.*calm-day\.yaml\)\n/);
    assert.ok(out.endsWith('sluice demo: stopped\n'), out);
    // Everything is stopped: no broker is alive afterwards.
    assert.equal(running.cluster.liveNodes().length, 0);
  });

  test('bad flags exit 2 and start nothing', async () => {
    const fake = demoContext(() => {});
    assert.equal(await runCli(['demo', '--port', '9092', '--metrics-port', '9093'], () => fake.ctx), 2);
    assert.deepEqual(fake.clusters, []);
    assert.deepEqual(fake.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --metrics-port: ports 9093 to 9095 overlap --port (9092 to 9094)\n']);
  });
});
