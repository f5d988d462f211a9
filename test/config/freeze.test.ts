import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deepFreeze } from '../../src/config/index.ts';

describe('deepFreeze', () => {
  test('freezes nested objects and arrays in place', () => {
    const value = { a: { b: [1, { c: 2 }] } };
    const frozen = deepFreeze(value);
    assert.equal(frozen, value);
    assert.ok(Object.isFrozen(value.a));
    assert.ok(Object.isFrozen(value.a.b));
    assert.ok(Object.isFrozen(value.a.b[1]));
    assert.throws(() => {
      (value.a as { b: unknown }).b = [];
    }, TypeError);
  });

  test('leaves class instances, maps and dates alone', () => {
    const when = new Date(0);
    const value = { when, seen: new Map([['a', 1]]) };
    deepFreeze(value);
    assert.ok(Object.isFrozen(value));
    assert.equal(Object.isFrozen(when), false);
    assert.equal(Object.isFrozen(value.seen), false);
  });

  test('handles cycles and primitives', () => {
    const value: { self?: unknown } = {};
    value.self = value;
    assert.equal(deepFreeze(value), value);
    assert.equal(deepFreeze(3), 3);
    assert.equal(deepFreeze(null), null);
  });
});
