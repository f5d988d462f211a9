import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import { captureContext } from '../helpers/cli.ts';

const FIXTURES = fileURLToPath(new URL('../rules/fixtures/', import.meta.url));

const context = captureContext;

describe('sluice rules', () => {
  test('check: SUCCESS with the rule count for good files, every problem of a bad one, exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-rules-'));
    try {
      const good = join(FIXTURES, 'kafka.rules.yaml');
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'groups:\n  - name: g\n    interval: 5\n    rules:\n      - alert: A\n        expr: rate(x[5m]) >\n');
      const ok = context();
      assert.equal(await runCli(['rules', 'check', good], () => ok.ctx), 0);
      assert.deepEqual(ok.stdout.join(''), `Checking ${good}\n  SUCCESS: 4 rules found\n\n`);
      const failed = context();
      assert.equal(await runCli(['rules', 'check', good, bad], () => failed.ctx), 1);
      assert.equal(failed.stdout.join(''), `Checking ${good}\n  SUCCESS: 4 rules found\n\nChecking ${bad}\n\n`);
      assert.equal(failed.stderr.join(''), [
        '  FAILED:',
        `${bad}:3:15: groups[0].interval: expected a duration such as 1h30m, 5m or 0s, got "5"`,
        `${bad}:6:28: groups[0].rules[0].expr: 1:14: unexpected end of input`,
        '',
      ].join('\n'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('test: exit 0 when every file passes, 1 when one fails', async () => {
    const good = join(FIXTURES, 'kafka.test.yaml');
    const failing = join(FIXTURES, 'failing.test.yaml');
    const ok = context();
    assert.equal(await runCli(['rules', 'test', good], () => ok.ctx), 0);
    assert.equal(ok.stdout.join(''), `Unit Testing:  ${good}\n  SUCCESS\n\n`);
    const failed = context();
    assert.equal(await runCli(['rules', 'test', good, failing], () => failed.ctx), 1);
    assert.equal(failed.stdout.join(''), `Unit Testing:  ${good}\n  SUCCESS\n\nUnit Testing:  ${failing}\n\n`);
    assert.match(failed.stderr.join(''), /^ {2}FAILED:\n {4}name: wrong expectations,\n {4}alertname: BrokerDown, time: 3m, /);
  });

  test('check prints what promtool check rules prints for good files', { skip: existsSync('/usr/bin/promtool') ? false : 'needs /usr/bin/promtool' }, async () => {
    const files = ['kafka.rules.yaml', 'throughput.rules.yaml'];
    const theirs = execFileSync('/usr/bin/promtool', ['check', 'rules', ...files], { cwd: FIXTURES, encoding: 'utf8' });
    const ours = context();
    const cwd = process.cwd();
    process.chdir(FIXTURES);
    try {
      assert.equal(await runCli(['rules', 'check', ...files], () => ours.ctx), 0);
    } finally {
      process.chdir(cwd);
    }
    assert.equal(ours.stdout.join(''), theirs);
  });

  test('a missing argument is a usage error (exit 2)', async () => {
    const c = context();
    assert.equal(await runCli(['rules', 'check'], () => c.ctx), 2);
    assert.equal(c.stderr.join(''), "sluice: SLUICE_ERR_CLI_ARGUMENT: missing required argument 'files'\n");
  });
});
