import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { SluiceError } from '../../src/errors.ts';
import { loadScenario, parseScenario, startsLate } from '../../src/workload/scenario.ts';

const FIXTURES = new URL('../../fixtures/workloads/', import.meta.url);

/** Parses `lines` as scenario.yaml expecting failure; returns the message. */
function problems(lines: readonly string[]): string {
  try {
    parseScenario(lines.join('\n'), 'scenario.yaml');
  } catch (err) {
    assert.ok(err instanceof SluiceError);
    assert.equal(err.code, 'SLUICE_ERR_CONFIG_INVALID');
    return err.message;
  }
  assert.fail('expected the scenario to be rejected');
}

describe('parseScenario', () => {
  test('turns durations into ms and fills in defaults', () => {
    const scenario = parseScenario(
      [
        'name: noisy-producer',
        'duration: 300s',
        'users: { alice: alice-secret }',
        'topics:',
        '  - { name: orders, partitions: 6, replicationFactor: 3, configs: { min.insync.replicas: "2", retention.ms: 60000 } }',
        'producers:',
        '  - { id: core-orders, user: alice, topic: orders, rate: 500,',
        '      curve: { kind: diurnal, period: 24h, min: 0.3, max: 1.0 }, spikes: [ { at: 60s, for: 30s, factor: 4 } ] }',
        'consumers:',
        '  - { id: billing, group: billing, topics: [orders], instances: 2,',
        '      actions: [ { at: 120s, do: stop }, { at: 2m, do: slow, rate: 50 }, { at: 250s, do: rewind }, { at: 4m, do: rewind, to: 5m ago } ] }',
        'faults:',
        '  - { at: 500ms, do: set-capacity, broker: 0, logDirBytes: 100000000 }',
      ].join('\n'),
    );
    assert.equal(scenario.duration, 300_000);
    assert.equal(scenario.timeScale, 1);
    assert.deepEqual(scenario.topics, [
      { name: 'orders', partitions: 6, replicationFactor: 3, configs: { 'min.insync.replicas': '2', 'retention.ms': '60000' } },
    ]);
    assert.deepEqual(scenario.producers[0], {
      id: 'core-orders',
      user: 'alice',
      topic: 'orders',
      rate: 500,
      size: 1024,
      keys: 1000,
      acks: 'all',
      compression: 'none',
      curve: { kind: 'diurnal', period: 86_400_000, min: 0.3, max: 1, peak: 43_200_000 },
      spikes: [{ at: 60_000, for: 30_000, factor: 4 }],
    });
    assert.deepEqual(scenario.consumers[0]?.actions, [
      { at: 120_000, do: 'stop' },
      { at: 120_000, do: 'slow', rate: 50 },
      { at: 250_000, do: 'rewind', to: { kind: 'earliest' } },
      { at: 240_000, do: 'rewind', to: { kind: 'ago', ms: 300_000 } },
    ]);
    assert.equal(scenario.consumers[0]?.rate, 0);
    assert.equal(scenario.consumers[0]?.fetchBytesPerPartition, 1_048_576, "the Java consumer's max.partition.fetch.bytes");
    assert.deepEqual(scenario.faults, [{ at: 500, do: 'set-capacity', broker: 0, logDirBytes: 100_000_000 }]);
    assert.ok(Object.isFrozen(scenario.producers[0]));
  });

  test('names file:line:col and path of bad durations, values and kinds', () => {
    assert.equal(
      problems([
        'name: x',
        'duration: 0',
        'timeScale: 0',
        'producers:',
        '  - { id: a, topic: t, rate: -1, acks: 2, spikes: [ { at: 5x, for: 0s, factor: 2 }, { factor: 2 } ] }',
      ]),
      [
        'scenario.yaml:2:11: duration: expected a positive duration such as 500ms, 30s, 5m or 2h, or a number of seconds, got 0',
        'scenario.yaml:3:12: timeScale: expected a number > 0, got 0',
        'scenario.yaml:5:30: producers[0].rate: expected a number >= 0, got -1',
        'scenario.yaml:5:40: producers[0].acks: expected one of "all", -1, 0, 1, got 2',
        'scenario.yaml:5:59: producers[0].spikes[0].at: expected a duration such as 500ms, 30s, 5m or 2h, or a number of seconds, got "5x"',
        'scenario.yaml:5:68: producers[0].spikes[0].for: expected a positive duration such as 500ms, 30s, 5m or 2h, or a number of seconds, got "0s"',
        'scenario.yaml:5:85: producers[0].spikes[1].at: missing, expected a duration such as 500ms, 30s, 5m or 2h, or a number of seconds',
        'scenario.yaml:5:85: producers[0].spikes[1].for: missing, expected a positive duration such as 500ms, 30s, 5m or 2h, or a number of seconds',
      ].join('\n'),
    );
  });

  test('a consumer\'s fetch size per partition is a whole number of bytes from 1 to 100 MiB', () => {
    const consumer = (size: string) => ['name: x', 'consumers:', `  - { id: c, group: c, topics: [t], fetchBytesPerPartition: ${size} }`];
    assert.equal(parseScenario(consumer('65536').join('\n')).consumers[0]?.fetchBytesPerPartition, 65_536);
    assert.equal(problems(consumer('0')), 'scenario.yaml:3:61: consumers[0].fetchBytesPerPartition: expected an integer from 1 to 104857600, got 0');
    assert.equal(problems(consumer('1.5')), 'scenario.yaml:3:61: consumers[0].fetchBytesPerPartition: expected an integer from 1 to 104857600, got 1.5');
  });

  test('names unknown keys, actions, faults and rewind targets', () => {
    assert.equal(
      problems([
        'name: x',
        'consumers:',
        '  - id: billing',
        '    group: billing',
        '    topics: []',
        '    actions:',
        '      - { at: 1s, do: pause }',
        '      - { at: 2s, do: rewind, to: yesterday }',
        'faults:',
        '  - { at: 1s, do: set-capacity, broker: 0 }',
        '  - { at: 1s, do: set-latency, broker: -1, ms: 5, jitter: 1 }',
        '  - { at: 1s, do: reboot, broker: 0 }',
        'curve: {}',
      ]),
      [
        'scenario.yaml:5:13: consumers[0].topics: expected a non-empty list',
        'scenario.yaml:7:23: consumers[0].actions[0].do: expected one of "stop", "start", "slow", "rewind", got "pause"',
        'scenario.yaml:8:35: consumers[0].actions[1].to: expected earliest, latest, a date-time such as 2024-05-01T12:00:00Z, or a duration ago such as "5m ago", got "yesterday"',
        'scenario.yaml:10:5: faults[0]: expected at least one of networkInBytesPerSec, networkOutBytesPerSec, logDirBytes, requestHandlers',
        'scenario.yaml:11:40: faults[1].broker: expected a non-negative integer, got -1',
        'scenario.yaml:11:51: faults[1].jitter: unknown key',
        'scenario.yaml:12:19: faults[2].do: expected one of "stop-broker", "start-broker", "cut-replication", "restore-replication", "set-latency", "set-capacity", got "reboot"',
        'scenario.yaml:13:1: curve: unknown key',
      ].join('\n'),
    );
  });

  test('checks references across the file: users, ids, groups, topics, curve bounds', () => {
    assert.equal(
      problems([
        'name: x',
        'users: { alice: a }',
        'topics: [ { name: t, partitions: 1 }, { name: t, partitions: 2 } ]',
        'producers:',
        '  - { id: a, user: carol, topic: t, rate: 1 }',
        'consumers:',
        '  - { id: a, group: g, topics: [t] }',
        '  - { id: b, group: g, topics: [t], user: bob }',
      ]),
      [
        'scenario.yaml:3:47: topics[1].name: topic "t" is already listed as topics[0]',
        'scenario.yaml:5:20: producers[0].user: unknown user "carol"; users are alice',
        'scenario.yaml:7:11: consumers[0].id: id "a" is already used by producers[0]',
        'scenario.yaml:8:21: consumers[1].group: group "g" is already used by consumers[0]',
        'scenario.yaml:8:43: consumers[1].user: unknown user "bob"; users are alice',
      ].join('\n'),
    );
    assert.equal(
      problems(['name: x', 'producers:', '  - { id: a, topic: "bad topic", rate: 1, curve: { kind: diurnal, min: 2, max: 1 } }']),
      [
        'scenario.yaml:3:21: producers[0].topic: expected a topic name of letters, digits, ".", "_" and "-", got "bad topic"',
        'scenario.yaml:3:72: producers[0].curve.min: expected min <= max (1), got 2',
      ].join('\n'),
    );
  });

  test('requires a name and an object', () => {
    assert.equal(problems(['producers: []']), 'scenario.yaml:1:1: name: missing, expected a string');
    assert.equal(problems(['- a']), 'scenario.yaml:1:1: (top level): expected an object, got a list');
  });
});

test('a group starts late when its earliest action is start (the first listed among equals)', () => {
  const groups = parseScenario([
    'name: late',
    'consumers:',
    '  - { id: a, group: a, topics: [t] }',
    '  - { id: b, group: b, topics: [t], actions: [ { at: 20s, do: start } ] }',
    '  - { id: c, group: c, topics: [t], actions: [ { at: 40s, do: rewind }, { at: 20s, do: start } ] }',
    '  - { id: d, group: d, topics: [t], actions: [ { at: 20s, do: stop }, { at: 30s, do: start } ] }',
    '  - { id: e, group: e, topics: [t], actions: [ { at: 20s, do: slow, rate: 5 }, { at: 20s, do: start } ] }',
  ].join('\n'), 'late.yaml').consumers;
  assert.deepEqual(groups.map((g) => [g.id, startsLate(g)]), [['a', false], ['b', true], ['c', true], ['d', false], ['e', false]]);
});

describe('loadScenario', () => {
  test('every shipped scenario is valid', async () => {
    const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.yaml')).sort();
    assert.deepEqual(files, [
      'broker-down.yaml',
      'calm-day.yaml',
      'demo-story.yaml',
      'disk-filling.yaml',
      'leader-imbalance.yaml',
      'noisy-producer.yaml',
      'slow-consumer.yaml',
      'stalled-consumer.yaml',
      'topic-spike.yaml',
    ]);
    for (const file of files) {
      const scenario = await loadScenario(new URL(file, FIXTURES).pathname);
      assert.equal(scenario.name, file.replace(/\.yaml$/, ''), `${file}: name matches the file`);
      assert.ok(scenario.producers.length > 0, `${file}: has producers`);
    }
    const day = await loadScenario(new URL('calm-day.yaml', FIXTURES).pathname);
    assert.equal(day.timeScale, 1440);
    assert.equal(day.duration, 86_400_000);
  });

  test('a missing file is SLUICE_ERR_CONFIG_FILE naming the path', async () => {
    await assert.rejects(loadScenario('/nonexistent/scenario.yaml'), {
      code: 'SLUICE_ERR_CONFIG_FILE',
      message: '/nonexistent/scenario.yaml: file not found',
    });
  });
});
