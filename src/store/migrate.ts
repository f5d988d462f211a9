/**
 * Schema migrations: numbered SQL files in ./migrations (`NNN_name.sql`), applied in order, each
 * in its own transaction, recorded in `schema_migrations`. Running them again is a no-op; a
 * database whose schema is newer than the files this code ships is refused rather than touched.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '../errors.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Db } from './types.ts';

/** One migration file. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** What `migrate` did. */
export interface MigrateResult {
  /** Versions applied by this call, in order (empty when the schema was current). */
  readonly applied: number[];
  /** The schema version afterwards. */
  readonly version: number;
}

/** The directory shipped with the code. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;
/** Serializes concurrent migrators (two services starting at once); any fixed key will do. */
const LOCK_KEY = 7_305_001;

/**
 * Reads the migration files of `dir`, sorted by version. Throws SLUICE_ERR_STORE_MIGRATION for
 * a misnamed file or a repeated or missing number, so a gap is caught before it ships.
 */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = FILE_NAME.exec(file);
    if (match === null) {
      throw new SluiceError('SLUICE_ERR_STORE_MIGRATION', `migration file ${file} is not named NNN_name.sql`, { path: file });
    }
    migrations.push({ version: Number(match[1]), name: match[2]!, sql: readFileSync(`${dir}/${file}`, 'utf8') });
  }
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new SluiceError('SLUICE_ERR_STORE_MIGRATION', `migrations must be numbered 001, 002, … without gaps; found ${migration.version} at position ${index + 1}`, {
        path: `${String(migration.version).padStart(3, '0')}_${migration.name}.sql`,
      });
    }
  });
  return migrations;
}

/** The highest migration version recorded in the database; 0 for a database never migrated. */
export async function schemaVersion(db: Db): Promise<number> {
  const table = await db.query<{ exists: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`);
  if (table.rows[0]?.exists !== true) return 0;
  const result = await db.query<{ version: number | null }>('SELECT max(version)::int4 AS version FROM schema_migrations');
  return result.rows[0]?.version ?? 0;
}

/**
 * Brings the schema up to date. Throws SLUICE_ERR_STORE_SCHEMA_NEWER, changing nothing, when the
 * database records a version this code does not know, and SLUICE_ERR_STORE_MIGRATION (with the
 * file as path and the database error as cause) when a migration fails; that migration is
 * rolled back and the ones before it stay applied.
 */
export async function migrate(db: Db, options: { migrations?: readonly Migration[]; logger?: Logger } = {}): Promise<MigrateResult> {
  const migrations = options.migrations ?? loadMigrations();
  const latest = migrations.at(-1)?.version ?? 0;
  const applied = await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await q.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version int PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const result = await q.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    return new Set(result.rows.map((row) => row.version));
  });
  const recorded = Math.max(0, ...applied);
  if (recorded > latest) {
    throw new SluiceError(
      'SLUICE_ERR_STORE_SCHEMA_NEWER',
      `the database schema is at version ${recorded} but this version of Sluice knows migrations up to ${latest}: ` +
        'upgrade Sluice, or point it at another database',
    );
  }
  const done: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    const file = `${String(migration.version).padStart(3, '0')}_${migration.name}.sql`;
    try {
      const ran = await db.tx(async (q) => {
        await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
        const again = await q.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
        if (again.rows.length > 0) return false; // another process applied it meanwhile
        await q.exec(migration.sql);
        await q.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        return true;
      });
      if (ran) {
        done.push(migration.version);
        options.logger?.info({ version: migration.version, migration: file }, 'applied schema migration');
      }
    } catch (err) {
      throw new SluiceError('SLUICE_ERR_STORE_MIGRATION', `migration ${file} failed: ${(err as Error).message}`, { cause: err, path: file });
    }
  }
  return { applied: done, version: await schemaVersion(db) };
}
