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

  test('alert state: labels and annotations made from any client id (NUL, lone surrogates, 64 KiB) are saved and read back unchanged', async () => {
    const db = await backend.fresh();
    const odd: StoredAlert = {
      rule: 'ClientThrottled',
      fingerprint: 'f3',
      alert: {
        labels: { alertname: 'ClientThrottled', client_id: 'evil\u0000id', group: 'grp\ud800', user: 'sluice-escaped:x', big: 'y'.repeat(65_536) },
        annotations: { summary: 'client evil\u0000id is throttled \udc00' },
        state: 'firing',
        activeAt: NOW - 60_000,
        firedAt: NOW,
        value: 1,
      },
    };
    await saveGroupAlerts(db, 'f.yaml;throttle', [odd, firing], NOW);
    assert.deepEqual(await loadGroupAlerts(db, 'f.yaml;throttle', 0), [{ ...odd, updatedAt: NOW }, { ...firing, updatedAt: NOW }]);
  });
});
