import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sortAlerts, toHeld } from '../../src/notify/held-alerts.ts';
import { fingerprint } from '../../src/notify/labels.ts';

const NOW = Date.UTC(2024, 2, 10, 12, 0, 0);

describe('toHeld', () => {
  it('drops empty labels, sorts the rest and fingerprints them', () => {
    const held = toHeld({ labels: { z: '1', a: '2', empty: '' }, annotations: { s: 'x' }, startsAt: '2024-03-10T11:00:00Z', endsAt: '2024-03-10T13:00:00Z', generatorURL: 'g' }, NOW);
    assert.deepEqual(held, { fingerprint: fingerprint({ a: '2', z: '1' }), labels: { a: '2', z: '1' }, annotations: { s: 'x' }, startsAt: '2024-03-10T11:00:00Z', endsAt: '2024-03-10T13:00:00Z', generatorURL: 'g', endsAtMs: NOW + 3_600_000 });
    assert.deepEqual(Object.keys(held.labels), ['a', 'z']);
  });

  it('reads an empty endsAt as open-ended and status resolved as resolved now', () => {
    assert.equal(toHeld({ labels: { a: '1' }, annotations: {}, startsAt: '', endsAt: '', generatorURL: '' }, NOW).endsAtMs, Number.POSITIVE_INFINITY);
    const resolved = toHeld({ labels: { a: '1' }, annotations: {}, startsAt: '', endsAt: '', generatorURL: '', status: 'resolved' }, NOW);
    assert.deepEqual([resolved.endsAtMs, resolved.endsAt], [NOW, '2024-03-10T12:00:00.000Z']);
  });

  it('sorts by labels as text', () => {
    const sets: Record<string, string>[] = [{ b: '1' }, { a: '2' }, { a: '1', c: '1' }];
    const alerts = sets.map((labels) => toHeld({ labels, annotations: {}, startsAt: '', endsAt: '', generatorURL: '' }, NOW));
    assert.deepEqual(sortAlerts(alerts).map((a) => a.labels), [{ a: '1', c: '1' }, { a: '2' }, { b: '1' }]);
  });
});
