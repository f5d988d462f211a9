import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSluiceError } from '../../src/errors.ts';
import { loadMigrations, migrate, schemaVersion } from '../../src/store/migrate.ts';
import { forEachBackend } from './support.ts';

/** A directory with the given migration files. */
function migrationDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

test('the shipped migrations are numbered from 001 without gaps', () => {
  const migrations = loadMigrations();
  assert.deepEqual(migrations.map((m) => m.version), migrations.map((_, i) => i + 1));
  assert.equal(migrations[0]!.name, 'schema');
});

test('a gap or a misnamed file is refused when loading', () => {
  const gap = migrationDir({ '001_a.sql': 'SELECT 1', '003_c.sql': 'SELECT 1' });
  const misnamed = migrationDir({ '001_a.sql': 'SELECT 1', '2_b.sql': 'SELECT 1' });
  try {
    assert.throws(() => loadMigrations(gap), (err) => isSluiceError(err, 'SLUICE_ERR_STORE_MIGRATION') && err.path === '003_c.sql');
    assert.throws(() => loadMigrations(misnamed), (err) => isSluiceError(err, 'SLUICE_ERR_STORE_MIGRATION') && err.path === '2_b.sql');
  } finally {
    rmSync(gap, { recursive: true });
    rmSync(misnamed, { recursive: true });
  }
});

forEachBackend((backend) => {
  test('migrates an empty database, and a second run is a no-op', async () => {
    const db = await backend.fresh({ migrate: false });
    const latest = loadMigrations().length;
    assert.equal(await schemaVersion(db), 0);
    assert.deepEqual(await migrate(db), { applied: loadMigrations().map((m) => m.version), version: latest });
    assert.deepEqual(await migrate(db), { applied: [], version: latest });
    const recorded = await db.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
    assert.deepEqual(recorded.rows.map((r) => ({ ...r })), loadMigrations().map((m) => ({ version: m.version, name: m.name })));
    const tables = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
       AND c.relkind IN ('r', 'p') ORDER BY 1`,
    );
    assert.deepEqual(tables.rows.map((r) => r.name), [
      'alert_state', 'balance_executions', 'balance_moves', 'balance_plans', 'cluster_brokers', 'events', 'metric', 'notify_alerts', 'notify_log', 'notify_outbox', 'notify_silences', 'quota_baselines', 'quota_decisions',
      'rollup_state', 'samples', 'samples_1h', 'samples_1m', 'schema_migrations', 'series', 'throttle_rounds',
    ]);
    const defaults = await db.query(`SELECT 1 FROM pg_partitioned_table WHERE partdefid <> 0 AND partrelid = 'samples'::regclass`);
    assert.equal(defaults.rows.length, 0, 'samples has no default partition');
  });

  test('refuses a schema newer than the code knows, changing nothing', async () => {
    const db = await backend.fresh();
    await db.query(`INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')`);
    await assert.rejects(migrate(db), (err) => {
      assert.ok(isSluiceError(err, 'SLUICE_ERR_STORE_SCHEMA_NEWER'));
      assert.equal(err.canRetry, false);
      assert.match(err.message, new RegExp(`schema is at version 999 but this version of Sluice knows migrations up to ${loadMigrations().length}:`));
      return true;
    });
    assert.equal(await schemaVersion(db), 999);
  });

  test('a failing migration is rolled back, names its file, and keeps the ones before it', async () => {
    const db = await backend.fresh({ migrate: false });
    const dir = migrationDir({
      '001_first.sql': 'CREATE TABLE first_table (id int);',
      '002_broken.sql': 'CREATE TABLE second_table (id int); SELECT * FROM no_such_table;',
    });
    try {
      const migrations = loadMigrations(dir);
      await assert.rejects(migrate(db, { migrations }), (err) => {
        assert.ok(isSluiceError(err, 'SLUICE_ERR_STORE_MIGRATION'));
        assert.equal(err.path, '002_broken.sql');
        assert.match(err.message, /^migration 002_broken\.sql failed: .*no_such_table/);
        return true;
      });
      assert.equal(await schemaVersion(db), 1);
      const left = await db.query<{ first: boolean; second: boolean }>(
        `SELECT to_regclass('first_table') IS NOT NULL AS first, to_regclass('second_table') IS NOT NULL AS second`,
      );
      assert.deepEqual({ ...left.rows[0] }, { first: true, second: false });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
