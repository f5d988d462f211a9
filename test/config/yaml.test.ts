import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as z from 'zod';
import { loadYamlFile, parseYaml } from '../../src/config/index.ts';
import { SluiceError } from '../../src/errors.ts';

const positiveInteger = z.int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });

const schema = z.strictObject({
  broker: z.strictObject({
    port: z.int().min(0).max(65_535).default(9092),
    topics: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          partitions: positiveInteger,
          configs: z.record(z.string(), z.string()).optional(),
        }),
      )
      .default([]),
  }),
});

/** Parses `text` expecting failure and returns the error. */
function failure(text: string): SluiceError {
  try {
    parseYaml(text, schema, { file: 'sluice.yaml' });
  } catch (err) {
    assert.ok(err instanceof SluiceError);
    return err;
  }
  assert.fail('expected parsing to fail');
}

describe('parseYaml', () => {
  test('returns the validated value, deeply frozen', () => {
    const config = parseYaml('broker:\n  topics:\n    - { name: orders, partitions: 4 }\n', schema);
    assert.deepEqual(config, { broker: { port: 9092, topics: [{ name: 'orders', partitions: 4 }] } });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.broker.topics));
    assert.ok(Object.isFrozen(config.broker.topics[0]));
  });

  test('names the file, line and column of the bad value', () => {
    const text = [
      'broker:',
      '  topics:',
      '    - name: orders',
      '      partitions: 4',
      '    - name: payments',
      '      partitions: 2',
      '    - name: clicks',
      '      partitions: x',
    ].join('\n');
    const err = failure(text);
    assert.equal(err.code, 'SLUICE_ERR_CONFIG_INVALID');
    assert.equal(err.message, 'sluice.yaml:8:19: broker.topics[2].partitions: expected a positive integer, got "x"');
    assert.equal(err.path, 'broker.topics[2].partitions');
  });

  test('points at unknown keys and sorts problems by position', () => {
    const text = ['brokr: {}', 'broker:', '  port: 70000', '  topics:', '    - name: ""', '      partitions: 1', '      partitons: 2'].join('\n');
    assert.equal(
      failure(text).message,
      [
        'sluice.yaml:1:1: brokr: unknown key',
        'sluice.yaml:3:9: broker.port: expected an integer from 0 to 65535, got 70000',
        'sluice.yaml:5:13: broker.topics[0].name: expected a non-empty string, got ""',
        'sluice.yaml:7:7: broker.topics[0].partitons: unknown key',
      ].join('\n'),
    );
  });

  test('reports an empty value at its key and a missing key at its parent', () => {
    assert.equal(failure('broker:\n  port:\n').message, 'sluice.yaml:2:3: broker.port: expected an integer from 0 to 65535, got null');
    assert.equal(failure('broker:\n  topics:\n    - name: a\n').message, 'sluice.yaml:3:7: broker.topics[0].partitions: missing, expected a positive integer');
    assert.equal(failure('').message, 'sluice.yaml:1:1: (top level): expected an object, got null');
  });

  test('finds nodes inside flow collections and through aliases', () => {
    assert.equal(
      failure('broker:\n  topics: [{ name: a, partitions: 0 }]\n').message,
      'sluice.yaml:2:35: broker.topics[0].partitions: expected a positive integer, got 0',
    );
    const aliased = ['base: &t { name: a, partitions: -1 }', 'broker:', '  topics: [*t]'].join('\n');
    assert.equal(
      failure(aliased).message,
      ['sluice.yaml:1:1: base: unknown key', 'sluice.yaml:1:33: broker.topics[0].partitions: expected a positive integer, got -1'].join('\n'),
    );
  });

  test('quotes keys that are not identifiers', () => {
    const text = 'broker:\n  topics:\n    - name: a\n      partitions: 1\n      configs:\n        retention.ms: 1000\n';
    assert.equal(failure(text).message, 'sluice.yaml:6:23: broker.topics[0].configs["retention.ms"]: expected a string, got 1000');
  });

  test('reports YAML syntax errors with their position', () => {
    assert.equal(failure('broker:\n  port: 1\n  port: 2\n').message, 'sluice.yaml:3:3: YAML: Map keys must be unique');
    assert.equal(failure('broker: {}\n---\nbroker: {}\n').message, 'sluice.yaml:2:1: YAML: expected a single YAML document');
    assert.equal(failure('broker:\n  port: !!foo 1\n').message, 'sluice.yaml:2:9: YAML: Unresolved tag: tag:yaml.org,2002:foo');
  });

  test('names the input <input> when no file is given', () => {
    assert.throws(() => parseYaml('broker: 1\n', schema), { message: '<input>:1:9: broker: expected an object, got 1' });
  });
});

describe('loadYamlFile', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reads, validates and freezes a file', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, 'broker:\n  port: 19092\n');
    const config = await loadYamlFile(file, schema);
    assert.deepEqual(config, { broker: { port: 19092, topics: [] } });
    assert.ok(Object.isFrozen(config.broker));
  });

  test('names the file in validation errors', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'broker:\n  port: high\n');
    await assert.rejects(loadYamlFile(file, schema), {
      code: 'SLUICE_ERR_CONFIG_INVALID',
      message: `${file}:2:9: broker.port: expected an integer from 0 to 65535, got "high"`,
    });
  });

  test('fails with SLUICE_ERR_CONFIG_FILE when the file is missing', async () => {
    const file = join(dir, 'missing.yaml');
    await assert.rejects(loadYamlFile(file, schema), {
      code: 'SLUICE_ERR_CONFIG_FILE',
      message: `${file}: file not found`,
      path: file,
    });
  });
});
