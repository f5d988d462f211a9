import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  flagLabel,
  parseSaslUsersOption,
  parseTopicsOption,
  readTopics,
  topicNameProblem,
} from '../../src/cli/options.ts';
import { SluiceError } from '../../src/errors.ts';

/** Asserts that `fn` throws SLUICE_ERR_CLI_ARGUMENT with exactly `message`. */
function assertCliError(fn: () => unknown, message: string, path: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SluiceError);
    assert.equal(err.code, 'SLUICE_ERR_CLI_ARGUMENT');
    assert.equal(err.message, message);
    assert.equal(err.path, path);
    return true;
  });
}

describe('parseTopicsOption', () => {
  test('reads name:partitions items in order, trimming spaces', () => {
    assert.deepEqual(parseTopicsOption('orders:4,payments:2'), [
      { name: 'orders', partitions: 4 },
      { name: 'payments', partitions: 2 },
    ]);
    assert.deepEqual(parseTopicsOption(' clicks : 8 , app.events_v1-x:1 '), [
      { name: 'clicks', partitions: 8 },
      { name: 'app.events_v1-x', partitions: 1 },
    ]);
  });

  test('reads an optional replication factor: name:partitions:replication', () => {
    assert.deepEqual(parseTopicsOption('orders:4:3, payments : 2 : 1 ,clicks:8'), [
      { name: 'orders', partitions: 4, replicationFactor: 3 },
      { name: 'payments', partitions: 2, replicationFactor: 1 },
      { name: 'clicks', partitions: 8 },
    ]);
  });

  test('names the bad item and what was expected', () => {
    const cases: [string, string][] = [
      ['', '--topics: expected a comma-separated list of name:partitions[:replication], e.g. orders:4,payments:2:3, got ""'],
      ['orders:4,,payments:2', '--topics: item 2 is empty; expected name:partitions[:replication], e.g. orders:4'],
      ['orders', '--topics: item 1 "orders": expected name:partitions with a positive integer partition count, e.g. orders:4'],
      ['orders:4,payments:x', '--topics: item 2 "payments:x": expected name:partitions with a positive integer partition count, e.g. orders:4'],
      ['orders:0', '--topics: item 1 "orders:0": expected name:partitions with a positive integer partition count, e.g. orders:4'],
      ['orders:-1', '--topics: item 1 "orders:-1": expected name:partitions with a positive integer partition count, e.g. orders:4'],
      ['orders:1.5', '--topics: item 1 "orders:1.5": expected name:partitions with a positive integer partition count, e.g. orders:4'],
      [':4', '--topics: item 1 ":4": expected name:partitions with a positive integer partition count, e.g. orders:4'],
      ['orders:2147483648', '--topics: item 1 "orders:2147483648": partition count must be at most 2147483647'],
      ['my topic:1', '--topics: item 1 "my topic:1": topic name "my topic" may only contain letters, digits, ".", "_" and "-"'],
      ['a:b:1', '--topics: item 1 "a:b:1": expected name:partitions with a positive integer partition count, e.g. orders:4'],
      ['a:1:2:3', '--topics: item 1 "a:1:2:3": expected name:partitions[:replication], e.g. orders:4:3'],
      ['orders:4:0', '--topics: item 1 "orders:4:0": replication factor must be an integer from 1 to 32767, e.g. orders:4:3'],
      ['orders:4:', '--topics: item 1 "orders:4:": replication factor must be an integer from 1 to 32767, e.g. orders:4:3'],
      ['orders:4:x', '--topics: item 1 "orders:4:x": replication factor must be an integer from 1 to 32767, e.g. orders:4:3'],
      ['orders:4:32768', '--topics: item 1 "orders:4:32768": replication factor must be an integer from 1 to 32767, e.g. orders:4:3'],
      ['my topic:1:1', '--topics: item 1 "my topic:1:1": topic name "my topic" may only contain letters, digits, ".", "_" and "-"'],
      ['..:1', '--topics: item 1 "..:1": topic name cannot be ".."'],
      ['orders:4,payments:2,orders:1', '--topics: item 3 "orders:1": topic "orders" is already listed as item 1'],
    ];
    for (const [input, message] of cases) assertCliError(() => parseTopicsOption(input), message, '--topics');
  });

  test('returns the problem without throwing from readTopics', () => {
    assert.deepEqual(readTopics('x:0'), {
      ok: false,
      problem: 'item 1 "x:0": expected name:partitions with a positive integer partition count, e.g. orders:4',
    });
  });
});

describe('topicNameProblem', () => {
  test('accepts Kafka topic names and rejects the rest', () => {
    assert.equal(topicNameProblem('a'.repeat(249)), undefined);
    assert.equal(topicNameProblem('a'.repeat(250)), 'topic name is longer than 249 characters');
    assert.equal(topicNameProblem('.'), 'topic name cannot be "."');
    assert.equal(topicNameProblem('é'), 'topic name "é" may only contain letters, digits, ".", "_" and "-"');
  });
});

describe('parseSaslUsersOption', () => {
  test('reads user:password items; passwords may hold colons', () => {
    assert.deepEqual(parseSaslUsersOption('alice:secret,bob:pw'), { alice: 'secret', bob: 'pw' });
    assert.deepEqual(parseSaslUsersOption(' carol:a:b:c '), { carol: 'a:b:c' });
  });

  test('keeps a user named __proto__ as a plain entry', () => {
    const users = parseSaslUsersOption('__proto__:x');
    assert.deepEqual(Object.keys(users), ['__proto__']);
    assert.equal(Object.getPrototypeOf(users), Object.prototype);
  });

  test('names the bad item without ever showing a password', () => {
    const cases: [string, string][] = [
      [' ', '--sasl-users: expected a comma-separated list of user:password, e.g. alice:secret, got ""'],
      ['alice:secret,', '--sasl-users: item 2 is empty; expected user:password'],
      ['alice:secret,hunter2', '--sasl-users: item 2: expected user:password (no ":" found)'],
      [':hunter2', '--sasl-users: item 1: user name is empty; expected user:password'],
      ['alice:', '--sasl-users: item 1 (user "alice"): password is empty'],
      ['alice:hunter2,bob:x,alice:hunter3', '--sasl-users: item 3 (user "alice"): user "alice" is already listed as item 1'],
    ];
    for (const [input, message] of cases) {
      assertCliError(() => parseSaslUsersOption(input), message, '--sasl-users');
      assert.ok(!message.includes('hunter'));
    }
  });
});

describe('flagLabel', () => {
  test('shows option keys as the flags users type', () => {
    assert.equal(flagLabel(['maxFrameBytes']), '--max-frame-bytes');
    assert.equal(flagLabel(['port']), '--port');
  });
});
