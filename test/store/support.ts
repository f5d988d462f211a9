/**
 * Databases for the store tests: every suite runs against embedded PGlite, and also against the
 * PostgreSQL server at DATABASE_URL when that is set. Each `fresh()` is an empty schema of its
 * own (`sluice_test_<random>` on PostgreSQL), dropped when the suite ends, so that test files
 * running in parallel never see each other's tables.
 */
import { after, describe } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { openDb } from '../../src/store/db.ts';
import { pgliteDb } from '../../src/store/db-pglite.ts';
import { migrate } from '../../src/store/migrate.ts';
import { quoteIdent } from '../../src/store/sql.ts';
import type { Db } from '../../src/store/types.ts';

import { BACKENDS, DATABASE_URL, uniqueSchema, type BackendName } from '../helpers/backends.ts';

export { DATABASE_URL, uniqueSchema } from '../helpers/backends.ts';

/** A fixed "now" for tests: 2024-03-10T12:00:00Z. */
export const NOW = Date.UTC(2024, 2, 10, 12, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** One backend under test. */
export interface TestBackend {
  readonly name: BackendName;
  /** A Db on a new, empty schema; migrated unless `migrate: false`. Closed with the suite. */
  fresh(options?: { migrate?: boolean }): Promise<Db>;
}

/** A Db whose close() does nothing: the suite closes the real one at the end. */
function keepOpen(db: Db): Db {
  return {
    kind: db.kind,
    query: (sql, params) => db.query(sql, params),
    exec: (sql) => db.exec(sql),
    tx: (fn) => db.tx(fn),
    copySamples: (rows, options) => db.copySamples(rows, options),
    copyOut: (select) => db.copyOut(select),
    close: async () => undefined,
  };
}

function pgliteBackend(): TestBackend & { close(): Promise<void> } {
  let lite: PGlite | undefined;
  let db: Db | undefined;
  return {
    name: 'pglite',
    async fresh(options = {}) {
      if (lite === undefined) {
        lite = await PGlite.create();
        db = pgliteDb(lite);
      }
      const schema = quoteIdent(uniqueSchema());
      // One PGlite session: the search_path switches for the whole instance, and the previous
      // test's schema is no longer visible to it.
      await db!.exec(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
      if (options.migrate !== false) await migrate(db!);
      return keepOpen(db!);
    },
    async close() {
      await db?.close();
    },
  };
}

function postgresBackend(url: string): TestBackend & { close(): Promise<void> } {
  const opened: { db: Db; schema: string }[] = [];
  return {
    name: 'postgres',
    async fresh(options = {}) {
      const schema = uniqueSchema();
      const db = await openDb({ url, schema });
      opened.push({ db, schema });
      if (options.migrate !== false) await migrate(db);
      return keepOpen(db);
    },
    async close() {
      for (const { db, schema } of opened.splice(0)) {
        await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
        await db.close();
      }
    },
  };
}

/** Declares `suite` once per backend, inside `describe('<backend>')`. */
export function forEachBackend(suite: (backend: TestBackend) => void): void {
  for (const name of BACKENDS) {
    describe(name, () => {
      const backend = name === 'pglite' ? pgliteBackend() : postgresBackend(DATABASE_URL!);
      after(() => backend.close());
      suite(backend);
    });
  }
}

/** Samples of one metric for `series` series (cluster c1, label `i`), one per series at each time. */
export function grid(metric: string, series: number, times: readonly number[], value: (i: number, t: number) => number = (i, t) => i + t / 1000) {
  const out: { metric: string; labels: Record<string, string>; ts: number; value: number }[] = [];
  for (const t of times) for (let i = 0; i < series; i++) out.push({ metric, labels: { cluster: 'c1', i: String(i) }, ts: t, value: value(i, t) });
  return out;
}

/** Every stored sample as [canonical series, ts, value], ordered. */
export async function storedRows(db: Db): Promise<[string, number, number][]> {
  const result = await db.query<{ metric: string; labels: Record<string, string>; ts: number; value: number }>(
    `SELECT m.name AS metric, se.labels, (extract(epoch from s.ts) * 1000)::float8 AS ts, s.value
     FROM samples s JOIN series se ON se.id = s.series_id JOIN metric m ON m.id = se.metric_id
     ORDER BY m.name, se.id, s.ts`,
  );
  return result.rows.map((row) => [`${row.metric}${JSON.stringify(sortKeys(row.labels))}`, row.ts, row.value]);
}

/** The same object with its keys in sorted order (jsonb keeps its own order). */
export function sortKeys(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** count(*) of a table. */
export async function countRows(db: Db, table: string): Promise<number> {
  const result = await db.query<{ n: number }>(`SELECT count(*)::int4 AS n FROM ${table}`);
  return result.rows[0]!.n;
}
