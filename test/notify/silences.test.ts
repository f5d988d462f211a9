import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Registry } from 'prom-client';
import { VirtualClock } from '../../src/clock.ts';
import { isSluiceError } from '../../src/errors.ts';
import { parseNotifyConfig } from '../../src/notify/config.ts';
import { Notifier } from '../../src/notify/notifier.ts';
import { SilenceStore } from '../../src/notify/silences.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { forEachNotifyBackend, lagAlert, startServer } from './support.ts';

const T0 = Date.UTC(2024, 2, 10, 12, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();
const billing = [{ name: 'group', value: 'billing', isRegex: false, isEqual: true }];

forEachNotifyBackend((backend) => {
  it('a silence of a client id holding NUL (and a comment with a lone surrogate) is stored, reloaded and mutes that client only', async () => {
    const db = await backend.fresh();
    const clock = new VirtualClock(T0);
    const store = new SilenceStore(db, clock);
    await store.load();
    const matchers = [{ name: 'client_id', value: 'evil\u0000id', isRegex: false, isEqual: true }];
    const id = await store.create({ matchers, endsAt: iso(T0 + 3_600_000), createdBy: 'ops\u0000', comment: 'noisy \ud800 client' });
    const reloaded = new SilenceStore(db, clock);
    await reloaded.load();
    assert.deepEqual(await reloaded.get(id), { id, matchers, startsAt: iso(T0), endsAt: iso(T0 + 3_600_000), createdBy: 'ops\u0000', comment: 'noisy \ud800 client', status: 'active' });
    assert.deepEqual(reloaded.mutedBy({ client_id: 'evil\u0000id' }), [id]);
    assert.deepEqual(reloaded.mutedBy({ client_id: 'evil' }), []);
  });

  it('creates, lists, gets, expires and reloads silences', async () => {
    const db = await backend.fresh();
    const clock = new VirtualClock(T0);
    const store = new SilenceStore(db, clock);
    await store.load();
    const id = await store.create({ matchers: billing, endsAt: iso(T0 + 3_600_000), createdBy: 'ops', comment: 'migration' });
    const later = await store.create({ matchers: [{ name: 'team', value: 'db|kafka', isRegex: true, isEqual: true }], startsAt: iso(T0 + 60_000), endsAt: iso(T0 + 120_000), createdBy: 'ops', comment: 'later' });
    const expected = { id, matchers: billing, startsAt: iso(T0), endsAt: iso(T0 + 3_600_000), createdBy: 'ops', comment: 'migration', status: 'active' };
    assert.deepEqual(await store.get(id), expected);
    assert.deepEqual((await store.list()).map((s) => [s.id, s.status]), [[later, 'pending'], [id, 'active']]);
    assert.deepEqual(store.mutedBy({ group: 'billing' }), [id]);
    assert.deepEqual(store.mutedBy({ group: 'orders' }), []);

    const reloaded = new SilenceStore(db, clock);
    await reloaded.load();
    assert.deepEqual(await reloaded.get(id), expected);

    clock.advance(30_000);
    assert.equal(await reloaded.expire(id), true);
    assert.equal(await reloaded.expire(later), true);
    assert.equal(await reloaded.expire('no-such-id'), false);
    assert.deepEqual(await reloaded.get(id), { ...expected, endsAt: iso(T0 + 30_000), status: 'expired' });
    assert.deepEqual(await reloaded.get(later), { id: later, matchers: [{ name: 'team', value: 'db|kafka', isRegex: true, isEqual: true }], startsAt: iso(T0 + 30_000), endsAt: iso(T0 + 30_000), createdBy: 'ops', comment: 'later', status: 'expired' });
    assert.deepEqual(reloaded.mutedBy({ group: 'billing' }), []);
    const third = new SilenceStore(db, clock);
    await third.load();
    assert.deepEqual((await third.list()).map((s) => [s.id, s.endsAt, s.status]), [[later, iso(T0 + 30_000), 'expired'], [id, iso(T0 + 30_000), 'expired']]);
    // Five days after they ended they are gone, from the list and from the database.
    clock.advanceTo(T0 + 30_000 + 5 * 86_400_000);
    assert.equal((await third.list()).length, 2);
    clock.advance(1);
    assert.equal((await third.list()).length, 0);
    await new SilenceStore(db, clock).load();
    assert.deepEqual((await db.query('SELECT id FROM notify_silences')).rows, []);
  });

  it('refuses an invalid silence, naming the field, and stores nothing', async () => {
    const db = await backend.fresh();
    const store = new SilenceStore(db, new VirtualClock(T0));
    await assert.rejects(store.create({ matchers: billing, startsAt: iso(T0 + 10_000), endsAt: iso(T0 + 5000), createdBy: 'ops', comment: 'x' }), (err: unknown) => isSluiceError(err, 'SLUICE_ERR_SILENCE_INVALID') && err.path === 'endsAt' && err.message === 'endsAt: must be after startsAt');
    await assert.rejects(store.create({ matchers: [{ name: 'group', value: '.*', isRegex: true, isEqual: true }], endsAt: iso(T0 + 5000), createdBy: 'ops', comment: 'x' }), (err: unknown) => isSluiceError(err, 'SLUICE_ERR_SILENCE_INVALID') && err.path === 'matchers');
    assert.deepEqual(await store.list(), []);
    assert.deepEqual((await db.query('SELECT id FROM notify_silences')).rows, []);
  });

  it('mutes notifications until the silence ends, reloaded at start', async () => {
    const db = await backend.fresh();
    const server = await startServer();
    try {
      const clock = new VirtualClock(T0);
      const config = parseNotifyConfig({ route: { receiver: 'ops', group_by: ['alertname'], group_interval: '1m' }, receivers: [{ name: 'ops', webhook_configs: [{ url: `${server.url}/hook` }] }] });
      const earlier = new SilenceStore(db, clock);
      await earlier.create({ matchers: billing, endsAt: iso(T0 + 150_000), createdBy: 'ops', comment: 'deploy' });
      const registry = new Registry();
      const notifier = new Notifier({ config, db, clock, registry, logger: silentLogger() });
      notifier.start();
      await notifier.send([lagAlert('billing', T0)]);
      assert.deepEqual(notifier.alerts().map((a) => a.silencedBy.length), [1]);
      for (let t = 30_000; t <= 210_000; t += 30_000) {
        clock.advanceTo(T0 + t);
        await notifier.idle();
        if (t === 120_000) assert.equal(server.requests.length, 0);
      }
      await notifier.stop();
      // Flushes at 30 s, 90 s and 150 s are muted; the silence ends at 150 s, so the 150 s flush sends.
      assert.equal(server.requests.length, 1);
      assert.deepEqual(notifier.alerts().map((a) => a.silencedBy.length), [0]);
      const muted = await registry.getSingleMetric('sluice_alerts_muted_total')!.get();
      assert.deepEqual(muted.values.map((v) => [v.labels, v.value]), [[{ reason: 'silenced' }, 2]]);
    } finally {
      await server.close();
    }
  });
});
