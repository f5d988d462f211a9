import type { Group } from './model.ts';

/** A partition's committed offset as the broker persists it to __consumer_offsets. */
export interface OffsetCommitEvent {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch: number;
  /** Kafka stores a null commit metadata as the empty string; so does the coordinator. */
  readonly metadata: string | null;
  readonly commitTimestamp: bigint;
}

/** A partition whose committed offset was removed (OffsetDelete, DeleteGroups). */
export interface OffsetDeleteEvent {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
}

/** How the coordinator is configured; see GroupCoordinatorOptions for each field. */
export interface ResolvedGroupOptions {
  readonly nodeId: number;
  readonly initialRebalanceDelayMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly partitionExists: (topic: string, partition: number) => boolean;
  readonly onOffsetCommit: (c: OffsetCommitEvent) => void;
  readonly onOffsetDelete: (c: OffsetDeleteEvent) => void;
  readonly now: () => number;
}

/** What every request handler of the coordinator shares. */
export interface GroupContext {
  readonly opts: ResolvedGroupOptions;
  readonly groups: Map<string, Group>;
  /** False once stop() ran: every request is then answered COORDINATOR_NOT_AVAILABLE. */
  active: boolean;
}
