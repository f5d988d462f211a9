import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { parseBrokerFlags } from '../../src/cli/commands/broker.ts';
import { DEMO_NOTICE, parseDemoFlags } from '../../src/cli/commands/demo.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/main.ts';
import type { BrokerOptions, RunningBroker } from '../../src/kafka/broker/options.ts';

/** A context whose broker is a fake, whose output is captured and whose shutdown the test triggers. */
function fakeContext(port = 40_123) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const started: BrokerOptions[] = [];
  let stops = 0;
  let requestShutdown: (signal: string) => void = () => {};
  let announce: () => void = () => {};
  const listening = new Promise<void>((resolve) => (announce = resolve));
  const ctx: CliContext = {
    stdout: (text) => {
      stdout.push(text);
      if (text.startsWith('sluice broker listening')) announce();
    },
    stderr: (text) => void stderr.push(text),
    logger: pino({ level: 'info', base: null, timestamp: false }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
    startBroker: async (options): Promise<RunningBroker> => {
      started.push(options);
      const host = options.host ?? '127.0.0.1';
      return { host, port, nodeId: options.nodeId ?? 0, bootstrap: `${host}:${port}`, stop: async () => void stops++ };
    },
    shutdownRequested: () => new Promise((resolve) => (requestShutdown = resolve)),
  };
  return { ctx, stdout, stderr, logs, started, listening, stops: () => stops, shutdown: (signal: string) => requestShutdown(signal) };
}

describe('parseBrokerFlags', () => {
  test('applies the defaults', () => {
    assert.deepEqual(parseBrokerFlags({}), {
      host: '127.0.0.1',
      port: 9092,
      nodeId: 0,
      maxFrameBytes: 104_857_600,
      autoCreateTopics: false,
    });
  });

  test('turns every flag into broker options', () => {
    const options = parseBrokerFlags({
      port: '0',
      host: '0.0.0.0',
      topics: 'orders:4,payments:2',
      autoCreate: true,
      saslUsers: 'alice:secret,bob:pw',
      maxFrameBytes: '1048576',
      nodeId: '3',
    });
    assert.deepEqual(options, {
      host: '0.0.0.0',
      port: 0,
      nodeId: 3,
      maxFrameBytes: 1_048_576,
      autoCreateTopics: true,
      topics: [
        { name: 'orders', partitions: 4 },
        { name: 'payments', partitions: 2 },
      ],
      saslUsers: { alice: 'secret', bob: 'pw' },
    });
  });

  test('reports every bad flag at once, by flag name', () => {
    assert.throws(
      () =>
        parseBrokerFlags({
          port: '65536',
          host: ' ',
          topics: 'orders:x',
          saslUsers: 'alice',
          maxFrameBytes: '0',
          nodeId: '1e3',
        }),
      {
        code: 'SLUICE_ERR_CLI_ARGUMENT',
        message: [
          '--port: expected an integer from 0 to 65535, got "65536"',
          '--host: expected a host name or address, got ""',
          '--topics: item 1 "orders:x": expected name:partitions with a positive integer partition count, e.g. orders:4',
          '--sasl-users: item 1: expected user:password (no ":" found)',
          '--max-frame-bytes: expected an integer from 1 to 2147483647, got "0"',
          '--node-id: expected an integer from 0 to 2147483647, got "1e3"',
        ].join('\n'),
      },
    );
  });
});

describe('parseDemoFlags', () => {
  test('runs the demo topics with auto-create on', () => {
    assert.deepEqual(parseDemoFlags({ port: '0' }), {
      host: '127.0.0.1',
      port: 0,
      nodeId: 0,
      maxFrameBytes: 104_857_600,
      topics: [
        { name: 'orders', partitions: 4 },
        { name: 'payments', partitions: 2 },
        { name: 'clicks', partitions: 8 },
      ],
      autoCreateTopics: true,
    });
    assert.equal(parseDemoFlags({}).port, 9092);
  });
});

describe('sluice broker (in-process)', () => {
  test('starts, announces the listener, stops on shutdown and exits 0', async () => {
    const fake = fakeContext();
    const exit = runCli(['broker', '--port', '0', '--topics', 'orders:4', '--auto-create', '--sasl-users', 'alice:secret'], () => fake.ctx);
    await fake.listening;
    assert.equal(fake.stops(), 0);
    fake.shutdown('SIGTERM');
    assert.equal(await exit, 0);
    assert.equal(fake.stops(), 1);
    assert.deepEqual(fake.stdout, ['sluice broker listening on 127.0.0.1:40123\n']);
    assert.deepEqual(fake.stderr, []);
    const { logger, ...options } = fake.started[0] ?? {};
    assert.ok(logger !== undefined);
    assert.deepEqual(options, {
      host: '127.0.0.1',
      port: 0,
      nodeId: 0,
      maxFrameBytes: 104_857_600,
      autoCreateTopics: true,
      topics: [{ name: 'orders', partitions: 4 }],
      saslUsers: { alice: 'secret' },
    });
    assert.deepEqual(fake.logs, [
      { level: 30, nodeId: 0, host: '127.0.0.1', port: 40123, msg: 'listening on 127.0.0.1:40123' },
      { level: 30, signal: 'SIGTERM', msg: 'stopping broker' },
    ]);
  });

  test('bad flags exit 2 with one sluice: line and start nothing', async () => {
    const fake = fakeContext();
    const code = await runCli(['broker', '--topics', 'orders:4,payments:x'], () => fake.ctx);
    assert.equal(code, 2);
    assert.deepEqual(fake.started, []);
    assert.deepEqual(fake.stderr, [
      'sluice: SLUICE_ERR_CLI_ARGUMENT: --topics: item 2 "payments:x": expected name:partitions with a positive integer partition count, e.g. orders:4\n',
    ]);
  });
});

describe('sluice demo (in-process)', () => {
  test('says it is the bundled broker only, then announces the listener', async () => {
    const fake = fakeContext(9092);
    const exit = runCli(['demo'], () => fake.ctx);
    await fake.listening;
    fake.shutdown('SIGINT');
    assert.equal(await exit, 0);
    assert.deepEqual(fake.stdout, [`${DEMO_NOTICE}\n`, 'sluice broker listening on 127.0.0.1:9092\n']);
    assert.equal(
      DEMO_NOTICE,
      'sluice demo: running the bundled broker only; the full demo (collectors, rules, throttling) comes later',
    );
    assert.equal(fake.started[0]?.port, 9092);
    assert.equal(fake.started[0]?.autoCreateTopics, true);
  });
});
