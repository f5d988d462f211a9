/**
 * The `Db` backend for embedded PGlite (PostgreSQL compiled to WebAssembly), used in-process
 * through its own API: its socket server serves one session and cannot take COPY FROM STDIN.
 * Bulk loads go through its in-process COPY from a blob (`/dev/blob`) in binary format, which
 * measured 1.1–1.7× faster than `INSERT … SELECT FROM unnest(…)` on the same rows (the ingest
 * bench prints both); large reads come back the same way, COPY to a blob.
 */
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { encodeSamplesBinary } from './copy-binary.ts';
import { quoteIdent } from './sql.ts';
import type { CopyOptions, Db, Queryable, QueryResult, SampleColumns } from './types.ts';

/** Where PGlite keeps its data. */
export interface PgliteDbOptions {
  /** A directory for its files, or `memory` for a database that lives as long as the process. */
  readonly dataDir: string;
  /** Schema to create (if missing) and make the only one on the search_path, so nothing resolves to another schema's tables. */
  readonly schema?: string;
}

const STAGING_TABLE = 'sluice_samples_staging';
const COPY_COLUMNS = '(series_id, ts, value)';

/** Starts PGlite (a second or two: it boots PostgreSQL) and returns it as a Db. */
export async function openPgliteDb(options: PgliteDbOptions): Promise<Db> {
  const lite = await PGlite.create(options.dataDir === 'memory' ? undefined : options.dataDir);
  if (options.schema !== undefined) {
    const schema = quoteIdent(options.schema);
    await lite.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema}`);
  }
  return new PgliteDb(lite);
}

/** A Db over a PGlite instance opened elsewhere (closing the Db closes the instance). */
export function pgliteDb(lite: PGlite): Db {
  return new PgliteDb(lite);
}

type Session = Pick<PGlite, 'query' | 'exec'> | Transaction;

class PgliteDb implements Db {
  readonly kind = 'pglite' as const;

  constructor(private readonly lite: PGlite) {}

  query<R extends object>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    return runQuery<R>(this.lite, sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.lite.exec(sql);
  }

  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.lite.transaction((tx) => fn(sessionQueryable(tx)));
  }

  async copySamples(rows: SampleColumns, options: CopyOptions = {}): Promise<number> {
    if (rows.seriesIds.length === 0) return 0;
    // One session in-process: nothing can hang on a network, so timeoutMs does not apply.
    const blob = new Blob([encodeSamplesBinary(rows) as Uint8Array<ArrayBuffer>]);
    if (options.idempotent !== true) return copyBlob(this.lite, 'samples', blob);
    return this.lite.transaction(async (tx) => {
      await tx.exec(`CREATE TEMP TABLE IF NOT EXISTS ${STAGING_TABLE} (series_id int4, ts timestamptz, value float8) ON COMMIT DELETE ROWS`);
      await copyBlob(tx, STAGING_TABLE, blob);
      const inserted = await tx.query(`INSERT INTO samples ${COPY_COLUMNS} SELECT series_id, ts, value FROM ${STAGING_TABLE} ON CONFLICT DO NOTHING`);
      return inserted.affectedRows ?? 0;
    });
  }

  async copyOut(select: string): Promise<Uint8Array> {
    const result = await this.lite.query(`COPY (${select}) TO '/dev/blob' WITH (FORMAT binary)`);
    if (result.blob === undefined) throw new Error('PGlite returned no data for COPY TO /dev/blob');
    return new Uint8Array(await result.blob.arrayBuffer());
  }

  async close(): Promise<void> {
    await this.lite.close();
  }
}

async function runQuery<R extends object>(session: Session, sql: string, params: readonly unknown[]): Promise<QueryResult<R>> {
  const result = await session.query<R>(sql, params as unknown[]);
  return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
}

function sessionQueryable(session: Session): Queryable {
  return {
    query: <R extends object>(sql: string, params: readonly unknown[] = []) => runQuery<R>(session, sql, params),
    exec: async (sql: string) => {
      await session.exec(sql);
    },
  };
}

async function copyBlob(session: Session, table: string, blob: Blob): Promise<number> {
  const result = await session.query(`COPY ${table} ${COPY_COLUMNS} FROM '/dev/blob' WITH (FORMAT binary)`, [], { blob });
  return result.affectedRows ?? 0;
}
