/**
 * The in-process cache of series: each distinct series gets one `SeriesRef` for the life of the
 * process, whether or not the database has been reachable yet; its database id is filled in by
 * `resolve`, in batches, the first time a batch holding it is written.
 */
import { canonicalSeries, normalizeLabels, storedLabels, storedSeriesHash } from './labels.ts';
import type { Queryable } from './types.ts';

/** One series known to this process. */
export interface SeriesRef {
  /** Canonical form, `name{a="x",b="y"}`; the cache key. */
  readonly key: string;
  readonly metric: string;
  /** Labels, keys sorted, empty values left out. */
  readonly labels: Readonly<Record<string, string>>;
  /** `series.id`; 0 until resolved. */
  id: number;
  /** Time (ms) of the newest sample accepted for it; -Infinity before the first. */
  lastTs: number;
  /** The labels with the metric name as `__name__`, made on first use (query results carry them). */
  withName?: Readonly<Record<string, string>>;
}

/** Series resolved per round trip. */
const RESOLVE_BATCH = 5000;

/**
 * A node of the lookup tree: one level per label, in the order the sample's labels object lists
 * them. Following existing strings through small Maps costs a few tens of ns a sample, where
 * building and hashing the canonical string costs several hundred; the canonical form is only
 * computed for a labels object seen for the first time (a new series, or a new key order).
 */
interface LookupNode {
  ref?: SeriesRef;
  /** The label name that follows here on most paths, and the next node by its value. */
  name?: string;
  values?: Map<string, LookupNode>;
  /** Other label names that follow here (series of one metric with different label sets). */
  others?: Map<string, Map<string, LookupNode>>;
}

/** Metric and series ids cached in process, resolved against the database in batches. */
export class SeriesCache {
  private readonly byKey = new Map<string, SeriesRef>();
  private readonly lookup = new Map<string, LookupNode>();
  private readonly metricIds = new Map<string, number>();

  /** Series known to the process. */
  get size(): number {
    return this.byKey.size;
  }

  /**
   * The ref of a series, created on first sight. Throws SLUICE_ERR_STORE_SAMPLE_INVALID for an
   * invalid name or a series without `cluster`.
   */
  ref(metric: string, labels: Readonly<Record<string, string>>): SeriesRef {
    let node = this.lookup.get(metric);
    for (const name in labels) {
      if (node === undefined) break;
      const values = node.name === name ? node.values : node.others?.get(name);
      node = values?.get(labels[name]!);
    }
    return node?.ref ?? this.create(metric, labels);
  }

  /** The slow path of `ref`: checks the series, finds or makes its ref, records the path. */
  private create(metric: string, labels: Readonly<Record<string, string>>): SeriesRef {
    const key = canonicalSeries(metric, labels);
    let ref = this.byKey.get(key);
    if (ref === undefined) {
      ref = { key, metric, labels: Object.freeze(normalizeLabels(labels)), id: 0, lastTs: -Infinity };
      this.byKey.set(key, ref);
    }
    let node = this.lookup.get(metric);
    if (node === undefined) this.lookup.set(metric, (node = {}));
    for (const name in labels) {
      let values: Map<string, LookupNode> | undefined;
      if (node.name === undefined) {
        node.name = name;
        values = node.values = new Map();
      } else if (node.name === name) {
        values = node.values!;
      } else {
        node.others ??= new Map();
        values = node.others.get(name);
        if (values === undefined) node.others.set(name, (values = new Map()));
      }
      const value = labels[name]!;
      let next = values.get(value);
      if (next === undefined) values.set(value, (next = {}));
      node = next;
    }
    node.ref = ref;
    return ref;
  }

  /** The ref with this canonical form, if known. */
  get(key: string): SeriesRef | undefined {
    return this.byKey.get(key);
  }

  /** Every ref known, in no particular order. */
  refs(): IterableIterator<SeriesRef> {
    return this.byKey.values();
  }

  /**
   * Registers a series read from the database (id known), e.g. while warming the head; `labels`
   * are the series' own, already turned back from their stored form (`labelsFromStore`).
   */
  adopt(id: number, metric: string, labels: Readonly<Record<string, string>>): SeriesRef {
    const ref = this.ref(metric, labels);
    ref.id = id;
    return ref;
  }

  /**
   * Fills in the database id of every ref that has none, creating metric and series rows as
   * needed (INSERT … ON CONFLICT DO NOTHING, then SELECT, so concurrent writers agree).
   */
  async resolve(db: Queryable, refs: Iterable<SeriesRef>): Promise<void> {
    const missing = new Map<string, SeriesRef>();
    for (const ref of refs) if (ref.id === 0) missing.set(ref.key, ref);
    const all = [...missing.values()];
    for (let i = 0; i < all.length; i += RESOLVE_BATCH) await this.resolveBatch(db, all.slice(i, i + RESOLVE_BATCH));
  }

  private async resolveBatch(db: Queryable, refs: SeriesRef[]): Promise<void> {
    await this.resolveMetrics(db, [...new Set(refs.map((ref) => ref.metric))]);
    // Labels and hash in their stored form (see storedLabelValue in labels.ts): PostgreSQL can
    // hold any label value that way.
    const hashes = refs.map((ref) => storedSeriesHash(ref.metric, ref.labels, ref.key).toString('hex'));
    await db.query(
      `INSERT INTO series (metric_id, labels, labels_hash)
       SELECT m, l::jsonb, decode(h, 'hex') FROM unnest($1::int4[], $2::text[], $3::text[]) AS u(m, l, h)
       ON CONFLICT (labels_hash) DO NOTHING`,
      [refs.map((ref) => this.metricIds.get(ref.metric)), refs.map((ref) => JSON.stringify(storedLabels(ref.labels))), hashes],
    );
    const found = await db.query<{ id: number; hash: string }>(
      `SELECT id, encode(labels_hash, 'hex') AS hash FROM series WHERE labels_hash IN (SELECT decode(h, 'hex') FROM unnest($1::text[]) AS h)`,
      [hashes],
    );
    const ids = new Map(found.rows.map((row) => [row.hash, row.id]));
    refs.forEach((ref, i) => {
      const id = ids.get(hashes[i]!);
      // Only possible if the row was deleted between the INSERT and the SELECT.
      if (id === undefined) throw new Error(`series ${ref.key} was not found after it was inserted`);
      ref.id = id;
    });
  }

  private async resolveMetrics(db: Queryable, names: string[]): Promise<void> {
    const missing = names.filter((name) => !this.metricIds.has(name));
    if (missing.length === 0) return;
    await db.query('INSERT INTO metric (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING', [missing]);
    const found = await db.query<{ id: number; name: string }>('SELECT id, name FROM metric WHERE name = ANY($1::text[])', [missing]);
    for (const row of found.rows) this.metricIds.set(row.name, row.id);
  }
}
