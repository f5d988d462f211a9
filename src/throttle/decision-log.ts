/**
 * The `DecisionLog` seam: where the throttle loop keeps its decisions, their evidence and
 * outcome, and the operators' baseline quotas. A round's plan is committed as a whole (`commit`),
 * then what the cluster did with the pushed changes (`recordPush`); reads give the API its
 * history and give the loop back its memory (pending recommendations, when each quota last
 * changed, baselines). Implementations: SQL (`DecisionStore`, src/throttle/audit.ts: one
 * transaction a call) and memory (`MemoryDecisionLog`, src/throttle/memory-log.ts: replay).
 */
import type { QuotaEntityComponent } from '../kafka/quota.ts';

/** Where a decision ended up. */
export type DecisionStatus = 'pending' | 'applied' | 'skipped' | 'failed' | 'expired';

/** A decision to record. */
export interface DecisionInput {
  readonly ts: number;
  readonly cluster: string;
  readonly entity: readonly QuotaEntityComponent[];
  readonly entityKey: string;
  readonly quotaKey: string;
  readonly mode: string;
  readonly state: string;
  readonly oldValue: number | undefined;
  readonly proposed: number | null;
  readonly newValue: number | null | undefined;
  readonly status: DecisionStatus;
  readonly appliedBy?: string;
  readonly rollbackOf?: number;
  readonly reason: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly error?: string;
}

/** A decision as stored. */
export interface Decision extends DecisionInput {
  readonly id: number;
  readonly appliedAt: number | undefined;
  readonly rolledBackBy: number | undefined;
}

/** Which decisions to list (newest first, at most `limit`, default 500). */
export interface DecisionFilter {
  readonly cluster?: string;
  readonly entityKey?: string;
  readonly status?: DecisionStatus;
  readonly from?: number;
  readonly to?: number;
  readonly limit?: number;
}

/** An operator's value of one entity's quota before Sluice's first change (null: none was set). */
export interface BaselineInput {
  readonly cluster: string;
  readonly entity: readonly QuotaEntityComponent[];
  readonly entityKey: string;
  readonly quotaKey: string;
  readonly value: number | null;
}

/** One round's writes before anything is pushed, committed all or nothing. */
export interface RoundCommit {
  readonly at: number;
  /** Decisions to record, in order: their ids come out in this order. */
  readonly records: readonly DecisionInput[];
  /** Pending decisions that expire, with the note they carry (none: their evidence is old). */
  readonly expiries: readonly { readonly id: number; readonly note?: string }[];
  /** Pending decisions a record of this commit replaces (`by`: its index in `records`). */
  readonly supersedes: readonly { readonly id: number; readonly by: number; readonly note: (byId: number) => string }[];
  /** Baselines to remember before pushing: each kept if already known. */
  readonly baselines: readonly BaselineInput[];
}

/** What a commit stored: the ids of its records, and which of its baselines were not known before. */
export interface CommitReceipt {
  readonly ids: readonly number[];
  readonly remembered: readonly boolean[];
}

/** What the cluster did with one push of decisions, recorded all or nothing. */
export interface PushRecord {
  readonly at: number;
  readonly by: string;
  /** The decisions pushed: applied, or failed with `error`. */
  readonly ids: readonly number[];
  readonly error?: string;
  /** A rollback that went through: `of` is now rolled back by `by`. */
  readonly rolledBack?: { readonly of: number; readonly by: number };
  /** Baselines to forget: restored, or remembered for a push the cluster refused. */
  readonly forget: readonly Omit<BaselineInput, 'entity' | 'value'>[];
  /** Baselines to remember (kept if known): ones an earlier refused push of the round had claimed. */
  readonly remember: readonly BaselineInput[];
}

/** One round's explanation (see src/throttle/explain.ts). */
export interface RoundNote {
  readonly cluster: string;
  readonly at: number;
  readonly state: string;
  readonly explanation: string;
}

/** A run of rounds with the same explanation: the first and last of them, and how many. */
export interface RoundRun {
  readonly cluster: string;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly rounds: number;
  readonly state: string;
  readonly explanation: string;
}

/** The decisions and baselines of the throttle loops. */
export interface DecisionLog {
  get(id: number): Promise<Decision | undefined>;
  list(filter?: DecisionFilter): Promise<Decision[]>;
  /** When Sluice last applied a change, per `entityKey|quotaKey`, for one cluster. */
  lastChanges(cluster: string): Promise<Map<string, number>>;
  /**
   * Per `entityKey|quotaKey` with a baseline (a quota Sluice has moved and not yet given back):
   * the changes Sluice applied to it since the baseline was remembered, this episode's.
   */
  episodeChanges(cluster: string): Promise<Map<string, number>>;
  /**
   * Per `entityKey|quotaKey` with a baseline: the highest client demand recorded in the evidence
   * of the changes applied this episode (bytes/s), what the client asked while it was limited;
   * none when one of those demands was only a lower bound (`lowerBound` in its evidence).
   */
  episodeDemand(cluster: string): Promise<Map<string, number>>;
  /** Operators' baselines of one cluster, per `entityKey|quotaKey`. */
  baselines(cluster: string): Promise<Map<string, { entity: QuotaEntityComponent[]; value: number | null }>>;
  /** Stores a round's plan: records, expiries, supersedes and baselines together. */
  commit(round: RoundCommit): Promise<CommitReceipt>;
  /** Stores the outcome of one push. */
  recordPush(push: PushRecord): Promise<void>;
  /** Records a round's explanation: the cluster's last run is extended when it says the same, else a run begins. */
  recordRound(round: RoundNote): Promise<void>;
  /** A cluster's runs of rounds, newest first, at most `limit`. */
  rounds(cluster: string, limit: number): Promise<RoundRun[]>;
}
