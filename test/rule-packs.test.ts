// The shipped rule packs (rules/*.yaml): promtool accepts them and passes their unit tests
// (rules/tests/*.test.yaml), and every alert carries what routing and operators rely on.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const PROMTOOL = '/usr/bin/promtool';
const SKIP_PROMTOOL = existsSync(PROMTOOL) ? false : `${PROMTOOL} is not installed`;
const RULES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'rules');
const TESTS = join(RULES, 'tests');

/** Packs the project ships, by file name. */
const PACKS = [
  'host.yaml',
  'kafka-consumer-lag.yaml',
  'kafka-governance.yaml',
  'kafka-leader-health.yaml',
  'kafka-throttling.yaml',
  'kafka-topic-traffic.yaml',
  'sluice-collectors.yaml',
];

interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
interface AlertTest { readonly eval_time: string; readonly alertname: string; readonly exp_alerts?: readonly unknown[] }
interface UnitTestFile {
  readonly rule_files: readonly string[];
  readonly tests: readonly { readonly alert_rule_test?: readonly AlertTest[] }[];
}

const run = promisify(execFile);
const packPath = (pack: string): string => join(RULES, pack);
const testPath = (pack: string): string => join(TESTS, pack.replace(/\.yaml$/, '.test.yaml'));
const rulesOf = (pack: string): Rule[] => (parse(readFileSync(packPath(pack), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const alertsOf = (pack: string): Rule[] => rulesOf(pack).filter((r) => r.alert !== undefined);
const unitTestsOf = (pack: string): UnitTestFile => parse(readFileSync(testPath(pack), 'utf8')) as UnitTestFile;

/** promtool's standard output; a non-zero exit fails the test with everything promtool said. */
async function promtool(args: readonly string[]): Promise<string> {
  try {
    return (await run(PROMTOOL, args)).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    assert.fail(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('rule packs', () => {
  test('rules/ holds exactly the shipped packs, each with its unit test file', () => {
    assert.deepEqual(readdirSync(RULES).filter((f) => f.endsWith('.yaml')).sort(), PACKS);
    assert.deepEqual(readdirSync(TESTS).filter((f) => f.endsWith('.yaml')).sort(), PACKS.map((p) => p.replace(/\.yaml$/, '.test.yaml')));
  });

  test('each unit test file loads its own pack and no other', () => {
    for (const pack of PACKS) assert.deepEqual(unitTestsOf(pack).rule_files, [`../${pack}`], pack);
  });

  test('every alert has a known severity, the team label, a one-line summary and a description', () => {
    for (const pack of PACKS) {
      const alerts = alertsOf(pack);
      assert.ok(alerts.length > 0, `${pack} has no alert`);
      for (const a of alerts) {
        const where = `${pack}: ${a.alert}`;
        assert.ok(['page', 'warning', 'info'].includes(a.labels?.severity ?? ''), `${where}: severity ${a.labels?.severity}`);
        assert.equal(a.labels?.team, 'kafka-platform', where);
        const summary = a.annotations?.summary ?? '';
        assert.ok(summary.length > 0 && !summary.includes('\n'), `${where}: summary must be one line`);
        assert.ok((a.annotations?.description ?? '').length > 0, `${where}: description missing`);
      }
    }
  });

  test('alert and recorded series names are unique over all packs, recorded ones in level:metric:operations form', () => {
    const alerts = PACKS.flatMap((p) => alertsOf(p).map((a) => a.alert!));
    assert.equal(new Set(alerts).size, alerts.length);
    const records = PACKS.flatMap((p) => rulesOf(p).filter((r) => r.record !== undefined).map((r) => r.record!));
    assert.equal(new Set(records).size, records.length);
    for (const r of records) assert.match(r, /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/, r);
  });

  test('each pack\'s unit tests see every one of its alerts fire, and stay silent for it at other times', () => {
    for (const pack of PACKS) {
      const cases = unitTestsOf(pack).tests.flatMap((t) => t.alert_rule_test ?? []);
      for (const { alert } of alertsOf(pack)) {
        const mine = cases.filter((c) => c.alertname === alert);
        assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${pack}: no test where ${alert} fires`);
        assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${pack}: no test where ${alert} stays silent`);
      }
    }
  });

  test('promtool check rules accepts every pack', { skip: SKIP_PROMTOOL }, async () => {
    const stdout = await promtool(['check', 'rules', ...PACKS.map(packPath)]);
    for (const pack of PACKS) {
      assert.ok(stdout.includes(`Checking ${packPath(pack)}\n  SUCCESS: ${rulesOf(pack).length} rules found\n`), `${pack}:\n${stdout}`);
    }
  });

  test('promtool test rules passes every pack\'s unit tests', { skip: SKIP_PROMTOOL }, async () => {
    const files = PACKS.map(testPath);
    const stdout = await promtool(['test', 'rules', ...files]);
    for (const file of files) assert.ok(stdout.includes(`Unit Testing:  ${file}\n  SUCCESS\n`), `${file}:\n${stdout}`);
  });
});
