import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { createLogger, parseLogLevel, silentLogger } from '../../src/telemetry/logger.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a snippet that logs with createLogger in a child process and returns its output. */
function logFrom(snippet: string, env: Record<string, string | undefined> = {}) {
  const script = `import { createLogger } from './src/telemetry/logger.ts';\n${snippet}`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, SLUICE_LOG_LEVEL: undefined, ...env },
  });
  const lines = (text: string) => text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  return { status: result.status, stdout: lines(result.stdout), stderr: lines(result.stderr) };
}

describe('createLogger', () => {
  test('writes JSON lines to stderr at info by default, with the name', () => {
    const out = logFrom(`const log = createLogger({ name: 'sluice' }); log.debug('hidden'); log.info({ port: 9092 }, 'listening');`);
    assert.equal(out.status, 0);
    assert.deepEqual(out.stdout, []);
    assert.equal(out.stderr.length, 1);
    const { time, pid, hostname, ...line } = out.stderr[0] ?? {};
    assert.equal(typeof time, 'number');
    assert.equal(typeof pid, 'number');
    assert.equal(typeof hostname, 'string');
    assert.deepEqual(line, { level: 30, name: 'sluice', port: 9092, msg: 'listening' });
  });

  test('takes the level from SLUICE_LOG_LEVEL unless one is passed', () => {
    const fromEnv = logFrom(`createLogger().debug('shown');`, { SLUICE_LOG_LEVEL: 'DEBUG' });
    assert.deepEqual(fromEnv.stderr.map((l) => l.msg), ['shown']);
    const passed = logFrom(`createLogger({ level: 'warn' }).info('hidden');`, { SLUICE_LOG_LEVEL: 'debug' });
    assert.deepEqual(passed.stderr, []);
  });

  test('writes to stdout when asked and redacts secrets', () => {
    const out = logFrom(`createLogger({ destination: 'stdout' }).info({ saslUsers: { alice: 'secret' }, user: { password: 'pw' } }, 'x');`);
    assert.deepEqual(out.stderr, []);
    assert.equal(out.stdout[0]?.saslUsers, '[redacted]');
    assert.deepEqual(out.stdout[0]?.user, { password: '[redacted]' });
  });

  test('rejects an unknown level naming where it came from', () => {
    const saved = process.env.SLUICE_LOG_LEVEL;
    process.env.SLUICE_LOG_LEVEL = 'loud';
    try {
      assert.throws(() => createLogger(), {
        code: 'SLUICE_ERR_CONFIG_INVALID',
        message: 'SLUICE_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      });
    } finally {
      if (saved === undefined) delete process.env.SLUICE_LOG_LEVEL;
      else process.env.SLUICE_LOG_LEVEL = saved;
    }
    assert.throws(() => parseLogLevel('verbose'), {
      message: 'level: expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
    });
  });
});

describe('silentLogger', () => {
  test('logs nothing at any level', () => {
    const log = silentLogger();
    assert.equal(log.level, 'silent');
    assert.equal(log.isLevelEnabled('fatal'), false);
  });
});
