import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { CliContext } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/main.ts';
import { SluiceError } from '../../src/errors.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `sluice` in-process with `startCluster` as given; returns the exit code and output. */
async function run(argv: string[], startCluster: CliContext['startCluster'] = () => assert.fail('no broker expected')) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(argv, () => ({
    stdout: (text) => void stdout.push(text),
    stderr: (text) => void stderr.push(text),
    logger: silentLogger(),
    startCluster,
    shutdownRequested: () => new Promise(() => {}),
  }));
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

/** Runs `node <args>` from the repository root. */
function node(args: string[]) {
  return spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } });
}

describe('runCli', () => {
  test('prints usage errors as SLUICE_ERR_CLI_ARGUMENT and exits 2', async () => {
    assert.deepEqual(await run(['broker', '--bogus']), {
      code: 2,
      stdout: '',
      stderr: "sluice: SLUICE_ERR_CLI_ARGUMENT: unknown option '--bogus'\n",
    });
    assert.deepEqual(await run(['brokerss']), {
      code: 2,
      stdout: '',
      stderr: "sluice: SLUICE_ERR_CLI_ARGUMENT: unknown command 'brokerss'\n(Did you mean brokers?)\n",
    });
    assert.deepEqual(await run(['broker', '--port']), {
      code: 2,
      stdout: '',
      stderr: "sluice: SLUICE_ERR_CLI_ARGUMENT: option '--port <n>' argument missing\n",
    });
  });

  test('prints the version and help on stdout and exits 0', async () => {
    assert.deepEqual(await run(['--version']), { code: 0, stdout: '0.1.0\n', stderr: '' });
    const help = await run(['broker', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: sluice broker \[options\] \[command\]\n/);
    const flags = [
      '--port <n>', '--host <h>', '--brokers <n>', '--topics <list>', '--auto-create', '--sasl-users <list>', '--max-frame-bytes <n>', '--node-id <n>',
      '--metrics-port <n>', '--control-port <n>', '--no-control', '--replica-lag-time-max-ms <n>', '--min-insync-replicas <n>',
      '--unclean-leader-election', '--no-auto-leader-rebalance', '--leader-imbalance-check-interval-ms <n>',
      '--network-in <bytes/s>', '--network-out <bytes/s>', '--request-handlers <n>', '--log-dir-bytes <n>', 'ctl',
    ];
    for (const flag of flags) assert.ok(help.stdout.includes(flag), flag);
    const ctl = await run(['broker', 'ctl', '--help']);
    assert.equal(ctl.code, 0);
    assert.match(ctl.stdout, /^Usage: sluice broker ctl \[options\] \[command\]\n/);
    for (const action of ['status', 'stop <id>', 'start [options] <id>', 'latency <id> <ms>', 'cut-replication <id>', 'restore-replication <id>', 'capacity [options] <id>', '--control <url>']) {
      assert.ok(ctl.stdout.includes(action), action);
    }
  });

  test('shows help on stderr and exits 1 without a command', async () => {
    const result = await run([]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^Usage: sluice \[options\] \[command\]\n/);
  });

  test('exits 2 for a SluiceError and 1 for any other error', async () => {
    const listen = await run(['broker'], async () => {
      throw new SluiceError('SLUICE_ERR_BROKER_LISTEN', '127.0.0.1:9092: address already in use');
    });
    assert.deepEqual(listen, { code: 2, stdout: '', stderr: 'sluice: SLUICE_ERR_BROKER_LISTEN: 127.0.0.1:9092: address already in use\n' });
    const bug = await run(['broker'], async () => {
      throw new TypeError('boom');
    });
    assert.equal(bug.code, 1);
    assert.match(bug.stderr, /^sluice: unexpected error: TypeError: boom\n {4}at /);
  });
});

describe('sluice as a process', () => {
  test('broker --port 0 serves Kafka clients and exits 0 on SIGTERM', async () => {
    const child = node(['--import', 'tsx', 'src/cli/main.ts', 'broker', '--port', '0', '--control-port', '0', '--topics', 'orders:4,payments:2']);
    const exited = once(child, 'exit');
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const bootstrap = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const match = /^sluice broker listening on (127\.0\.0\.1:\d+)\n/.exec(stdout);
        if (match?.[1] !== undefined && stdout.includes('sluice control on')) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const admin = new Kafka({ clientId: 'sluice-cli-test', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
    try {
      await admin.connect();
      assert.deepEqual((await admin.listTopics()).sort(), ['orders', 'payments']);
    } finally {
      await admin.disconnect();
    }
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    assert.equal(signal, null);
    assert.equal(code, 0);
    assert.match(stdout, /^sluice broker listening on (127\.0\.0\.1:\d+)\nsluice broker 0 listening on \1\nsluice control on http:\/\/127\.0\.0\.1:\d+\n$/);
  });

  test('broker --brokers 3 and broker ctl: a broker stopped from another process leaves Metadata', async () => {
    const child = node(['--import', 'tsx', 'src/cli/main.ts', 'broker', '--port', '0', '--brokers', '3', '--metrics-port', '0', '--control-port', '0', '--topics', 'orders:3:2']);
    const exited = once(child, 'exit');
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const control = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const match = /sluice control on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const ports = [...stdout.matchAll(/^sluice broker (\d) listening on 127\.0\.0\.1:(\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    assert.deepEqual(ports.map(([id]) => id), [0, 1, 2]);
    assert.match(stdout, /^sluice broker listening on 127\.0\.0\.1:(\d+)\nsluice broker 0 listening on 127\.0\.0\.1:\1\n(sluice broker [12] listening on 127\.0\.0\.1:\d+\n){2}(sluice broker [0-2] metrics on http:\/\/127\.0\.0\.1:\d+\/metrics\n){3}sluice control on http:\/\/127\.0\.0\.1:\d+\n$/);
    const metrics = [...stdout.matchAll(/^sluice broker (\d) metrics on (\S+)$/gm)].map((m) => [Number(m[1]), m[2]!] as const);
    assert.deepEqual(metrics.map(([id]) => id), [0, 1, 2]);
    const scrape = await fetch(metrics[1]![1]);
    assert.equal(scrape.status, 200);
    assert.match(await scrape.text(), /^# HELP /m);
    const ctl = node(['bin/sluice.js', 'broker', 'ctl', 'stop', '1', '--control', control]);
    let ctlOut = '';
    ctl.stdout.setEncoding('utf8').on('data', (chunk: string) => (ctlOut += chunk));
    const [ctlCode] = await once(ctl, 'exit');
    assert.equal(ctlCode, 0);
    assert.equal(ctlOut, 'broker 1 stopped\n');
    const admin = new Kafka({ clientId: 'sluice-cli-test', brokers: [`127.0.0.1:${ports[0]![1]}`], logLevel: logLevel.NOTHING }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      assert.deepEqual(cluster.brokers.map((b) => b.nodeId).sort(), [0, 2]);
      const [orders] = (await admin.fetchTopicMetadata({ topics: ['orders'] })).topics;
      assert.ok(orders!.partitions.every((p) => p.leader === 0 || p.leader === 2));
    } finally {
      await admin.disconnect();
    }
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0);
  });

  test('bin/sluice.js runs the TypeScript sources and reports bad flags with exit 2', async () => {
    const child = node(['bin/sluice.js', 'broker', '--sasl-users', 'alice:']);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.equal(stderr, 'sluice: SLUICE_ERR_CLI_ARGUMENT: --sasl-users: item 1 (user "alice"): password is empty\n');
  });
});
