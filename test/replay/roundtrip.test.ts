/**
 * Round trip, all real: the bundled 3-broker cluster over sockets runs a workload with a broker
 * stopped and started again, the service collects it (PostgreSQL at DATABASE_URL, else PGlite)
 * and evaluates rules live; the window is exported with the recorder `sluice record` uses and
 * replayed with the same rules. Every alert that went pending, fired or resolved live does so in
 * replay at the same evaluation (live times drift from the 1 s grid by the timers' few ms).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadFixture } from '../../src/replay/load.ts';
import { DEFAULT_REPLAY_THROTTLE, replayFixture } from '../../src/replay/replayer.ts';
import { recordWorkload } from '../../src/replay/workload-recorder.ts';
import { DATABASE_URL } from '../store/support.ts';
import { tempDir } from './support.ts';

const RULES = `groups:
  - name: roundtrip
    interval: 1s
    rules:
      - alert: RoundTripBrokerDown
        expr: sluice_cluster_broker_up == 0
        for: 2s
        labels: { severity: page }
      - alert: RoundTripUnderReplicated
        expr: sum by (cluster) (kafka_server_replicamanager_underreplicatedpartitions) > 0
        for: 3s
        labels: { severity: warning }
`;

const SCENARIO = `name: roundtrip
duration: 20s
topics:
  - { name: orders, partitions: 3, replicationFactor: 3 }
producers:
  - { id: orders, topic: orders, rate: 50, size: 256, keys: 100, acks: all }
faults:
  - { at: 5s, do: stop-broker, broker: 1 }
  - { at: 12s, do: start-broker, broker: 1 }
`;

test('alerts that fired live fire in replay at the same evaluation times', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'rules.yaml'), RULES);
  await writeFile(join(dir, 'scenario.yaml'), SCENARIO);
  const out = join(dir, 'fixture');
  const { live } = await recordWorkload({
    scenarioFile: join(dir, 'scenario.yaml'), out, name: 'roundtrip', description: 'broker 1 stops for 7 s', incidentStartMs: 5000,
    collectIntervalSeconds: 1, rulesIntervalSeconds: 1, ruleFiles: [join(dir, 'rules.yaml')],
    ...(DATABASE_URL === undefined ? {} : { databaseUrl: DATABASE_URL }),
  });
  const fired = live.alerts.filter((a) => a.firedAt !== undefined);
  assert.ok(fired.some((a) => a.labels.alertname === 'RoundTripBrokerDown' && a.labels.broker === '1'), `live alerts: ${JSON.stringify(live.alerts)}`);
  assert.ok(fired.some((a) => a.labels.alertname === 'RoundTripUnderReplicated'), `live alerts: ${JSON.stringify(live.alerts)}`);

  const fixture = await loadFixture(out);
  assert.equal(fixture.meta.rulesStart, live.rulesStart);
  const timeline = await replayFixture(fixture, { ruleFiles: [join(dir, 'rules.yaml')], throttle: { ...DEFAULT_REPLAY_THROTTLE, mode: 'off' } });
  // The evaluation a time belongs to: replay's are exactly on the grid, live ones a few ms after.
  const evaluation = (t: number): number => Math.round((t - live.rulesStart) / 1000);
  const key = (labels: Readonly<Record<string, string>>): string => Object.keys(labels).sort().filter((k) => k !== 'alertstate').map((k) => `${k}=${labels[k]}`).join(',');
  const liveEvents = live.alerts.flatMap((a) => [
    `${key(a.labels)} pending@${evaluation(a.activeAt)}`,
    ...(a.firedAt === undefined ? [] : [`${key(a.labels)} firing@${evaluation(a.firedAt)}`]),
    ...(a.resolvedAt === undefined ? [] : [`${key(a.labels)} resolved@${evaluation(a.resolvedAt)}`]),
  ]).sort();
  const replayEvents = timeline.alerts.filter((a) => a.at <= fixture.meta.to).map((a) => `${key(a.labels)} ${a.state}@${evaluation(a.at)}`).sort();
  for (const t of timeline.alerts) assert.equal((t.at - live.rulesStart) % 1000, 0, 'replay evaluates on the recorded grid');
  assert.deepEqual(replayEvents, liveEvents);
});
