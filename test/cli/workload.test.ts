import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { parseWorkloadFlags } from '../../src/cli/commands/workload.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/main.ts';
import type { RunningBroker } from '../../src/kafka/broker/options.ts';
import { startTestBroker } from '../workload/support.ts';

/** A context with captured output and a shutdown the test triggers. */
function fakeContext() {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let requestShutdown: (signal: string) => void = () => {};
  let onLine: (line: string) => void = () => {};
  const ctx: CliContext = {
    stdout: (text) => {
      stdout.push(text);
      onLine(text);
    },
    stderr: (text) => void stderr.push(text),
    logger: pino({ level: 'silent' }),
    startCluster: () => Promise.reject(new Error('sluice workload starts no broker')),
    shutdownRequested: () => new Promise((resolve) => (requestShutdown = resolve)),
  };
  const firstStatus = new Promise<void>((resolve) => {
    onLine = (line) => {
      if (line.startsWith('[')) resolve();
    };
  });
  return { ctx, stdout, stderr, firstStatus, shutdown: (signal: string) => requestShutdown(signal) };
}

describe('parseWorkloadFlags', () => {
  test('reads every flag', () => {
    assert.deepEqual(
      parseWorkloadFlags({
        bootstrap: '127.0.0.1:9092, [::1]:9093,kafka-1.internal:19092',
        sasl: 'alice:se:cret',
        duration: '90',
        control: 'http://127.0.0.1:9099/',
        statusInterval: '0.5',
      }),
      {
        bootstrap: ['127.0.0.1:9092', '[::1]:9093', 'kafka-1.internal:19092'],
        sasl: { username: 'alice', password: 'se:cret' },
        durationMs: 90_000,
        control: 'http://127.0.0.1:9099',
        statusIntervalMs: 500,
      },
    );
    assert.deepEqual(parseWorkloadFlags({ bootstrap: 'localhost:9092', duration: '5m' }), {
      bootstrap: ['localhost:9092'],
      durationMs: 300_000,
      statusIntervalMs: 5000,
    });
  });

  test('reports every bad flag at once, by flag name, never echoing a password', () => {
    assert.throws(
      () =>
        parseWorkloadFlags({
          bootstrap: '127.0.0.1:9092,localhost',
          sasl: 'alice:',
          duration: '0',
          control: 'ftp://x',
          statusInterval: 'soon',
        }),
      {
        code: 'SLUICE_ERR_CLI_ARGUMENT',
        message: [
          '--bootstrap: item 2 "localhost": expected host:port with a port from 1 to 65535, e.g. 127.0.0.1:9092',
          '--sasl: password of user "alice" is empty',
          '--duration: expected a positive duration such as 500ms, 30s, 5m or 2h, or a number of seconds such as 60, got "0"',
          '--control: expected an http:// or https:// URL, e.g. http://127.0.0.1:9099, got "ftp://x"',
          '--status-interval: expected a positive duration such as 500ms, 30s, 5m or 2h, or a number of seconds such as 60, got "soon"',
        ].join('\n'),
      },
    );
    assert.throws(() => parseWorkloadFlags({ bootstrap: 'h:1', sasl: 'alice' }), {
      message: '--sasl: expected user:password (no ":" found)',
    });
  });
});

describe('sluice workload (in-process)', () => {
  let broker: RunningBroker;
  let dir: string;
  let scenario: string;

  before(async () => {
    broker = await startTestBroker();
    dir = await mkdtemp(join(tmpdir(), 'sluice-workload-'));
    scenario = join(dir, 'tiny.yaml');
    await writeFile(
      scenario,
      [
        'name: tiny',
        'duration: 60s',
        'producers:',
        '  - { id: pings, topic: cli-pings, rate: 50, size: 64 }',
        'consumers:',
        '  - { id: watcher, group: cli-watcher, topics: [cli-pings] }',
      ].join('\n'),
    );
    await writeFile(join(dir, 'bad.yaml'), 'name: bad\nproducers:\n  - { id: p, topic: t, rate: fast }\n');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await broker?.stop();
  });

  test('bad input exits 2 with one sluice: line', async () => {
    const cases: Array<[string[], string]> = [
      [['workload', scenario], 'sluice: SLUICE_ERR_CLI_ARGUMENT: --bootstrap: missing, expected host:port, e.g. 127.0.0.1:9092\n'],
      [['workload', '--bootstrap', broker.bootstrap], "sluice: SLUICE_ERR_CLI_ARGUMENT: missing required argument 'scenario'\n"],
      [['workload', scenario, '--bootstrap', broker.bootstrap, '--speed', '2'], "sluice: SLUICE_ERR_CLI_ARGUMENT: unknown option '--speed'\n"],
      [['workload', join(dir, 'none.yaml'), '--bootstrap', broker.bootstrap], `sluice: SLUICE_ERR_CONFIG_FILE: ${join(dir, 'none.yaml')}: file not found\n`],
      [
        ['workload', join(dir, 'bad.yaml'), '--bootstrap', broker.bootstrap],
        `sluice: SLUICE_ERR_CONFIG_INVALID: ${join(dir, 'bad.yaml')}:3:30: producers[0].rate: expected a number >= 0, got "fast"\n`,
      ],
      [
        ['workload', scenario, '--bootstrap', '127.0.0.1:1'],
        'sluice: SLUICE_ERR_CLI_ARGUMENT: --bootstrap: cannot reach the cluster at 127.0.0.1:1: Cannot connect to any broker: ' +
          'Connection to 127.0.0.1:1 failed (if the cluster requires SASL, pass --sasl user:password)\n',
      ],
    ];
    for (const [argv, message] of cases) {
      const fake = fakeContext();
      assert.equal(await runCli(argv, () => fake.ctx), 2, argv.join(' '));
      assert.deepEqual(fake.stderr, [message]);
      assert.deepEqual(fake.stdout, []);
    }
  });

  test('runs for --duration, prints status lines, exits 0', { timeout: 20_000 }, async () => {
    const fake = fakeContext();
    const code = await runCli(['workload', scenario, '--bootstrap', broker.bootstrap, '--duration', '2', '--status-interval', '0.5'], () => fake.ctx);
    assert.equal(code, 0);
    assert.deepEqual(fake.stderr, []);
    const lines = fake.stdout.join('').trimEnd().split('\n');
    assert.equal(lines[0], `sluice workload: tiny: 1 producer(s), 1 consumer group(s), 0 fault(s) for 2s on ${broker.bootstrap}`);
    const status = lines.filter((line) => line.startsWith('['));
    assert.ok(status.length >= 3 && status.length <= 5, lines.join('\n'));
    // The first window is the first half second: what the schedule asked in it is 50 msg/s (3.1
    // KiB/s), less a message or two when the run started a few ms into it on a busy machine.
    assert.match(status[0] ?? '', /^\[5\d\dms\] pings [\d.]+\/(4[6-9]|50) msg\/s [\d.]+ KiB\/(2\.[89]|3\.[01]) KiB\/s throttle 0ms \| watcher .* lag (\d+|\?) throttle 0ms$/);
    assert.match(lines.at(-1) ?? '', /^sluice workload: tiny finished after 2s: pings acked (99|100) of 100 asked \(\d+\.\d%\), failed 0, short 0; watcher consumed \d+, lag 0$/);
  });

  test('SIGINT stops the run cleanly and exits 0', { timeout: 20_000 }, async () => {
    const fake = fakeContext();
    const exit = runCli(['workload', scenario, '--bootstrap', broker.bootstrap, '--status-interval', '0.5'], () => fake.ctx);
    await fake.firstStatus;
    fake.shutdown('SIGINT');
    assert.equal(await exit, 0);
    assert.match(fake.stdout.at(-1) ?? '', /^sluice workload: tiny stopped after \d+(ms|s): pings acked \d+ of \d+ asked/);
  });
});
