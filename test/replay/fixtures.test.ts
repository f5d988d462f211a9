/**
 * The shipped incident fixtures (fixtures/incidents/*), recorded from the bundled cluster:
 * each passes `sluice replay --check` with the shipped rules and the default throttle policy;
 * the calm day fires nothing above severity info; and where the recording kept what the live
 * rules engine showed (live.json), every alert that fired live fires in replay at the same
 * evaluation.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { cp, writeFile } from 'node:fs/promises';
import { runCli } from '../../src/cli/main.ts';
import { checkReport, checkTimeline } from '../../src/replay/check.ts';
import { loadExpected } from '../../src/replay/expected.ts';
import { FIXTURES_DIR, SHIPPED_RULES_DIR } from '../../src/replay/run.ts';
import { FixtureThread } from './fixture-thread.ts';
import { captureContext, tempDir } from './support.ts';

/** What `sluice replay <name> --json` printed for each shipped fixture (see golden/README.md). */
const GOLDEN_DIR = join(import.meta.dirname, 'golden');

const names = readdirSync(FIXTURES_DIR).filter((n) => existsSync(join(FIXTURES_DIR, n, 'expected.yaml'))).sort();

interface Live { rulesStart: string; rulesIntervalSeconds: number; rulesAddedSince?: string[]; alerts: { labels: Record<string, string>; activeAt: string; firedAt?: string }[] }

describe('shipped incident fixtures', () => {
  // The replays run in a worker thread, out of reach of the test runner's per-promise tracking
  // (see fixture-thread.ts): the calm day alone is over a million samples.
  const thread = new FixtureThread();
  after(() => thread.close());

  test('there are the incidents the issue lists, and the calm day', () => {
    for (const n of ['broker-down', 'calm-day', 'disk-filling', 'leader-imbalance', 'noisy-producer', 'slow-consumer', 'stalled-consumer', 'topic-spike']) assert.ok(names.includes(n), `fixtures/incidents/${n}`);
  });

  for (const name of names) {
    test(`${name}: sluice replay --check passes with the shipped rules and the default throttle policy`, async () => {
      const dir = join(FIXTURES_DIR, name);
      const { meta, timeline, json } = await thread.replay(dir);
      const differences = checkTimeline(timeline, await loadExpected(join(dir, 'expected.yaml')));
      assert.deepEqual(differences, [], checkReport(dir, differences));
      assert.deepEqual(timeline.ruleErrors, []);
      // `sluice replay --json` output, byte for byte, as it was before the wiring was made one.
      assert.equal(json, await readFile(join(GOLDEN_DIR, `${name}.json`), 'utf8'));
      if (name === 'calm-day') {
        assert.deepEqual(timeline.alerts.filter((a) => a.state === 'firing' && a.labels.severity !== 'info').map((a) => a.alertname), []);
      }
      const livePath = join(dir, 'live.json');
      if (!existsSync(livePath)) return;
      const live = JSON.parse(await readFile(livePath, 'utf8')) as Live;
      const start = Date.parse(live.rulesStart);
      const step = live.rulesIntervalSeconds * 1000;
      const key = (labels: Record<string, string>): string => Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
      // The evaluation a live time belongs to (live timers run a few ms late), and replay's.
      const liveFired = live.alerts.filter((a) => a.firedAt !== undefined && Date.parse(a.firedAt) <= meta.to).map((a) => `${key(a.labels)} @${Math.round((Date.parse(a.firedAt!) - start) / step)}`).sort();
      // Alerts of rules added to the shipped packs after the recording: the live run had no such rule.
      const added = new Set(live.rulesAddedSince ?? []);
      const replayFired = timeline.alerts.filter((a) => a.state === 'firing' && !added.has(a.alertname)).map((a) => `${key(a.labels)} @${Math.round((a.at - start) / step)}`).sort();
      assert.deepEqual(replayFired, liveFired);
    });
  }

  test('a broken rule change (the lag threshold raised tenfold) makes --check fail, naming the missing alert', async () => {
    const rules = join(await tempDir(), 'rules');
    await cp(SHIPPED_RULES_DIR, rules, { recursive: true });
    const file = join(rules, 'kafka-consumer-lag.yaml');
    const text = await readFile(file, 'utf8');
    assert.ok(text.includes('kafka_consumergroup_group_sum_lag > 10000\n'));
    await writeFile(file, text.replace('kafka_consumergroup_group_sum_lag > 10000\n', 'kafka_consumergroup_group_sum_lag > 100000\n'));
    const out = captureContext();
    assert.equal(await runCli(['replay', 'slow-consumer', '--check', '--rules', rules], () => out.ctx), 1);
    assert.deepEqual(out.stdout, [
      `FAILED ${relative(process.cwd(), join(FIXTURES_DIR, 'slow-consumer'))}: 1 difference from expected.yaml\n  - missing alert: KafkaConsumerGroupLagGrowing{group="reporting"} should fire between +00:15:00 and +00:19:00; it never fired\n`,
    ]);
  });
});
