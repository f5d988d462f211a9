/**
 * An execution as data: each move's state, the throttle sizing with its explanation, and the
 * throttle configs that may be set in the cluster now (what recovery removes). What the store
 * keeps, the API and `sluice balance status` show, and the executor works from.
 */

/** A move's life: pending → in-flight → done, or cancelled / failed. */
export type MoveState = 'pending' | 'in-flight' | 'done' | 'cancelled' | 'failed';

/** One partition's reassignment inside an execution. */
export interface MoveRecord {
  /** Position in the plan's reassignments. */
  readonly seq: number;
  readonly topic: string;
  readonly partition: number;
  readonly replicasBefore: readonly number[];
  readonly replicasAfter: readonly number[];
  readonly leaderBefore: number;
  readonly bytes: number;
  readonly state: MoveState;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly error: string | null;
}

/** running → done; paused (no new batch) ⇄ running; cancelling → cancelled; failed. */
export type ExecutionState = 'running' | 'paused' | 'cancelling' | 'done' | 'cancelled' | 'failed';

/** States of an execution that still has work (and maybe throttles) in the cluster. */
export const ACTIVE_STATES: readonly ExecutionState[] = ['running', 'paused', 'cancelling'];

/** What a person (or another process) asked for, acted on at the executor's next round. */
export type ExecutionRequest = 'pause' | 'resume' | 'cancel';

/** The rates of one broker's replication throttle (bytes/s); null: not throttled on that side. */
export interface BrokerRates {
  readonly broker: number;
  readonly leaderRate: number | null;
  readonly followerRate: number | null;
}

/** Throttle configs Sluice set (or may have set) in the cluster. */
export interface AppliedThrottle {
  /** Brokers with a rate set, and the rate configs each had before Sluice set its own (restored at the end). */
  readonly brokers: readonly (BrokerRates & { readonly previous: Readonly<Record<string, string>> })[];
  /**
   * `partition:broker` items Sluice added to each topic's throttled-replicas lists, and the items
   * (`foreign`) the lists held before Sluice first added one: someone else's, never appended
   * again as Sluice's nor taken away (read when a topic is first throttled; absent: none known).
   */
  readonly topics: readonly {
    readonly topic: string;
    readonly leader: readonly string[];
    readonly follower: readonly string[];
    readonly foreign?: { readonly leader: readonly string[]; readonly follower: readonly string[] };
  }[];
}

/** Nothing set. */
export const NO_THROTTLE: AppliedThrottle = { brokers: [], topics: [] };

/** One broker's throttle sizing and the numbers behind it. */
export interface BrokerSizing {
  readonly broker: number;
  /** Rate of the bytes it serves to new replicas (its network out). */
  readonly leaderRate: number;
  /** Rate of the bytes it copies as a new replica (its network in). */
  readonly followerRate: number;
  /** Measured client bytes/s in and out; null when nothing was recorded. */
  readonly clientIn: number | null;
  readonly clientOut: number | null;
}

/** The throttle an execution uses, sized from headroom (or set by an operator), explained. */
export interface ThrottleSizing {
  readonly at: number;
  /** The rate an operator set for every broker (bytes/s); null: sized from headroom. */
  readonly override: number | null;
  readonly brokers: readonly BrokerSizing[];
  readonly explanation: readonly string[];
}

/** An execution of a stored plan. */
export interface ExecutionRecord {
  readonly id: number;
  readonly planId: number;
  readonly cluster: string;
  readonly state: ExecutionState;
  readonly requested: ExecutionRequest | null;
  readonly startedBy: string;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | null;
  /** The process running it, and when it was last heard of. */
  readonly owner: string | null;
  readonly heartbeatAt: number | null;
  readonly throttleOverride: number | null;
  readonly sizing: ThrottleSizing | null;
  readonly applied: AppliedThrottle;
  /** Why no batch starts now (a guardrail), null when nothing holds it. */
  readonly blocked: string | null;
  readonly error: string | null;
  readonly moves: readonly MoveRecord[];
}
