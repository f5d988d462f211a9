import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { runCli } from '../../src/cli/main.ts';
import { DEFAULT_CAPACITY } from '../../src/kafka/broker/options.ts';
import { startControlServer, type RunningControl } from '../../src/kafka/broker/control.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';

/** Runs `sluice broker ctl …` in-process; returns the exit code and output. */
async function ctl(args: string[], url: string) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(['broker', 'ctl', ...args, '--control', url], () => ({
    stdout: (text) => void stdout.push(text),
    stderr: (text) => void stderr.push(text),
    logger: pino({ level: 'silent' }),
    startCluster: () => assert.fail('broker ctl starts no broker'),
    shutdownRequested: () => new Promise(() => {}),
  }));
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

const ok = (stdout: string) => ({ code: 0, stdout, stderr: '' });
const failed = (stderr: string) => ({ code: 2, stdout: '', stderr });

describe('sluice broker ctl against a real control API', () => {
  let c: RunningCluster;
  let control: RunningControl;
  before(async () => {
    c = await startCluster({ port: 0, brokers: 3, autoLeaderRebalance: false, topics: [{ name: 'orders', partitions: 3, replicationFactor: 2 }] });
    control = await startControlServer(c.cluster, { host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await control.stop();
    await c.stop();
  });

  const port = (id: number): number => c.cluster.nodes[id]!.port;

  test('status prints one aligned row per broker', async () => {
    const p = [port(0), port(1), port(2)].map(String);
    const w = Math.max(4, ...p.map((x) => x.length));
    const row = (id: number, controller: string) =>
      `${id}   yes    ${controller.padEnd(10)}  ${p[id]!.padEnd(w)}  0           on           1073741824  1073741824   8         68719476736`;
    assert.deepEqual(
      await ctl(['status'], control.url),
      ok(
        [
          `ID  ALIVE  CONTROLLER  ${'PORT'.padEnd(w)}  LATENCY_MS  REPLICATION  NETWORK_IN  NETWORK_OUT  HANDLERS  LOG_DIR_BYTES`,
          row(0, 'yes'),
          row(1, 'no'),
          row(2, 'no'),
          '',
        ].join('\n'),
      ),
    );
  });

  test('stop and start (with --wipe) change the cluster', async () => {
    assert.deepEqual(await ctl(['stop', '1'], control.url), ok('broker 1 stopped\n'));
    assert.deepEqual(c.cluster.liveNodes().map((n) => n.nodeId), [0, 2]);
    assert.ok([...c.cluster.allPartitions()].every((p) => p.leader !== 1));
    assert.match((await ctl(['status'], control.url)).stdout, /\n1 {3}no {5}no /);
    assert.deepEqual(await ctl(['start', '1', '--wipe'], control.url), ok('broker 1 started with empty logs\n'));
    assert.deepEqual(c.cluster.liveNodes().map((n) => n.nodeId), [0, 1, 2]);
    assert.deepEqual(await ctl(['stop', '2'], control.url), ok('broker 2 stopped\n'));
    assert.deepEqual(await ctl(['start', '2'], control.url), ok('broker 2 started\n'));
    assert.equal(c.cluster.nodes[2]!.alive, true);
  });

  test('latency, replication and capacity set the broker faults', async () => {
    assert.deepEqual(await ctl(['latency', '2', '150'], control.url), ok('broker 2 latency 150 ms\n'));
    assert.equal(c.cluster.nodes[2]!.latencyMs, 150);
    assert.deepEqual(await ctl(['latency', '2', '0'], control.url), ok('broker 2 latency cleared\n'));
    assert.equal(c.cluster.nodes[2]!.latencyMs, 0);
    assert.deepEqual(await ctl(['cut-replication', '0'], control.url), ok('broker 0 replication cut\n'));
    assert.equal(c.cluster.nodes[0]!.replicationCut, true);
    assert.deepEqual(await ctl(['restore-replication', '0'], control.url), ok('broker 0 replication restored\n'));
    assert.equal(c.cluster.nodes[0]!.replicationCut, false);
    assert.deepEqual(
      await ctl(['capacity', '1', '--network-in', '1000000', '--request-handlers', '2'], control.url),
      ok('broker 1 capacity: network-in 1000000 B/s, network-out 1073741824 B/s, request-handlers 2, log-dir-bytes 68719476736\n'),
    );
    assert.deepEqual(c.cluster.nodes[1]!.capacity, { ...DEFAULT_CAPACITY, networkInBytesPerSec: 1_000_000, requestHandlers: 2 });
  });

  test('--control may come before the action', async () => {
    const stdout: string[] = [];
    const code = await runCli(['broker', 'ctl', '--control', control.url, 'latency', '0', '5'], () => ({
      stdout: (text) => void stdout.push(text),
      stderr: () => {},
      logger: pino({ level: 'silent' }),
      startCluster: () => assert.fail('no broker expected'),
      shutdownRequested: () => new Promise(() => {}),
    }));
    assert.deepEqual([code, stdout], [0, ['broker 0 latency 5 ms\n']]);
    assert.equal(c.cluster.nodes[0]!.latencyMs, 5);
    await ctl(['latency', '0', '0'], control.url);
  });

  test('API refusals are SLUICE_ERR_CONTROL with the API message, exit 2', async () => {
    assert.deepEqual(await ctl(['stop', '7'], control.url), failed('sluice: SLUICE_ERR_CONTROL: broker "7" not found; brokers are 0, 1, 2\n'));
  });

  test('bad arguments are SLUICE_ERR_CLI_ARGUMENT and send nothing', async () => {
    assert.deepEqual(await ctl(['stop', 'x'], control.url), failed('sluice: SLUICE_ERR_CLI_ARGUMENT: <id>: expected an integer from 0 to 2147483647, got "x"\n'));
    assert.deepEqual(
      await ctl(['latency', '-1', '70000'], control.url),
      failed('sluice: SLUICE_ERR_CLI_ARGUMENT: <id>: expected an integer from 0 to 2147483647, got "-1"\n<ms>: expected an integer from 0 to 60000, got "70000"\n'),
    );
    assert.deepEqual(
      await ctl(['capacity', '1'], control.url),
      failed('sluice: SLUICE_ERR_CLI_ARGUMENT: capacity: expected at least one of --network-in, --network-out, --request-handlers, --log-dir-bytes\n'),
    );
    assert.deepEqual(
      await ctl(['capacity', '1', '--network-out', '0', '--request-handlers', '2000'], control.url),
      failed('sluice: SLUICE_ERR_CLI_ARGUMENT: --network-out: expected a positive integer, got "0"\n--request-handlers: expected an integer from 1 to 1024, got "2000"\n'),
    );
    assert.deepEqual(await ctl(['status'], 'ftp://x'), failed('sluice: SLUICE_ERR_CLI_ARGUMENT: --control: expected an http:// or https:// URL, e.g. http://127.0.0.1:9099, got "ftp://x"\n'));
    assert.deepEqual(await ctl(['reboot', '1'], control.url), failed("sluice: SLUICE_ERR_CLI_ARGUMENT: unknown command 'reboot'\n"));
    assert.deepEqual(await ctl(['stop'], control.url), failed("sluice: SLUICE_ERR_CLI_ARGUMENT: missing required argument 'id'\n"));
    assert.deepEqual(c.cluster.liveNodes().map((n) => n.nodeId), [0, 1, 2]);
  });
});

describe('sluice broker ctl without a working control API', () => {
  let other: Server;
  let url: string;
  before(async () => {
    other = createServer((req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<h1>bad gateway</h1>');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  });
  after(() => void other.close());

  test('an unreachable control API is named, exit 2', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.deepEqual(
      await ctl(['status'], `http://127.0.0.1:${port}/`),
      failed(`sluice: SLUICE_ERR_CONTROL_UNREACHABLE: control API at http://127.0.0.1:${port} is unreachable (connect ECONNREFUSED 127.0.0.1:${port}); is \`sluice broker\` running with --control-port there?\n`),
    );
  });

  test('a server that is not the control API is reported as such', async () => {
    assert.deepEqual(
      await ctl(['stop', '1'], url),
      failed(`sluice: SLUICE_ERR_CONTROL: control API at ${url} answered POST /brokers/1/stop with HTTP 502 and a body that is not JSON\n`),
    );
  });
});
