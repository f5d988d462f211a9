/**
 * Time partitions of `samples` (a day each), `samples_1m` (a day each) and `samples_1h` (a month
 * each), all in UTC. There is no default partition: partitions are created ahead of time by the
 * service and on demand by the writer, and retention drops whole partitions, which costs nothing
 * like a DELETE and leaves no bloat. A partition's name says its period: `samples_20240310`,
 * `samples_1h_202403`.
 */
import type { Logger } from '../telemetry/logger.ts';
import { DUPLICATE_TABLE, quoteIdent, sqlState } from './sql.ts';
import type { Queryable } from './types.ts';

/** The length of one partition. */
export type PartitionUnit = 'day' | 'month';

/** The partitioned tables. */
export type PartitionedTableName = 'samples' | 'samples_1m' | 'samples_1h';

/** Each partitioned table and its partition length. */
export const PARTITION_UNITS: Readonly<Record<PartitionedTableName, PartitionUnit>> = {
  samples: 'day',
  samples_1m: 'day',
  samples_1h: 'month',
};

/** How long each table keeps data, in ms. */
export interface Retention {
  readonly samples: number;
  readonly samples_1m: number;
  readonly samples_1h: number;
}

const DAY_MS = 86_400_000;

/** Raw samples 7 days, 1-minute rollups 30 days, 1-hour rollups 400 days. */
export const DEFAULT_RETENTION: Retention = { samples: 7 * DAY_MS, samples_1m: 30 * DAY_MS, samples_1h: 400 * DAY_MS };

/** One partition: its table name and the period [start, end) it holds, in ms. */
export interface Partition {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** The start of the UTC day or month holding `ms`. */
export function periodStart(unit: PartitionUnit, ms: number): number {
  const d = new Date(ms);
  return unit === 'day' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The start of the period after the one starting at `start`. */
export function periodEnd(unit: PartitionUnit, start: number): number {
  const d = new Date(start);
  return unit === 'day' ? start + DAY_MS : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The partition name for the period starting at `start`, e.g. `samples_20240310`. */
export function partitionName(table: PartitionedTableName, start: number): string {
  const iso = new Date(start).toISOString();
  const stamp = PARTITION_UNITS[table] === 'day' ? `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}` : `${iso.slice(0, 4)}${iso.slice(5, 7)}`;
  return `${table}_${stamp}`;
}

/** Reads a partition name back into its period; undefined for a table not named by us. */
export function parsePartitionName(table: PartitionedTableName, name: string): Partition | undefined {
  const unit = PARTITION_UNITS[table];
  const match = (unit === 'day' ? /^(\d{4})(\d{2})(\d{2})$/ : /^(\d{4})(\d{2})$/).exec(name.slice(table.length + 1));
  if (!name.startsWith(`${table}_`) || match === null) return undefined;
  const start = Date.UTC(Number(match[1]), Number(match[2]) - 1, unit === 'day' ? Number(match[3]) : 1);
  return partitionName(table, start) === name ? { name, start, end: periodEnd(unit, start) } : undefined;
}

/** Creates the partition for the period holding `ms` unless it exists; true when created. */
export async function createPartition(db: Queryable, table: PartitionedTableName, ms: number): Promise<boolean> {
  const start = periodStart(PARTITION_UNITS[table], ms);
  const end = periodEnd(PARTITION_UNITS[table], start);
  const name = partitionName(table, start);
  const exists = await db.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [quoteIdent(name)]);
  if (exists.rows[0]?.found === true) return false;
  try {
    await db.exec(
      `CREATE TABLE ${quoteIdent(name)} PARTITION OF ${table} FOR VALUES FROM ('${new Date(start).toISOString()}') TO ('${new Date(end).toISOString()}')`,
    );
    return true;
  } catch (err) {
    if (sqlState(err) === DUPLICATE_TABLE) return false; // created meanwhile by another process
    throw err;
  }
}

/** The partitions of `table`, oldest first (tables attached by hand under other names are skipped). */
export async function listPartitions(db: Queryable, table: PartitionedTableName): Promise<Partition[]> {
  const result = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass`,
    [table],
  );
  return result.rows
    .map((row) => parsePartitionName(table, row.name))
    .filter((p): p is Partition => p !== undefined)
    .sort((a, b) => a.start - b.start);
}

/**
 * Creates every partition from the period holding `now` through the one holding
 * `now + aheadDays`, for all three tables, so writes never wait on DDL. Returns the names created.
 */
export async function ensurePartitions(db: Queryable, now: number, options: { aheadDays?: number } = {}): Promise<string[]> {
  const until = now + (options.aheadDays ?? 2) * DAY_MS;
  const created: string[] = [];
  for (const table of Object.keys(PARTITION_UNITS) as PartitionedTableName[]) {
    const unit = PARTITION_UNITS[table];
    for (let start = periodStart(unit, now); start <= until; start = periodEnd(unit, start)) {
      if (await createPartition(db, table, start)) created.push(partitionName(table, start));
    }
  }
  return created;
}

/**
 * Drops every partition whose whole period is older than its table's retention at `now` (a
 * partition ending at or before `now - retention`). Returns the names dropped, oldest first.
 */
export async function dropExpiredPartitions(db: Queryable, now: number, retention: Retention = DEFAULT_RETENTION, logger?: Logger): Promise<string[]> {
  const dropped: string[] = [];
  for (const table of Object.keys(PARTITION_UNITS) as PartitionedTableName[]) {
    for (const partition of await listPartitions(db, table)) {
      if (partition.end > now - retention[table]) continue;
      await db.exec(`DROP TABLE IF EXISTS ${quoteIdent(partition.name)}`);
      dropped.push(partition.name);
      logger?.info({ partition: partition.name, table }, 'dropped partition past retention');
    }
  }
  return dropped;
}

/**
 * Remembers which partitions exist so that the writer checks a day with one Set lookup and
 * creates it only the first time a batch reaches it.
 */
export class PartitionKeeper {
  private readonly known = new Set<string>();

  constructor(private readonly db: Queryable) {}

  /** Makes sure `table` has partitions for every period between `from` and `to` (ms, inclusive). */
  async ensureRange(table: PartitionedTableName, from: number, to: number): Promise<void> {
    const unit = PARTITION_UNITS[table];
    for (let start = periodStart(unit, from); start <= to; start = periodEnd(unit, start)) {
      const name = partitionName(table, start);
      if (this.known.has(name)) continue;
      await createPartition(this.db, table, start);
      this.known.add(name);
    }
  }

  /** Forgets partitions (after they were dropped) so they are checked again if written to. */
  forget(names: Iterable<string>): void {
    for (const name of names) this.known.delete(name);
  }
}
