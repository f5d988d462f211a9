import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimClusterBrokers, forgetClusterBrokers, listClusterBrokers } from '../../src/store/brokers.ts';
import { forEachBackend, MINUTE, NOW } from './support.ts';

forEachBackend((backend) => {
  test('known brokers: claims add and refresh per cluster, never move back in time, and forgetting removes only the named ones', async () => {
    const db = await backend.fresh();
    assert.deepEqual(await listClusterBrokers(db, 'east'), []);
    await claimClusterBrokers(db, 'east', [2, 0, 1], NOW);
    await claimClusterBrokers(db, 'west', [0], NOW);
    await claimClusterBrokers(db, 'east', [0, 1], NOW + MINUTE);
    // A late claim (a slower process) leaves the newer time in place.
    await claimClusterBrokers(db, 'east', [1], NOW - MINUTE);
    await claimClusterBrokers(db, 'east', [], NOW + 2 * MINUTE);
    assert.deepEqual(await listClusterBrokers(db, 'east'), [
      { id: 0, lastClaimedMs: NOW + MINUTE },
      { id: 1, lastClaimedMs: NOW + MINUTE },
      { id: 2, lastClaimedMs: NOW },
    ]);
    assert.deepEqual(await forgetClusterBrokers(db, 'east', [2, 7]), [2]);
    assert.deepEqual((await listClusterBrokers(db, 'east')).map((b) => b.id), [0, 1]);
    assert.deepEqual(await listClusterBrokers(db, 'west'), [{ id: 0, lastClaimedMs: NOW }]);
  });
});
