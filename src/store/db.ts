/**
 * Opening the database: a real PostgreSQL server when a URL is given (production), embedded
 * PGlite otherwise (the demo and laptops). Both speak the same SQL, so everything above the
 * `Db` seam is shared.
 */
import type { Logger } from '../telemetry/logger.ts';
import { openPgDb } from './db-pg.ts';
import { openPgliteDb } from './db-pglite.ts';
import { quoteIdent } from './sql.ts';
import type { Db } from './types.ts';

/** Which database to open. */
export interface DbOptions {
  /** PostgreSQL URL (e.g. from DATABASE_URL); when absent, PGlite is used. */
  readonly url?: string;
  /** PGlite data directory, or `memory`; default `memory`. Ignored when `url` is set. */
  readonly dataDir?: string | 'memory';
  /** Schema to create if missing and use first on the search_path; default the database's own. */
  readonly schema?: string;
  /** PostgreSQL pool size; default 4. */
  readonly maxConnections?: number;
  readonly logger?: Logger;
}

/**
 * Opens a Db and checks that it answers. Throws SLUICE_ERR_STORE_UNREACHABLE (retryable) when a
 * PostgreSQL server cannot be reached. Does not migrate: see `migrate`.
 */
export function openDb(options: DbOptions = {}): Promise<Db> {
  if (options.url !== undefined && options.url !== '') {
    return openPgDb({
      url: options.url,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }
  return openPgliteDb({ dataDir: options.dataDir ?? 'memory', ...(options.schema === undefined ? {} : { schema: options.schema }) });
}

/** Drops `schema` and everything in it on the PostgreSQL server at `url` (a run's own schema, when it ends). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const db = await openDb({ url });
  try {
    await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  } finally {
    await db.close();
  }
}
