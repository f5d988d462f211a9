import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { CliContext } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/main.ts';
import { DEFAULT_API_PORT, loadSluiceConfig, parseSluiceConfig, SHIPPED_RULES_DIR, withEnv } from '../../src/app-config.ts';
import { startCluster } from '../../src/kafka/broker/index.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { DATABASE_URL, uniqueSchema } from '../store/support.ts';

const EXAMPLE = fileURLToPath(new URL('../../sluice.example.yaml', import.meta.url));

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-start-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function context(onLine: (line: string) => void = () => {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let requestShutdown: (signal: string) => void = () => {};
  const ctx: CliContext = {
    stdout: (text) => {
      stdout.push(text);
      onLine(text);
    },
    stderr: (text) => void stderr.push(text),
    logger: pino({ level: 'silent' }),
    startCluster: () => Promise.reject(new Error('not used')),
    shutdownRequested: () => new Promise((resolve) => (requestShutdown = resolve)),
  };
  return { ctx, stdout, stderr, shutdown: (signal: string) => requestShutdown(signal) };
}

describe('sluice.yaml', () => {
  test('sluice.example.yaml validates, with every section present', async () => {
    const config = await loadSluiceConfig(EXAMPLE, {});
    assert.equal(config.api.port, DEFAULT_API_PORT);
    assert.equal(config.log.level, 'info');
    assert.equal(config.store.dataDir, 'memory');
    assert.equal(config.clusters[0]?.name, 'local');
    assert.deepEqual(config.clusters[0]?.metrics[2], 'http://127.0.0.1:9406/metrics');
    assert.ok(Object.isFrozen(config.clusters[0]));
  });

  test('defaults: api.port 8080, query limits as Prometheus\'s, log.level info, PGlite store', () => {
    const config = parseSluiceConfig({ clusters: [{ name: 'a', bootstrap: ['k:9092'] }] });
    assert.deepEqual({ api: config.api, log: config.log, store: config.store }, { api: { port: 8080, host: '127.0.0.1', queryTimeout: 120, queryMaxSamples: 50_000_000 }, log: { level: 'info' }, store: {} });
    assert.equal(config.clusters[0]?.intervals.cluster, 30);
  });

  test('DATABASE_URL overrides store.url; empty is ignored', async () => {
    const path = await file('env.yaml', 'store: { url: postgres://file/db }\nclusters: [{ name: a, bootstrap: ["k:9092"] }]\n');
    assert.equal((await loadSluiceConfig(path, { DATABASE_URL: 'postgres://env/db' })).store.url, 'postgres://env/db');
    assert.equal((await loadSluiceConfig(path, { DATABASE_URL: '' })).store.url, 'postgres://file/db');
    assert.equal(withEnv(parseSluiceConfig({ clusters: [{ name: 'a', bootstrap: ['k:9092'] }] }), {}).store.url, undefined);
  });

  test('an unknown key is named with file:line:col and path', async () => {
    const path = await file('unknown.yaml', ['clusters:', '  - name: a', '    bootstrap: ["k:9092"]', '    intervalz: { host: 5 }', 'store:', '  urll: x', ''].join('\n'));
    await assert.rejects(loadSluiceConfig(path, {}), {
      code: 'SLUICE_ERR_CONFIG_INVALID',
      message: [`${path}:4:5: clusters[0].intervalz: unknown key`, `${path}:6:3: store.urll: unknown key`].join('\n'),
    });
  });

  test('a wrong type is named with file:line:col, path and the value found', async () => {
    const path = await file('type.yaml', ['clusters:', '  - name: a', '    bootstrap: ["k:9092"]', '    intervals: { cluster: often }', 'api:', '  port: 70000', 'log: { level: loud }', ''].join('\n'));
    await assert.rejects(loadSluiceConfig(path, {}), {
      code: 'SLUICE_ERR_CONFIG_INVALID',
      message: [
        `${path}:4:27: clusters[0].intervals.cluster: expected a number > 0 and <= 86400, got "often"`,
        `${path}:6:9: api.port: expected an integer from 0 to 65535, got 70000`,
        `${path}:7:15: log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"`,
      ].join('\n'),
    });
  });

  test('missing clusters and a duplicate cluster name', () => {
    assert.throws(() => parseSluiceConfig({}), { message: 'clusters: missing, expected a list' });
    assert.throws(() => parseSluiceConfig({ clusters: [{ name: 'a', bootstrap: ['k:1'] }, { name: 'a', bootstrap: ['k:2'] }] }), {
      message: 'clusters[1].name: duplicate cluster name "a" (also clusters[0])',
    });
  });
});

describe('sluice start (in-process)', () => {
  test('collects into the store until SIGTERM, then exits 0', async () => {
    const running = await startCluster({ port: 0, brokers: 3, metricsPort: 0, logger: silentLogger() });
    try {
      const nodes = running.cluster.nodes.filter((n) => n !== undefined);
      const schema = DATABASE_URL === undefined ? '' : `\n  schema: ${uniqueSchema()}`;
      const path = await file(
        'sluice.yaml',
        [
          `store:\n  dataDir: memory${schema}`,
          'clusters:',
          '  - name: local',
          `    bootstrap: [${nodes.map((n) => `"127.0.0.1:${n.port}"`).join(', ')}]`,
          `    metrics: [${nodes.map((n) => `"http://127.0.0.1:${n.metricsPort}/metrics"`).join(', ')}]`,
          'log: { level: silent }',
          '',
        ].join('\n'),
      );
      let announce: () => void = () => {};
      const announced = new Promise<void>((resolve) => (announce = resolve));
      const fake = context((text) => {
        if (text.includes('Ctrl-C stops')) announce();
      });
      const exit = runCli(['start', '--config', path, '--api-port', '0'], () => fake.ctx);
      await Promise.race([announced, exit.then(() => assert.fail(`exited early: ${fake.stderr.join('')}`))]);
      // The API answers while the service runs: health, readiness (database, collectors, rules, clusters), metrics.
      const apiUrl = /api on (\S+) /.exec(fake.stdout[1] ?? '')![1]!;
      assert.deepEqual(await (await fetch(`${apiUrl}/healthz`)).json(), { status: 'ok' });
      const ready = await fetch(`${apiUrl}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, [{ name: 'database', ok: true }, { name: 'writes', ok: true }, { name: 'collectors', ok: true }, { name: 'rules', ok: true }, { name: 'clusters', ok: true }]);
      // The shipped rule packs are loaded by default.
      const rules = (await (await fetch(`${apiUrl}/api/v1/sluice/rules`)).json()) as { groups: { file: string }[] };
      assert.deepEqual([...new Set(rules.groups.map((g) => basename(g.file)))].sort(), readdirSync(SHIPPED_RULES_DIR).filter((f) => f.endsWith('.yaml')).sort());
      assert.match(await (await fetch(`${apiUrl}/metrics`)).text(), /^# TYPE sluice_collector_duration_seconds histogram$/m);
      fake.shutdown('SIGTERM');
      assert.equal(await exit, 0);
      const where = DATABASE_URL === undefined ? 'PGlite (in memory; data is lost at exit)' : 'PostgreSQL at ';
      assert.ok(fake.stdout[0]?.startsWith(`sluice start: collecting from local (${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}) into ${where}`), fake.stdout[0]);
      const api = /^sluice start: api on (http:\/\/127\.0\.0\.1:\d+) \(health \1\/healthz, metrics \1\/metrics\); Ctrl-C stops\n$/.exec(fake.stdout[1] ?? '');
      assert.ok(api, fake.stdout[1]);
      assert.equal(fake.stdout[2], 'sluice start: stopped\n');
      assert.deepEqual(fake.stderr, []);
    } finally {
      await running.stop();
    }
  });

  test('a bad config file exits 2 with the file:line:col error', async () => {
    const path = await file('bad.yaml', 'clusters: []\nextra: 1\n');
    const fake = context();
    assert.equal(await runCli(['start', '--config', path], () => fake.ctx), 2);
    assert.deepEqual(fake.stderr, [
      `sluice: SLUICE_ERR_CONFIG_INVALID: ${path}:1:11: clusters: expected a non-empty list\n${path}:2:1: extra: unknown key\n`,
    ]);
  });

  test('an unreachable bootstrap exits 2 naming clusters[i].bootstrap', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    const path = await file('unreachable.yaml', `clusters:\n  - name: gone\n    bootstrap: ["127.0.0.1:${port}"]\n    timeouts: { connectMs: 500, requestMs: 1000 }\n`);
    const fake = context();
    assert.equal(await runCli(['start', '--config', path], () => fake.ctx), 2);
    assert.match(fake.stderr[0] ?? '', new RegExp(`^sluice: SLUICE_ERR_CONFIG_INVALID: clusters\\[0\\]\\.bootstrap: no bootstrap server of cluster "gone" answered \\(127\\.0\\.0\\.1:${port}\\): `));
  });

  test('a missing or broken rule file exits 2 naming rules.files[i], before the store or a cluster is touched', async () => {
    // A listener standing in for the cluster counts connections: there must be none.
    let connections = 0;
    const kafka = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => kafka.listen(0, '127.0.0.1', resolve));
    const port = (kafka.address() as AddressInfo).port;
    try {
      const broken = await file('broken-rules.yaml', 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[5m]\n');
      const dataDir = join(dir, 'never-opened');
      const path = await file(
        'rules-missing.yaml',
        `store: { dataDir: ${dataDir} }\nrules:\n  files: [missing-rules.yaml, broken-rules.yaml]\nclusters:\n  - name: c\n    bootstrap: ["127.0.0.1:${port}"]\n`,
      );
      const fake = context();
      assert.equal(await runCli(['start', '--config', path], () => fake.ctx), 2);
      const lines = (fake.stderr[0] ?? '').split('\n');
      assert.equal(lines[0], `sluice: SLUICE_ERR_RULES_FILE: rules.files[0]: ${join(dir, 'missing-rules.yaml')}: rule file not found`);
      assert.match(lines[1] ?? '', new RegExp(`^rules\\.files\\[1\\]: ${broken.replaceAll('.', '\\.')}:5:\\d+: groups\\[0\\]\\.rules\\[0\\]\\.expr: `));
      assert.equal(connections, 0);
      assert.equal(readdirSync(dir).includes('never-opened'), false);
    } finally {
      await new Promise<void>((resolve) => kafka.close(() => resolve()));
    }
  });

  test('--config is required', async () => {
    const fake = context();
    assert.equal(await runCli(['start'], () => fake.ctx), 2);
    assert.deepEqual(fake.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --config: missing, expected a config file, e.g. sluice.yaml\n']);
  });
});
