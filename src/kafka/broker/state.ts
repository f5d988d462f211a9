/**
 * The cluster state the controller decides on, as plain data: which brokers exist and live, and
 * for each partition its assignment, leader, ISR and ongoing reassignment. A live `Partition`
 * satisfies `PartitionState`; tests build the same shape from literals.
 */

/** What the controller reads of one broker's copy of a partition. */
export interface ReplicaState {
  /** Last time this replica had everything its leader had (replica.lag.time.max.ms). */
  readonly lastCaughtUpMs: number;
}

/** The controller's view of one partition. */
export interface PartitionState {
  /** Assigned replicas, preferred leader first (during a reassignment: target, then removing). */
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Current leader, -1 when offline. */
  readonly leader: number;
  /** Replicas being added/removed by an ongoing reassignment (KIP-455). */
  readonly adding: readonly number[];
  readonly removing: readonly number[];
  /** Each broker's copy, by broker id. */
  readonly copies: ReadonlyMap<number, ReplicaState>;
}

/** The brokers as the controller sees them. */
export interface Brokers {
  /** Every broker of the cluster, live or not. */
  readonly all: ReadonlySet<number>;
  /** The brokers that are running. */
  readonly live: ReadonlySet<number>;
}

/** A new leader (or -1: offline), with the ISR it comes with when an unclean election reset it. */
export interface LeaderChange {
  readonly leader: number;
  /** The ISR after an unclean election ([leader]); undefined when the ISR stays. */
  readonly isr?: readonly number[];
  /** Whether the leader was taken from outside the ISR. */
  readonly unclean: boolean;
}

/** An election asked for by a client (ElectLeaders): a Kafka error code and the change, if any. */
export interface ElectionOutcome {
  readonly code: number;
  readonly change: LeaderChange | null;
}

/** A new replica assignment of a partition. */
export interface AssignmentChange {
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly adding: readonly number[];
  readonly removing: readonly number[];
  /** Brokers that get a new, empty copy of the partition. */
  readonly createCopies: readonly number[];
  /** Brokers whose copy of the partition is dropped. */
  readonly dropCopies: readonly number[];
}

/** AlterPartitionReassignments on one partition: a Kafka error code and the change, if any. */
export interface ReassignOutcome {
  readonly code: number;
  readonly change: AssignmentChange | null;
  /** Whether new replicas must now catch up (replication is to be scheduled). */
  readonly replicate: boolean;
}

/** A reassignment whose new replicas all joined the ISR: the final assignment. */
export interface ReassignmentCompletion {
  readonly change: AssignmentChange;
  /** Replicas that left the partition. */
  readonly removed: readonly number[];
  /** Whether the leader left the partition and a new one must be elected. */
  readonly elect: boolean;
}

/** What happens to a partition when a broker stops or a new partition finds dead replicas. */
export interface ReplicaLoss {
  /** The ISR without the lost replicas; undefined when it stays. */
  readonly isr?: readonly number[];
  /** Whether the partition goes offline without an election (no live ISR member at creation). */
  readonly offline: boolean;
  /** Whether a new leader must be elected. */
  readonly elect: boolean;
}

/** Followers that fell out of the ISR, and the ISR without them. */
export interface IsrShrink {
  readonly isr: readonly number[];
  readonly removed: readonly number[];
}
