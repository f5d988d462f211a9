import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { parseBrokerFlags } from '../../src/cli/commands/broker.ts';
import { DEMO_SCENARIO, parseDemoFlags } from '../../src/cli/commands/demo.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/main.ts';
import { Cluster, type BrokerOptions, type RunningCluster } from '../../src/kafka/broker/index.ts';

/**
 * A context whose cluster is built but never listens (its brokers keep the ports they were
 * given, from `port` up), whose output is captured and whose shutdown the test triggers.
 */
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
      // Every announcement line is written before serveBroker waits, so the first one is enough.
      if (text.startsWith('sluice broker listening')) announce();
    },
    stderr: (text) => void stderr.push(text),
    logger: pino({ level: 'info', base: null, timestamp: false }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
    startCluster: async (options): Promise<RunningCluster> => {
      started.push(options);
      const cluster = new Cluster({ ...options, port, logger: pino({ level: 'silent' }) }, []);
      if (options.metricsPort !== undefined) {
        for (const node of cluster.liveNodes()) node.metricsPort = options.metricsPort + node.nodeId;
      }
      const first = cluster.nodes[cluster.options.firstNodeId]!;
      const host = cluster.options.host;
      return {
        cluster,
        host,
        port: first.port,
        nodeId: first.nodeId,
        bootstrap: cluster.liveNodes().map((n) => `${host}:${n.port}`).join(','),
        address: (id) => `${host}:${cluster.nodes[id]!.port}`,
        stop: async () => {
          cluster.stopTimers();
          stops++;
        },
      };
    },
    shutdownRequested: () => new Promise((resolve) => (requestShutdown = resolve)),
  };
  return { ctx, stdout, stderr, logs, started, listening, stops: () => stops, shutdown: (signal: string) => requestShutdown(signal) };
}

const DEFAULT_BROKER_OPTIONS = {
  host: '127.0.0.1',
  port: 9092,
  brokers: 1,
  nodeId: 0,
  maxFrameBytes: 104_857_600,
  autoCreateTopics: false,
  uncleanLeaderElection: false,
  autoLeaderRebalance: true,
};

describe('parseBrokerFlags', () => {
  test('applies the defaults: one broker, control API on 9099, no metrics', () => {
    assert.deepEqual(parseBrokerFlags({}), { broker: DEFAULT_BROKER_OPTIONS, control: { host: '127.0.0.1', port: 9099 } });
    // As commander hands them over when no flag is given.
    assert.deepEqual(parseBrokerFlags({ port: '9092', host: '127.0.0.1', maxFrameBytes: '104857600', nodeId: '0', brokers: '1', controlPort: '9099', control: true, autoLeaderRebalance: true }), {
      broker: DEFAULT_BROKER_OPTIONS,
      control: { host: '127.0.0.1', port: 9099 },
    });
  });

  test('turns every flag into cluster options', () => {
    const options = parseBrokerFlags({
      port: '0',
      host: '0.0.0.0',
      topics: 'orders:4:3,payments:2',
      autoCreate: true,
      saslUsers: 'alice:secret,bob:pw',
      maxFrameBytes: '1048576',
      brokers: '3',
      metricsPort: '9404',
      controlPort: '0',
      replicaLagTimeMaxMs: '500',
      minInsyncReplicas: '2',
      uncleanLeaderElection: true,
      autoLeaderRebalance: false,
      leaderImbalanceCheckIntervalMs: '1000',
      quotaWindowNum: '3',
      quotaWindowSizeSeconds: '2',
      networkIn: '1048576',
      networkOut: '2097152',
      requestHandlers: '2',
      logDirBytes: '1000000',
    });
    assert.deepEqual(options, {
      broker: {
        host: '0.0.0.0',
        port: 0,
        brokers: 3,
        nodeId: 0,
        maxFrameBytes: 1_048_576,
        autoCreateTopics: true,
        uncleanLeaderElection: true,
        autoLeaderRebalance: false,
        topics: [
          { name: 'orders', partitions: 4, replicationFactor: 3 },
          { name: 'payments', partitions: 2 },
        ],
        saslUsers: { alice: 'secret', bob: 'pw' },
        metricsPort: 9404,
        replicaLagTimeMaxMs: 500,
        minInsyncReplicas: 2,
        leaderImbalanceCheckIntervalMs: 1000,
        capacity: { networkInBytesPerSec: 1_048_576, networkOutBytesPerSec: 2_097_152, requestHandlers: 2, logDirBytes: 1_000_000 },
        quotaWindow: { num: 3, sizeSeconds: 2 },
      },
      control: { host: '0.0.0.0', port: 0 },
    });
    assert.equal(parseBrokerFlags({ control: false }).control, null);
    assert.deepEqual(parseBrokerFlags({ nodeId: '3' }).broker.nodeId, 3);
    assert.deepEqual(parseBrokerFlags({ quotaWindowNum: '5' }).broker.quotaWindow, { num: 5 });
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
          brokers: '65',
          metricsPort: '-1',
          controlPort: 'x',
          replicaLagTimeMaxMs: '0',
          minInsyncReplicas: '0',
          leaderImbalanceCheckIntervalMs: '2147483648',
          quotaWindowNum: '1',
          quotaWindowSizeSeconds: '0',
          networkIn: '0',
          networkOut: '1.5',
          requestHandlers: '1025',
          logDirBytes: 'lots',
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
          '--brokers: expected an integer from 1 to 64, got "65"',
          '--metrics-port: expected an integer from 0 to 65535, got "-1"',
          '--control-port: expected an integer from 0 to 65535, got "x"',
          '--replica-lag-time-max-ms: expected an integer from 1 to 2147483647, got "0"',
          '--min-insync-replicas: expected an integer from 1 to 2147483647, got "0"',
          '--leader-imbalance-check-interval-ms: expected an integer from 1 to 2147483647, got "2147483648"',
          '--quota-window-num: expected an integer from 2 to 1000, got "1"',
          '--quota-window-size-seconds: expected an integer from 1 to 3600, got "0"',
          '--network-in: expected a positive integer, got "0"',
          '--network-out: expected a positive integer, got "1.5"',
          '--request-handlers: expected an integer from 1 to 1024, got "1025"',
          '--log-dir-bytes: expected a positive integer, got "lots"',
        ].join('\n'),
      },
    );
  });

  test('checks flags against each other: ids, replication factors and ports', () => {
    assert.throws(() => parseBrokerFlags({ brokers: '3', nodeId: '2', topics: 'a:1:3,b:1:4,c:2:5' }), {
      code: 'SLUICE_ERR_CLI_ARGUMENT',
      message: [
        '--node-id: only with --brokers 1; the brokers of a cluster have ids 0 to 2',
        '--topics: topic "b" has replication factor 4 but --brokers is 3',
        '--topics: topic "c" has replication factor 5 but --brokers is 3',
      ].join('\n'),
    });
    assert.throws(() => parseBrokerFlags({ port: '65534', brokers: '3', metricsPort: '9404', controlPort: '9405' }), {
      code: 'SLUICE_ERR_CLI_ARGUMENT',
      message: ['--port: broker 2 would need port 65536; expected --port + --brokers - 1 <= 65535', '--control-port: port 9405 is already the metrics port of broker 1'].join('\n'),
    });
    assert.throws(() => parseBrokerFlags({ port: '9092', brokers: '3', metricsPort: '9090' }), {
      code: 'SLUICE_ERR_CLI_ARGUMENT',
      message: '--metrics-port: port 9092 is already the port of broker 0',
    });
    // Port 0 picks free ports, and --no-control frees the control port.
    assert.equal(parseBrokerFlags({ port: '0', brokers: '3', metricsPort: '0', controlPort: '0' }).broker.brokers, 3);
    assert.equal(parseBrokerFlags({ port: '9099', control: false }).control, null);
  });
});

describe('parseDemoFlags', () => {
  test('runs 3 brokers of 400 KiB/s network in with auto-create on, metrics, control and the story', () => {
    assert.deepEqual(parseDemoFlags({ port: '0', metricsPort: '0', controlPort: '0' }), {
      broker: { host: '127.0.0.1', port: 0, brokers: 3, metricsPort: 0, maxFrameBytes: 104_857_600, autoCreateTopics: true, capacity: { networkInBytesPerSec: 409_600 } },
      controlPort: 0,
      apiPort: 8080,
      scenario: DEMO_SCENARIO,
      statusIntervalMs: 5_000,
      collectIntervalSeconds: 2,
      outDir: undefined,
    });
    assert.match(DEMO_SCENARIO, /fixtures\/workloads\/demo-story\.yaml$/);
    assert.equal(parseDemoFlags({ outDir: 'out' }).outDir, 'out');
    const defaults = parseDemoFlags({});
    assert.equal(defaults.broker.port, 9092);
    assert.equal(defaults.broker.metricsPort, 9404);
    assert.equal(defaults.controlPort, 9099);
    assert.equal(parseDemoFlags({ workload: false }).scenario, null);
  });

  test('names overlapping or out-of-range ports', () => {
    assert.throws(() => parseDemoFlags({ port: '9092', metricsPort: '9094' }), {
      code: 'SLUICE_ERR_CLI_ARGUMENT',
      message: '--metrics-port: ports 9094 to 9096 overlap --port (9092 to 9094)',
    });
    assert.throws(() => parseDemoFlags({ port: '65534' }), {
      code: 'SLUICE_ERR_CLI_ARGUMENT',
      message: '--port: broker 2 would need port 65536; expected at most 65533',
    });
    assert.throws(() => parseDemoFlags({ apiPort: 'x' }), {
      code: 'SLUICE_ERR_CLI_ARGUMENT',
      message: '--api-port: expected an integer from 0 to 65535, got "x"',
    });
  });
});

describe('sluice broker (in-process)', () => {
  test('starts, announces the listener, stops on shutdown and exits 0', async () => {
    const fake = fakeContext();
    const exit = runCli(['broker', '--port', '0', '--topics', 'orders:4', '--auto-create', '--sasl-users', 'alice:secret', '--no-control'], () => fake.ctx);
    await fake.listening;
    assert.equal(fake.stops(), 0);
    fake.shutdown('SIGTERM');
    assert.equal(await exit, 0);
    assert.equal(fake.stops(), 1);
    assert.deepEqual(fake.stdout, ['sluice broker listening on 127.0.0.1:40123\n', 'sluice broker 0 listening on 127.0.0.1:40123\n']);
    assert.deepEqual(fake.stderr, []);
    const { logger, ...options } = fake.started[0] ?? {};
    assert.ok(logger !== undefined);
    assert.deepEqual(options, {
      ...DEFAULT_BROKER_OPTIONS,
      port: 0,
      autoCreateTopics: true,
      topics: [{ name: 'orders', partitions: 4 }],
      saslUsers: { alice: 'secret' },
    });
    assert.deepEqual(fake.logs, [
      { level: 30, nodeId: 0, host: '127.0.0.1', port: 40123, msg: 'listening on 127.0.0.1:40123' },
      { level: 30, signal: 'SIGTERM', msg: 'stopping broker' },
    ]);
  });

  test('a cluster announces every broker, its metrics and the control API, which serves it', async () => {
    const fake = fakeContext(40_200);
    const exit = runCli(['broker', '--brokers', '3', '--metrics-port', '9404', '--control-port', '0'], () => fake.ctx);
    await fake.listening;
    const control = /^sluice control on (http:\/\/127\.0\.0\.1:(\d+))\n$/.exec(fake.stdout.at(-1) ?? '');
    assert.ok(control !== null, fake.stdout.join(''));
    const brokers = (await (await fetch(`${control[1]}/brokers`)).json()) as { id: number; port: number; alive: boolean; controller: boolean }[];
    assert.deepEqual(brokers.map((b) => [b.id, b.port, b.alive, b.controller]), [[0, 40200, true, true], [1, 40201, true, false], [2, 40202, true, false]]);
    fake.shutdown('SIGINT');
    assert.equal(await exit, 0);
    assert.deepEqual(fake.stdout, [
      'sluice broker listening on 127.0.0.1:40200\n',
      'sluice broker 0 listening on 127.0.0.1:40200\n',
      'sluice broker 1 listening on 127.0.0.1:40201\n',
      'sluice broker 2 listening on 127.0.0.1:40202\n',
      'sluice broker 0 metrics on http://127.0.0.1:9404/metrics\n',
      'sluice broker 1 metrics on http://127.0.0.1:9405/metrics\n',
      'sluice broker 2 metrics on http://127.0.0.1:9406/metrics\n',
      `sluice control on ${control[1]}\n`,
    ]);
    assert.equal(fake.started[0]?.brokers, 3);
    assert.equal(fake.started[0]?.metricsPort, 9404);
    assert.equal(fake.stops(), 1);
    // The control API is closed with the cluster.
    await assert.rejects(fetch(`${control[1]}/brokers`), TypeError);
    assert.deepEqual(
      fake.logs.map((l) => l.msg),
      ['fault control listening', 'listening on 127.0.0.1:40200', 'listening on 127.0.0.1:40201', 'listening on 127.0.0.1:40202', 'stopping broker'],
    );
  });

  test('a control port in use stops the cluster and exits 2', async () => {
    const fake = fakeContext();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const code = await runCli(['broker', '--control-port', String(port)], () => fake.ctx);
      assert.equal(code, 2);
      assert.equal(fake.stops(), 1);
      assert.deepEqual(fake.stdout, []);
      assert.deepEqual(fake.stderr, [`sluice: SLUICE_ERR_BROKER_LISTEN: control API could not listen on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`]);
    } finally {
      holder.close();
    }
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

