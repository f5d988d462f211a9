/**
 * The store backends every database test runs against: embedded PGlite always, and the
 * PostgreSQL server at DATABASE_URL when that is set. This is the one place that list is made;
 * suites loop over `BACKENDS` (or `forEachBackend` in test/store/support.ts for a bare `Db`).
 */
import { randomBytes } from 'node:crypto';

/** The PostgreSQL server to test against, if any. */
export const DATABASE_URL = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL;

/** A store backend under test. */
export type BackendName = 'pglite' | 'postgres';

/** PGlite, then PostgreSQL when DATABASE_URL is set. */
export const BACKENDS: readonly BackendName[] = DATABASE_URL === undefined ? ['pglite'] : ['pglite', 'postgres'];

/**
 * A new schema name no other test run will pick. Under `npm test` it carries the run's id
 * (SLUICE_TEST_RUN, set by scripts/run-tests.mjs), which drops the run's schemas when it ends:
 * stores the tests leave open (a service under test, a killed file) leave nothing behind.
 */
export function uniqueSchema(): string {
  const run = process.env.SLUICE_TEST_RUN;
  return `sluice_test_${run !== undefined && /^[0-9a-f]{8}$/.test(run) ? `${run}_` : ''}${randomBytes(6).toString('hex')}`;
}

/** Where a store of `backend` lives: PGlite in memory, or a schema of its own (new unless given) on DATABASE_URL. */
export function storeLocation(backend: BackendName, schema: string = uniqueSchema()): { dataDir: 'memory' } | { url: string; schema: string } {
  if (backend === 'pglite') return { dataDir: 'memory' };
  if (DATABASE_URL === undefined) throw new Error('the postgres backend needs DATABASE_URL');
  return { url: DATABASE_URL, schema };
}
