import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadHeldAlerts, saveHeldAlerts } from '../../src/notify/alert-store.ts';
import { toHeld } from '../../src/notify/held-alerts.ts';
import { ESCAPED_PREFIX } from '../../src/store/labels.ts';
import { forEachNotifyBackend, lagAlert } from './support.ts';

const T0 = Date.UTC(2024, 2, 10, 12, 0, 0);

// Label values and annotations may be any string Kafka carries; jsonb refuses NUL and lone
// surrogates, so they go through the label value rule and must come back unchanged.
const values = ['grp\u0000evil', 'lone\udc00low', 'x'.repeat(65_536), `${ESCAPED_PREFIX}looks escaped\\0`, 'ünïcode 🦀'];

forEachNotifyBackend((backend) => {
  it('stores and restores held alerts whose labels and annotations hold any string', async () => {
    const db = await backend.fresh();
    const held = values.map((v, i) => toHeld({ ...lagAlert(v, T0 + i), annotations: { summary: v, [`note${i}`]: `${v}!` } }, T0));
    await saveHeldAlerts(db, held, T0);
    const loaded = await loadHeldAlerts(db);
    const byFingerprint = (a: { fingerprint: string }, b: { fingerprint: string }) => (a.fingerprint < b.fingerprint ? -1 : 1);
    assert.deepEqual(loaded.map((a) => ({ ...a })), [...held].sort(byFingerprint).map((a) => ({ ...a })));
    assert.deepEqual(loaded.map((a) => a.labels.group).sort(), [...values].sort());
  });
});
