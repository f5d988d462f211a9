/**
 * --check against expected.yaml and --compare of two rule versions, over a fixture built in
 * code: a consumer group falling 20 minutes behind in time. The shipped rules fire
 * KafkaConsumerGroupTimeLagHigh; the same rules with that threshold raised tenfold do not, and
 * --check names the missing alert.
 */
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import { checkTimeline } from '../../src/replay/check.ts';
import { parseExpected } from '../../src/replay/expected.ts';
import { replayFixture } from '../../src/replay/replayer.ts';
import { ruleFilesOf, SHIPPED_RULES_DIR } from '../../src/replay/run.ts';
import { writeFixture } from '../../src/replay/write.ts';
import { captureContext, fixtureOf, regularSeries, seriesOf, T0, tempDir } from './support.ts';
import { clusterSeries, NOW as THROTTLE_NOW, START as THROTTLE_START } from '../throttle/support.ts';

const MIN = 60_000;
const START = T0 + 10 * MIN;

/** The billing group's time lag: 5 s until +0, then growing 1 s a second (1,800 s behind at +30 min). */
function lagFixture() {
  const series = [regularSeries('kafka_consumergroup_group_max_lag_seconds', { cluster: 'c1', group: 'billing' }, T0, 10_000, 241, (_, t) => (t < START ? 5 : 5 + (t - START) / 1000))];
  series.push(regularSeries('sluice_cluster_broker_up', { cluster: 'c1', broker: '0' }, T0, 10_000, 241, () => 1));
  return fixtureOf(series, { incidentStart: START, name: 'lag' });
}

const EXPECTED = `# billing falls behind from +0; 900 s of lag at +15m, then 5 min pending
fire:
  - alertname: KafkaConsumerGroupTimeLagHigh
    labels: { group: billing }
    earliest: 19m
    latest: 21m
notFire:
  - labels: { severity: page }
decisions: []
`;

async function fixtureDir(): Promise<string> {
  const dir = join(await tempDir(), 'lag');
  await writeFixture(dir, lagFixture());
  await writeFile(join(dir, 'expected.yaml'), EXPECTED);
  return dir;
}

/** The shipped rule packs with KafkaConsumerGroupTimeLagHigh's threshold raised tenfold. */
async function brokenRules(): Promise<string> {
  const dir = join(await tempDir(), 'rules');
  await cp(SHIPPED_RULES_DIR, dir, { recursive: true });
  const file = join(dir, 'kafka-consumer-lag.yaml');
  const text = await readFile(file, 'utf8');
  assert.ok(text.includes('kafka_consumergroup_group_max_lag_seconds > 900'));
  await writeFile(file, text.replace('kafka_consumergroup_group_max_lag_seconds > 900', 'kafka_consumergroup_group_max_lag_seconds > 9000'));
  return dir;
}

describe('replay --check and --compare', () => {
  test('the shipped rules match expected.yaml: ok, exit 0', async () => {
    const dir = await fixtureDir();
    const out = captureContext();
    assert.equal(await runCli(['replay', dir, '--check'], () => out.ctx), 0, out.stdout.join('') + out.stderr.join(''));
    assert.deepEqual(out.stdout, [`ok ${dir}: the replay matches expected.yaml\n`]);
  });

  test('a threshold raised tenfold makes --check fail with a diff naming the missing alert', async () => {
    const dir = await fixtureDir();
    const rules = await brokenRules();
    const out = captureContext();
    assert.equal(await runCli(['replay', dir, '--check', '--rules', rules], () => out.ctx), 1);
    assert.deepEqual(out.stdout, [
      `FAILED ${dir}: 1 difference from expected.yaml\n  - missing alert: KafkaConsumerGroupTimeLagHigh{group="billing"} should fire between +00:19:00 and +00:21:00; it never fired\n`,
    ]);
  });

  test('alerts outside their window and alerts that must not fire are differences too', async () => {
    const timeline = await replayFixture(lagFixture(), { ruleFiles: await ruleFilesOf(undefined) });
    const expected = parseExpected('fire:\n  - { alertname: KafkaConsumerGroupTimeLagHigh, earliest: 1m, latest: 5m }\n  - { alertname: KafkaBrokerDown }\nnotFire:\n  - { labels: { severity: warning } }\ndecisions:\n  - { entity: "user=carol,client-id=clickstream", change: lower }\n');
    assert.deepEqual(checkTimeline(timeline, expected).map((d) => `${d.kind}: ${d.text}`), [
      'mistimed: mistimed alert: KafkaConsumerGroupTimeLagHigh{} should fire between +00:01:00 and +00:05:00; it fired at +00:20:00',
      'missing: missing alert: KafkaBrokerDown{} should fire at some time; it never fired',
      'unexpected: unexpected alert: KafkaConsumerGroupTimeLagHigh{group="billing",severity="warning",team="kafka-platform"} fired at +00:20:00 (notFire[0]: {"severity":"warning"})',
      'missing: missing decision: lower of user=carol,client-id=clickstream at some time; none was made',
    ]);
  });

  test('--compare shows the two rule versions side by side; a bad expected.yaml exits 2 naming file:line:col', async () => {
    const dir = await fixtureDir();
    const rules = await brokenRules();
    const out = captureContext();
    assert.equal(await runCli(['replay', dir, '--compare', SHIPPED_RULES_DIR, rules], () => out.ctx), 0, out.stderr.join(''));
    const lines = out.stdout.join('').split('\n');
    assert.equal(lines[0], `compare on lag: A = ${SHIPPED_RULES_DIR}, B = ${rules} (times from the incident start)`);
    assert.equal(lines[1], '1 rows: 0 the same, 1 different');
    assert.equal(lines[4], 'alert KafkaConsumerGroupTimeLagHigh{group="billing",severity="warning",team="kafka-platform"}  +00:20:00  -  only in A');

    await writeFile(join(dir, 'expected.yaml'), 'fire:\n  - alertname: KafkaConsumerGroupTimeLagHigh\n    earliest: soon\n');
    const bad = captureContext();
    assert.equal(await runCli(['replay', dir, '--check'], () => bad.ctx), 2);
    assert.match(bad.stderr.join(''), /^sluice: SLUICE_ERR_CONFIG_INVALID: .*expected\.yaml:3:15: fire\[0\]\.earliest: expected a duration from the incident start such as 90s, 10m or -5m, got "soon"\n$/);
  });

  test('--compare takes two throttle policy files too: the decision the stricter target does not make is only in A', async () => {
    const dir = await tempDir();
    const fixture = join(dir, 'burst');
    await writeFixture(fixture, fixtureOf(await seriesOf(clusterSeries(true)), { cluster: 'east', from: THROTTLE_START, to: THROTTLE_NOW + 15 * MIN, incidentStart: THROTTLE_NOW - 3 * MIN, name: 'burst' }));
    const groups = 'groups:\n  - { name: core, priority: 3, weight: 4, floor: 5000000, match: [{ user: orders }] }\n  - { name: general, priority: 0, weight: 1, floor: 1000000, match: [{}] }\n';
    await writeFile(join(dir, 'a.yaml'), `mode: auto\n${groups}`);
    await writeFile(join(dir, 'b.yaml'), `mode: auto\ntarget: 0.95\n${groups}`);
    const out = captureContext();
    assert.equal(await runCli(['replay', fixture, '--compare', join(dir, 'a.yaml'), join(dir, 'b.yaml'), '--json'], () => out.ctx), 0, out.stderr.join(''));
    const doc = JSON.parse(out.stdout.join('')) as { rows: { what: string; a: string | null; b: string | null; verdict: string }[] };
    assert.deepEqual(doc.rows, [{ what: 'quota lower user=batch,client-id=loader producer_byte_rate', a: new Date(THROTTLE_NOW + MIN).toISOString(), b: null, verdict: 'only in A' }]);
  });
});
