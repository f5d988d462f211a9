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

/** Runs `sluice` in-process with `startBroker` as given; returns the exit code and output. */
async function run(argv: string[], startBroker: CliContext['startBroker'] = () => assert.fail('no broker expected')) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(argv, () => ({
    stdout: (text) => void stdout.push(text),
    stderr: (text) => void stderr.push(text),
    logger: silentLogger(),
    startBroker,
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
    assert.deepEqual(await run(['brokers']), {
      code: 2,
      stdout: '',
      stderr: "sluice: SLUICE_ERR_CLI_ARGUMENT: unknown command 'brokers'\n(Did you mean broker?)\n",
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
    assert.match(help.stdout, /^Usage: sluice broker \[options\]\n/);
    for (const flag of ['--port <n>', '--host <h>', '--topics <list>', '--auto-create', '--sasl-users <list>', '--max-frame-bytes <n>', '--node-id <n>']) {
      assert.ok(help.stdout.includes(flag), flag);
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
    const child = node(['--import', 'tsx', 'src/cli/main.ts', 'broker', '--port', '0', '--topics', 'orders:4,payments:2']);
    const exited = once(child, 'exit');
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const bootstrap = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const match = /^sluice broker listening on (127\.0\.0\.1:\d+)\n/.exec(stdout);
        if (match?.[1] !== undefined) resolve(match[1]);
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
    assert.match(stdout, /^sluice broker listening on 127\.0\.0\.1:\d+\n$/);
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
