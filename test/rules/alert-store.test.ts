import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadGroupAlerts, saveGroupAlerts, type StoredAlert } from '../../src/rules/alert-store.ts';
import { forEachBackend, NOW } from '../store/support.ts';

const firing: StoredAlert = {
  rule: 'LagHigh',
  fingerprint: 'f1',
  alert: {
    labels: { alertname: 'LagHigh', group: 'billing' },
    annotations: { summary: 'lag is high' },
    state: 'firing',
    activeAt: NOW - 120_000,
    firedAt: NOW - 60_000,
    keepFiringSince: NOW - 30_000,
    lastSentAt: NOW - 60_000,
    validUntil: NOW + 180_000,
    value: 1500.25,
  },
};
const resolved: StoredAlert = {
  rule: 'LagHigh',
  fingerprint: 'f2',
  alert: { labels: { alertname: 'LagHigh', group: 'search' }, annotations: {}, state: 'inactive', activeAt: NOW - 600_000, firedAt: NOW - 540_000, resolvedAt: NOW - 1000, value: NaN },
};

forEachBackend((backend) => {
  test('alert state: saved and read back with every time field; rows of alerts gone are deleted; old rows are not read', async () => {
    const db = await backend.fresh();
    await saveGroupAlerts(db, 'f.yaml;lag', [firing, resolved], NOW);
    await saveGroupAlerts(db, 'other.yaml;lag', [{ ...firing, fingerprint: 'x' }], NOW - 7_200_000);
    assert.deepEqual(await loadGroupAlerts(db, 'f.yaml;lag', NOW - 3_600_000), [{ ...firing, updatedAt: NOW }, { ...resolved, updatedAt: NOW }]);
    await saveGroupAlerts(db, 'f.yaml;lag', [resolved], NOW + 60_000);
    assert.deepEqual(await loadGroupAlerts(db, 'f.yaml;lag', NOW - 3_600_000), [{ ...resolved, updatedAt: NOW + 60_000 }]);
    assert.deepEqual(await loadGroupAlerts(db, 'other.yaml;lag', NOW - 3_600_000), []);
    await saveGroupAlerts(db, 'f.yaml;lag', [], NOW + 120_000);
    assert.deepEqual(await loadGroupAlerts(db, 'f.yaml;lag', 0), []);
  });
});
