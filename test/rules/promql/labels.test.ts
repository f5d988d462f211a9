// Label set keys are equal exactly for equal label sets, whatever characters the values hold
// (client ids are free-form in Kafka: the separators the keys use may be in them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, SeriesSet } from '../../../src/rules/promql/index.ts';
import { groupFn, labelsKey, signatureFn } from '../../../src/rules/promql/labels.ts';

const T = 1_700_000_000_000;

test('keys of different label sets differ even when values hold the separators', () => {
  const pairs: [Record<string, string>, Record<string, string>][] = [
    [{ client_id: 'y\u00ff', user: 'x' }, { client_id: 'y', user: '\u00ffx' }],
    [{ a: 'x\u00ffb\u0000y' }, { a: 'x', b: 'y' }],
    [{ a: 'x\u00fe0' }, { a: 'x\u00fe\u00fe0' }],
  ];
  for (const [a, b] of pairs) {
    assert.notEqual(labelsKey(a), labelsKey(b));
    const names = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    assert.notEqual(signatureFn(true, names)(a), signatureFn(true, names)(b));
    assert.notEqual(signatureFn(false, [])(a), signatureFn(false, [])(b));
    assert.notEqual(groupFn(true, names)(a).sig, groupFn(true, names)(b).sig);
  }
  assert.equal(labelsKey({ a: 'x\u00ff', b: '\u0000' }), labelsKey({ b: '\u0000', a: 'x\u00ff' }));
});

test('sum by (user, client_id) keeps two clients apart whose ids differ only in where a separator falls', async () => {
  const set = new SeriesSet();
  set.add({ __name__: 'bytes', user: 'x', client_id: 'y\u00ff' }, T, 1);
  set.add({ __name__: 'bytes', user: '\u00ffx', client_id: 'y' }, T, 2);
  const got = await new Engine().instant('sum by (user, client_id) (bytes)', T, set);
  assert.equal(got.kind, 'vector');
  assert.deepEqual(got.kind === 'vector' ? got.samples.map((s) => [s.metric, s.value]).sort((p, q) => p[1] as number - (q[1] as number)) : [], [
    [{ user: 'x', client_id: 'y\u00ff' }, 1],
    [{ user: '\u00ffx', client_id: 'y' }, 2],
  ]);
});
