/**
 * The silence store: create, expire, list and get, persisted in `notify_silences` and held in
 * memory for matching, so that muting an alert never waits on the database. `load` at start
 * brings back what an earlier run stored. Expired silences stop applying at their `endsAt`,
 * read from the Clock, and stay listed for 5 days, as Alertmanager keeps them.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { jsonFromStore, labelValueFromStore, storedJson, storedLabelValue } from '../store/labels.ts';
import { msOf, toTimestamp } from '../store/sql.ts';
import type { Db } from '../store/types.ts';
import { checkSilence, compileSilence, silenceState, silencedBy, type ActiveSilence, type NewSilence, type Silence, type SilenceMatcher } from './silence-match.ts';
import type { Labels } from './types.ts';

interface StoredSilence {
  readonly id: string;
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
  readonly compiled: ActiveSilence;
}

interface SilenceRow {
  id: string;
  matchers: SilenceMatcher[] | string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment: string;
}

/** How long an expired silence stays listed: Alertmanager's default retention, 5 days. */
export const SILENCE_RETENTION_MS = 5 * 86_400_000;

/** Silences of one Sluice, in the database and in memory. */
export class SilenceStore {
  private readonly byId = new Map<string, StoredSilence>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly retentionMs = SILENCE_RETENTION_MS,
  ) {}

  /** Reads every stored silence into memory, replacing what was held; deletes those expired longer than the retention ago. */
  async load(): Promise<void> {
    await this.db.query('DELETE FROM notify_silences WHERE ends_at < $1', [toTimestamp(this.clock.now() - this.retentionMs)]);
    const result = await this.db.query<SilenceRow>(
      `SELECT id, matchers, ${msOf('starts_at')} AS starts_at, ${msOf('ends_at')} AS ends_at, created_by, comment FROM notify_silences`,
    );
    this.byId.clear();
    for (const row of result.rows) {
      // Stored by the label value rule (src/store/labels.ts): a matcher may name a client id with NUL.
      const matchers = jsonFromStore(typeof row.matchers === 'string' ? (JSON.parse(row.matchers) as SilenceMatcher[]) : row.matchers);
      this.hold({ id: row.id, matchers, startsAt: row.starts_at, endsAt: row.ends_at, createdBy: labelValueFromStore(row.created_by), comment: labelValueFromStore(row.comment) });
    }
  }

  /**
   * Validates and stores a silence, returning its id. Throws SLUICE_ERR_SILENCE_INVALID whose
   * path names the bad field (`endsAt`, `matchers[0].value`, `matchers`); nothing is stored then.
   */
  async create(input: NewSilence): Promise<string> {
    const now = this.clock.now();
    const checked = checkSilence(input, now);
    const id = randomUUID();
    await this.db.query(
      `INSERT INTO notify_silences (id, matchers, starts_at, ends_at, created_by, comment, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, storedJson(checked.matchers), toTimestamp(checked.startsAt), toTimestamp(checked.endsAt), storedLabelValue(checked.createdBy), storedLabelValue(checked.comment), toTimestamp(now)],
    );
    this.hold({ id, ...checked });
    return id;
  }

  /**
   * Ends a silence now: an active one gets `endsAt` now, a pending one starts and ends now.
   * True when the silence exists (expiring an expired one changes nothing), false otherwise.
   */
  async expire(id: string): Promise<boolean> {
    const held = this.byId.get(id);
    if (held === undefined) return false;
    const now = this.clock.now();
    if (silenceState(held.startsAt, held.endsAt, now) === 'expired') return true;
    const startsAt = Math.min(held.startsAt, now);
    await this.db.query('UPDATE notify_silences SET starts_at = $2, ends_at = $3, updated_at = $3 WHERE id = $1', [id, toTimestamp(startsAt), toTimestamp(now)]);
    this.hold({ ...held, startsAt, endsAt: now });
    return true;
  }

  /** Every silence, newest `startsAt` first. */
  async list(): Promise<Silence[]> {
    const now = this.clock.now();
    for (const [id, s] of this.byId) if (s.endsAt < now - this.retentionMs) this.byId.delete(id);
    return [...this.byId.values()].sort((a, b) => b.startsAt - a.startsAt || (a.id < b.id ? -1 : 1)).map((s) => this.show(s, now));
  }

  /** One silence, or undefined. */
  async get(id: string): Promise<Silence | undefined> {
    const held = this.byId.get(id);
    return held === undefined ? undefined : this.show(held, this.clock.now());
  }

  /** The ids of the silences muting `labels` at `now` (default: the clock's now). */
  mutedBy(labels: Labels, now = this.clock.now()): string[] {
    return silencedBy([...this.byId.values()].map((s) => s.compiled), labels, now);
  }

  private hold(s: Omit<StoredSilence, 'compiled'>): void {
    this.byId.set(s.id, { ...s, compiled: compileSilence(s) });
  }

  private show(s: StoredSilence, now: number): Silence {
    return {
      id: s.id,
      matchers: s.matchers.map((m) => ({ ...m })),
      startsAt: new Date(s.startsAt).toISOString(),
      endsAt: new Date(s.endsAt).toISOString(),
      createdBy: s.createdBy,
      comment: s.comment,
      status: silenceState(s.startsAt, s.endsAt, now),
    };
  }
}
