/**
 * Replay over fixtures built in code, with the shipped rule packs, the notifier's dispatcher and
 * the throttle loop on a virtual clock: exact alert transitions, notifications after grouping
 * and inhibition, quota decisions with their reasons, byte-identical JSON, and the CLI's exit
 * codes.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import { replayFixture } from '../../src/replay/replayer.ts';
import { ruleFilesOf, loadThrottleConfig } from '../../src/replay/run.ts';
import { timelineJson } from '../../src/replay/timeline.ts';
import { writeFixture } from '../../src/replay/write.ts';
import { clusterSeries, NOW, START } from '../throttle/support.ts';
import { brokerDownFixture, captureContext, fixtureOf, seriesOf, T0, tempDir } from './support.ts';

const MIN = 60_000;

const at = (offsetMin: number, base = T0 + 10 * MIN) => base + offsetMin * MIN;

describe('replay', () => {
  test('alerts go pending, fire and resolve at the evaluation times; the broker-down alert inhibits the under-replication notification while it fires', async () => {
    const timeline = await replayFixture(brokerDownFixture(), { ruleFiles: await ruleFilesOf(undefined) });
    assert.deepEqual(timeline.alerts.map((a) => [a.at, a.state, a.alertname, a.labels.broker ?? '']), [
      [at(0), 'pending', 'KafkaBrokerDown', '1'],
      [at(0), 'pending', 'KafkaUnderReplicatedPartitions', ''],
      [at(2), 'firing', 'KafkaBrokerDown', '1'],
      [at(10), 'firing', 'KafkaUnderReplicatedPartitions', ''],
      [at(15), 'resolved', 'KafkaBrokerDown', '1'],
      [at(20), 'resolved', 'KafkaUnderReplicatedPartitions', ''],
    ]);
    assert.deepEqual(timeline.alerts[2]!.labels, { alertname: 'KafkaBrokerDown', broker: '1', cluster: 'c1', severity: 'page', team: 'kafka-platform' });
    // group_wait 30 s, group_interval 5 min; URP's first flushes (+10:30) fall while the broker-down alert fires.
    assert.deepEqual(timeline.notifications.map((n) => [n.at, n.status, n.alerts.map((a) => `${a.labels.alertname}:${a.status}`).join(',')]), [
      [at(2.5), 'firing', 'KafkaBrokerDown:firing'],
      [at(15.5), 'firing', 'KafkaUnderReplicatedPartitions:firing'],
      [at(17.5), 'resolved', 'KafkaBrokerDown:resolved'],
      [at(20.5), 'resolved', 'KafkaUnderReplicatedPartitions:resolved'],
    ]);
    assert.equal(timeline.notifications[0]!.groupKey, '{}:{alertname="KafkaBrokerDown", cluster="c1"}');
    assert.deepEqual([timeline.rules.files.length, timeline.rules.groups, timeline.throttle.rounds, timeline.throttle.failedRounds], [7, 7, 40, 0]);
    assert.deepEqual(timeline.decisions, []);
    assert.deepEqual(timeline.ruleErrors, []);
  });

  test('the throttle loop limits the client over its share once, with its reason, and proposes nothing more while it is at its allocation', async () => {
    const dir = await tempDir();
    const policy = join(dir, 'throttle.yaml');
    await writeFile(policy, 'mode: auto\ninterval: 60\ngroups:\n  - { name: core, priority: 3, weight: 4, floor: 5000000, match: [{ user: orders }] }\n  - { name: general, priority: 0, weight: 1, floor: 1000000, match: [{}] }\n');
    const fixture = fixtureOf(await seriesOf(clusterSeries(true)), { cluster: 'east', from: START, to: NOW + 15 * MIN, incidentStart: NOW - 3 * MIN, name: 'burst' });
    const timeline = await replayFixture(fixture, { ruleFiles: await ruleFilesOf(undefined), throttle: await loadThrottleConfig(policy) });
    const first = timeline.decisions[0]!;
    assert.deepEqual(
      [first.at, first.entity, first.direction, first.quotaKey, first.change, first.oldValue, first.newValue, first.status, first.state],
      [NOW + MIN, 'user=batch,client-id=loader', 'produce', 'producer_byte_rate', 'lower', null, 50_000_000, 'applied', 'pressured'],
    );
    assert.match(first.reason, /^pressured: demand \d+ B\/s \(measured\) over its general allocation 50000000 B\/s of 70000000 B\/s per broker \(network in of broker 0\)$/);
    // The network bounds the capacity exactly (70 MB/s in at the target), so the pressured rounds
    // after it find the client at its allocation already: nothing more to propose.
    assert.deepEqual(timeline.decisions.slice(1).map((d) => [d.at - NOW, d.status, d.guardrails.join('; ')]), []);
    assert.deepEqual(timeline.diagnoses.map((d) => [d.at - NOW, d.state]), [[-19 * MIN, 'steady'], [-18 * MIN, 'headroom'], [-1 * MIN, 'steady'], [MIN, 'pressured'], [3 * MIN, 'steady'], [11 * MIN, 'pressured'], [13 * MIN, 'steady']]);
    assert.equal(timeline.throttle.rounds, 35);
  });

  test('the same fixture and config give byte-identical JSON; --from/--to replay a part', async () => {
    const files = await ruleFilesOf(undefined);
    const a = timelineJson(await replayFixture(brokerDownFixture(), { ruleFiles: files }));
    const b = timelineJson(await replayFixture(brokerDownFixture(), { ruleFiles: files }));
    assert.equal(a, b);
    const part = await replayFixture(brokerDownFixture(), { ruleFiles: files, from: at(1), to: at(12) });
    assert.deepEqual([part.window.from, part.window.to], [at(1), at(12)]);
    // The head is warm with what came before --from: the alert that was pending since +0 is pending from +1.
    assert.deepEqual(part.alerts.map((x) => [x.at, x.state, x.alertname]), [
      [at(1), 'pending', 'KafkaBrokerDown'], [at(1), 'pending', 'KafkaUnderReplicatedPartitions'], [at(3), 'firing', 'KafkaBrokerDown'], [at(11), 'firing', 'KafkaUnderReplicatedPartitions'],
    ]);
  });

  test('sluice replay prints the timeline, --json the same for machines; a corrupt fixture exits 2 naming the file and line', async () => {
    const dir = join(await tempDir(), 'broker-down');
    await writeFixture(dir, brokerDownFixture());
    const text = captureContext();
    assert.equal(await runCli(['replay', dir], () => text.ctx), 0, text.stderr.join(''));
    const lines = text.stdout.join('').split('\n');
    assert.equal(lines[0], `replay broker-down-synthetic (cluster c1) ${new Date(T0).toISOString()} .. ${new Date(T0 + 40 * MIN).toISOString()}, incident start ${new Date(at(0)).toISOString()}`);
    assert.ok(lines.includes(`+00:02:00  ${new Date(at(2)).toISOString()}  firing    KafkaBrokerDown{broker="1",severity="page",team="kafka-platform"} = 0`), lines.join('\n'));
    assert.ok(lines.includes(`+00:02:30  ${new Date(at(2.5)).toISOString()}  notify    kafka-platform/webhook [FIRING:1] KafkaBrokerDown{broker="1",severity="page",team="kafka-platform"}`), lines.join('\n'));
    const json = captureContext();
    assert.equal(await runCli(['replay', dir, '--json'], () => json.ctx), 0);
    const doc = JSON.parse(json.stdout.join('')) as { alerts: { at: string; offsetSeconds: number; state: string }[] };
    assert.deepEqual(doc.alerts[2], { at: new Date(at(2)).toISOString(), offsetSeconds: 120, state: 'firing', alertname: 'KafkaBrokerDown', labels: { alertname: 'KafkaBrokerDown', broker: '1', cluster: 'c1', severity: 'page', team: 'kafka-platform' }, value: 0 });

    const meta = join(dir, 'fixture.json');
    await writeFile(meta, (await readFile(meta, 'utf8')).replace('"version": 1', '"version": 2'));
    const bad = captureContext();
    assert.equal(await runCli(['replay', dir], () => bad.ctx), 2);
    assert.deepEqual(bad.stderr, [`sluice: SLUICE_ERR_FIXTURE_INVALID: ${meta}:3: version: unknown fixture version 2: this Sluice reads version 1\n`]);
  });
});
