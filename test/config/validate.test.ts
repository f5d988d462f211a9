import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as z from 'zod';
import { describeValue, formatPath, validate } from '../../src/config/index.ts';
import { SluiceError } from '../../src/errors.ts';

/** Runs `validate` expecting failure and returns the error. */
function failure(schema: z.ZodType, input: unknown, options?: Parameters<typeof validate>[2]): SluiceError {
  try {
    validate(schema, input, options);
  } catch (err) {
    assert.ok(err instanceof SluiceError);
    return err;
  }
  assert.fail('expected validation to fail');
}

const positiveInteger = z.int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });

const brokerSchema = z.strictObject({
  broker: z.strictObject({
    port: z.int().min(0).max(65_535),
    topics: z.array(z.strictObject({ name: z.string().min(1), partitions: positiveInteger })),
    mode: z.enum(['single', 'cluster']).default('single'),
    password: z.string().min(12).optional(),
  }),
});

describe('validate', () => {
  test('returns the parsed value, defaults applied', () => {
    const value = validate(brokerSchema, { broker: { port: 9092, topics: [{ name: 'orders', partitions: 4 }] } });
    assert.deepEqual(value, { broker: { port: 9092, topics: [{ name: 'orders', partitions: 4 }], mode: 'single' } });
  });

  test('names the exact path of a bad list entry', () => {
    const err = failure(brokerSchema, {
      broker: { port: 1, topics: [{ name: 'a', partitions: 1 }, { name: 'b', partitions: 2 }, { name: 'c', partitions: 'x' }] },
    });
    assert.equal(err.code, 'SLUICE_ERR_CONFIG_INVALID');
    assert.equal(err.message, 'broker.topics[2].partitions: expected a positive integer, got "x"');
    assert.equal(err.path, 'broker.topics[2].partitions');
    assert.equal(err.canRetry, false);
  });

  test('lists every problem on its own line, unknown keys one by one', () => {
    const err = failure(brokerSchema, { broker: { port: 70_000, mode: 'solo', extra: 1, other: true }, oops: 1 });
    assert.equal(
      err.message,
      [
        'broker.port: expected an integer from 0 to 65535, got 70000',
        'broker.topics: missing, expected a list',
        'broker.mode: expected one of "single", "cluster", got "solo"',
        'broker.extra: unknown key',
        'broker.other: unknown key',
        'oops: unknown key',
      ].join('\n'),
    );
  });

  test('never shows the value of a secret', () => {
    const err = failure(brokerSchema, { broker: { port: 1, topics: [], password: 'hunter2' } });
    assert.equal(err.message, 'broker.password: expected at least 12 characters, got a string of 7 characters');
  });

  test('uses the code, source and labels it is given', () => {
    const err = failure(z.strictObject({ maxBytes: z.int() }), { maxBytes: 1.5 }, {
      code: 'SLUICE_ERR_CLI_ARGUMENT',
      source: 'flags',
      label: (path) => `--${String(path[0])}`,
    });
    assert.equal(err.code, 'SLUICE_ERR_CLI_ARGUMENT');
    assert.equal(err.message, 'flags: --maxBytes: expected an integer, got 1.5');
  });

  test('words number rules as one range', () => {
    const cases: [z.ZodType, unknown, string][] = [
      [z.int().positive(), 0, 'expected a positive integer, got 0'],
      [z.int().nonnegative(), -1, 'expected a non-negative integer, got -1'],
      [z.int().min(5), 'x', 'expected an integer >= 5, got "x"'],
      [z.number().positive(), 0, 'expected a number > 0, got 0'],
      [z.number().gt(0).lte(1), 2, 'expected a number > 0 and <= 1, got 2'],
      [z.number().multipleOf(5), 7, 'expected a multiple of 5, got 7'],
    ];
    for (const [schema, input, message] of cases) {
      assert.equal(failure(schema, input).message, `(top level): ${message}`);
    }
  });

  test('words strings, lists, unions and records', () => {
    const cases: [z.ZodType, unknown, string][] = [
      [z.string().min(1), '', '(top level): expected a non-empty string, got ""'],
      [z.string().max(3), 'abcd', '(top level): expected at most 3 characters, got "abcd"'],
      [z.string().regex(/^[a-z]+$/), 'A', '(top level): expected a string matching /^[a-z]+$/, got "A"'],
      [z.string().startsWith('sl'), 'kafka', '(top level): expected a string starting with "sl", got "kafka"'],
      [z.email(), 'nobody', '(top level): expected a valid email, got "nobody"'],
      [z.array(z.string()).min(2), ['a'], '(top level): expected at least 2 items'],
      [z.array(z.string()), 'a', '(top level): expected a list, got "a"'],
      [z.union([z.string(), z.number()]), true, '(top level): expected a string or a number, got true'],
      [z.literal('on'), 'off', '(top level): expected "on", got "off"'],
      [z.strictObject({ a: z.boolean() }), { a: 'yes' }, 'a: expected true or false, got "yes"'],
      [z.strictObject({ a: z.string() }), [], '(top level): expected an object, got a list'],
      [
        z.record(z.string().regex(/^[a-z.]+$/), z.string()),
        { 'Retention.MS': '1' },
        '["Retention.MS"]: invalid key, expected a string matching /^[a-z.]+$/',
      ],
      [
        z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('email') }), z.strictObject({ kind: z.literal('webhook') })]),
        { kind: 'pager' },
        'kind: expected one of "email", "webhook", got "pager"',
      ],
    ];
    for (const [schema, input, message] of cases) {
      assert.equal(failure(schema, input).message, message);
    }
  });

  test('keeps a message a schema words itself, custom issues unchanged', () => {
    const schema = z
      .strictObject({ min: z.number(), max: z.number() })
      .refine((v) => v.min <= v.max, { message: 'min must not exceed max', path: ['min'] });
    assert.equal(failure(schema, { min: 3, max: 1 }).message, 'min: min must not exceed max');
  });

  test('lists at most 20 problems and counts the rest', () => {
    const err = failure(z.array(z.string()), Array.from({ length: 23 }, (_, i) => i));
    const lines = err.message.split('\n');
    assert.equal(lines.length, 21);
    assert.equal(lines[0], '[0]: expected a string, got 0');
    assert.equal(lines[20], '… and 3 more problems');
  });
});

describe('formatPath', () => {
  test('writes keys, indexes and quoted keys', () => {
    assert.equal(formatPath(['broker', 'topics', 2, 'configs', 'retention.ms']), 'broker.topics[2].configs["retention.ms"]');
    assert.equal(formatPath(['max-frame-bytes']), 'max-frame-bytes');
    assert.equal(formatPath([]), '(top level)');
  });
});

describe('describeValue', () => {
  test('shows primitives and names containers', () => {
    assert.equal(describeValue('x'.repeat(61)), `"${'x'.repeat(60)}…"`);
    assert.equal(describeValue(undefined), 'nothing');
    assert.equal(describeValue(null), 'null');
    assert.equal(describeValue(10n), '10n');
    assert.equal(describeValue({}), 'an object');
    assert.equal(describeValue([1]), 'a list');
  });
});
