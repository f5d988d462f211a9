/**
 * The `Db` backend for a real PostgreSQL server: a `pg` Pool, with bulk loads streamed through
 * COPY FROM STDIN (pg-copy-streams) in PostgreSQL's binary format, and large reads through
 * COPY TO STDOUT in the same format.
 */
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { SluiceError } from '../errors.ts';
import { redactUrl, redactUrlIn } from '../redact.ts';
import type { Logger } from '../telemetry/logger.ts';
import { encodeSamplesBinary } from './copy-binary.ts';
import { hasSqlState, quoteIdent } from './sql.ts';
import type { CopyOptions, Db, Queryable, QueryResult, SampleColumns } from './types.ts';

/** How to reach the server. */
export interface PgDbOptions {
  /** A libpq-style URL, e.g. postgres://user@host:5432/db. */
  readonly url: string;
  /** Schema to create (if missing) and make the only one on every connection's search_path, so nothing resolves to another schema's tables. */
  readonly schema?: string;
  /** Connections in the pool; default 4. */
  readonly maxConnections?: number;
  /** How long to wait for a new connection; default 5000 ms. */
  readonly connectTimeoutMs?: number;
  readonly logger?: Logger;
}

const STAGING_TABLE = 'sluice_samples_staging';
const COPY_COLUMNS = '(series_id, ts, value)';

/** Opens a pool and checks that the server answers (and creates `schema` if one is named). */
export async function openPgDb(options: PgDbOptions): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    keepAlive: true,
    application_name: 'sluice',
    ...(options.schema === undefined ? {} : { options: `-c search_path=${quoteIdent(options.schema)}` }),
  });
  // An idle pooled connection that breaks (server restart, network cut) emits here; without a
  // listener the process would crash. The pool drops the connection and opens a fresh one later.
  pool.on('error', (err) => options.logger?.warn({ err }, 'idle database connection failed; it will be replaced'));
  const db = new PgDb(pool);
  try {
    if (options.schema !== undefined) await db.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
    else await db.query('SELECT 1');
  } catch (err) {
    await pool.end();
    // The driver's error may carry the URL (an unparsable one travels in `input`): pass on only
    // its redacted message and code.
    const message = redactUrlIn(String((err as Error).message), options.url);
    const cause = Object.assign(new Error(message), { code: (err as { code?: unknown }).code });
    throw new SluiceError('SLUICE_ERR_STORE_UNREACHABLE', `PostgreSQL at ${redactUrl(options.url)} could not be reached: ${message}`, { cause });
  }
  return db;
}

class PgDb implements Db {
  readonly kind = 'postgres' as const;

  constructor(private readonly pool: pg.Pool) {}

  async query<R extends object>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    return toResult(await this.pool.query<R>(sql, params as unknown[]));
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await checkout(this.pool);
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await fn(clientQueryable(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken = await rollback(client, err);
      throw err;
    } finally {
      client.release(broken === undefined ? undefined : (broken as Error));
    }
  }

  async copySamples(rows: SampleColumns, options: CopyOptions = {}): Promise<number> {
    if (rows.seriesIds.length === 0) return 0;
    const data = encodeSamplesBinary(rows);
    const client = await checkout(this.pool);
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            // The statement may still commit on the server; the caller treats the outcome as
            // unknown and retries idempotently. Destroying the socket frees this connection now.
            socketOf(client)?.destroy();
          }, options.timeoutMs);
    let broken: unknown;
    try {
      if (options.idempotent !== true) return await copyInto(client, 'samples', data);
      await client.query('BEGIN');
      await client.query(
        `CREATE TEMP TABLE IF NOT EXISTS ${STAGING_TABLE} (series_id int4, ts timestamptz, value float8) ON COMMIT DELETE ROWS`,
      );
      await copyInto(client, STAGING_TABLE, data);
      const inserted = await client.query(`INSERT INTO samples ${COPY_COLUMNS} SELECT series_id, ts, value FROM ${STAGING_TABLE} ON CONFLICT DO NOTHING`);
      await client.query('COMMIT');
      return inserted.rowCount ?? 0;
    } catch (err) {
      broken = timedOut ? err : options.idempotent === true ? await rollback(client, err) : hasSqlState(err) ? undefined : err;
      if (timedOut) {
        throw new SluiceError('SLUICE_ERR_STORE_UNREACHABLE', `bulk load did not finish within ${options.timeoutMs} ms`, { cause: err });
      }
      throw err;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      client.release(broken === undefined ? undefined : (broken as Error));
    }
  }

  async copyOut(select: string): Promise<Uint8Array> {
    const client = await checkout(this.pool);
    let broken: unknown;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of client.query(copyTo(`COPY (${select}) TO STDOUT WITH (FORMAT binary)`))) chunks.push(chunk as Buffer);
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    } catch (err) {
      // A statement the server refused leaves the connection usable; anything else may not.
      broken = hasSqlState(err) ? undefined : err;
      throw err;
    } finally {
      client.release(broken === undefined ? undefined : (broken as Error));
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * A pooled connection with an 'error' listener for as long as it is checked out: a connection
 * lost mid-statement emits 'error' on the client as well as failing the statement, and an
 * unhandled one would crash the process. The statement's own error is what callers act on.
 */
async function checkout(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  const ignore = () => undefined;
  client.on('error', ignore);
  const release = client.release.bind(client);
  client.release = (err?: Error | boolean) => {
    client.off('error', ignore);
    release(err);
  };
  return client;
}

function toResult<R extends object>(result: pg.QueryResult<R>): QueryResult<R> {
  return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
}

function clientQueryable(client: pg.PoolClient): Queryable {
  return {
    query: async <R extends object>(sql: string, params: readonly unknown[] = []) => toResult(await client.query<R>(sql, params as unknown[])),
    exec: async (sql: string) => {
      await client.query(sql);
    },
  };
}

/**
 * Rolls back after `err`. Returns the error to release the connection with (which discards it)
 * when the connection itself is broken, undefined when it can be reused.
 */
async function rollback(client: pg.PoolClient, err: unknown): Promise<unknown> {
  if (!hasSqlState(err)) return err;
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (rollbackErr) {
    return rollbackErr;
  }
}

async function copyInto(client: pg.PoolClient, table: string, data: Buffer): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${table} ${COPY_COLUMNS} FROM STDIN WITH (FORMAT binary)`));
  await pipeline(Readable.from([data]), stream);
  return stream.rowCount;
}

/** The client's socket; `pg` does not type it, but it is the only way to abort a stuck COPY. */
function socketOf(client: pg.PoolClient): Socket | undefined {
  return (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
}
