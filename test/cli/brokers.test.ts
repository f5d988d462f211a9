/** `sluice brokers list` and `forget` on the store of a configured service (PGlite data directory, or PostgreSQL). */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { captureContext } from '../helpers/cli.ts';
import { runCli } from '../../src/cli/main.ts';
import { claimClusterBrokers, listClusterBrokers } from '../../src/store/brokers.ts';
import { migrate, openDb, type Db } from '../../src/store/index.ts';
import { DATABASE_URL, uniqueSchema } from '../store/support.ts';

const SEEN = Date.UTC(2026, 0, 5, 12);
let dir: string;
let config: string;
let schema: string;

const context = captureContext;

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(DATABASE_URL === undefined ? { dataDir: join(dir, 'data'), schema } : { url: DATABASE_URL, schema });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-brokers-'));
  schema = uniqueSchema();
  config = join(dir, 'sluice.yaml');
  // The CLI reads the store as the service would: DATABASE_URL (when set) over the file's store.
  await writeFile(config, `store:\n  dataDir: ${join(dir, 'data')}\n  schema: ${schema}\nclusters:\n  - name: east\n    bootstrap: ["127.0.0.1:1"]\n  - name: west\n    bootstrap: ["127.0.0.1:2"]\n`);
  await withDb(async (db) => {
    await migrate(db);
    await claimClusterBrokers(db, 'east', [0, 1, 12], SEEN);
    await claimClusterBrokers(db, 'west', [1], SEEN);
  });
});
after(async () => {
  if (DATABASE_URL !== undefined) await withDb((db) => db.exec(`DROP SCHEMA ${schema} CASCADE`));
  await rm(dir, { recursive: true, force: true });
});

test('list shows the known brokers of the cluster named; forget drops the named ones of that cluster only', async () => {
  const list = context();
  assert.equal(await runCli(['brokers', 'list', '--config', config, '--cluster', 'east'], () => list.ctx), 0, list.stderr.join(''));
  assert.deepEqual(list.stdout, ['BROKER  LAST_CLAIMED\n', '0       2026-01-05T12:00:00.000Z\n', '1       2026-01-05T12:00:00.000Z\n', '12      2026-01-05T12:00:00.000Z\n']);

  const forget = context();
  assert.equal(await runCli(['brokers', 'forget', '--config', config, '--cluster', 'east', '--broker', '1', '7'], () => forget.ctx), 0, forget.stderr.join(''));
  assert.deepEqual(forget.stdout, [
    'sluice brokers forget: east: broker 1 forgotten; if the cluster still lists it or assigns it replicas, it is known again at the next cycle\n',
    'sluice brokers forget: east: broker 7 was not known\n',
  ]);
  await withDb(async (db) => {
    assert.deepEqual((await listClusterBrokers(db, 'east')).map((b) => b.id), [0, 12]);
    assert.deepEqual((await listClusterBrokers(db, 'west')).map((b) => b.id), [1]);
  });
});

test('a broker id that is not a number, or a cluster not configured, is refused naming the flag, exit 2', async () => {
  const bad = context();
  assert.equal(await runCli(['brokers', 'forget', '--config', config, '--cluster', 'east', '--broker', 'b1'], () => bad.ctx), 2);
  assert.deepEqual(bad.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --broker: expected a broker id (a non-negative integer), got "b1"\n']);
  const which = context();
  assert.equal(await runCli(['brokers', 'list', '--config', config], () => which.ctx), 2);
  assert.deepEqual(which.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --cluster: expected one of east, west\n']);
});
