/**
 * OffsetCommit, OffsetFetch and OffsetDelete. Offsets live in the group; the broker persists
 * them to __consumer_offsets through the onOffsetCommit / onOffsetDelete hooks.
 */
import {
  COORDINATOR_NOT_AVAILABLE, GROUP_ID_NOT_FOUND, GROUP_SUBSCRIBED_TO_TOPIC, ILLEGAL_GENERATION, NON_EMPTY_GROUP, NONE,
  OFFSET_METADATA_TOO_LARGE, REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID, UNKNOWN_TOPIC_OR_PARTITION,
} from './errors.ts';
import type { GroupContext } from './context.ts';
import { CONSUMER_PROTOCOL_TYPE, Group, offsetKey, type CommittedOffset } from './model.ts';
import { validateMember, type Membership } from './membership.ts';

/** Kafka's offset.metadata.max.bytes default. */
export const MAX_OFFSET_METADATA_BYTES = 4096;

interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch?: number;
  memberId?: string;
  groupInstanceId?: string | null;
  topics: {
    name: string;
    partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch?: number; commitTimestamp?: bigint; committedMetadata: string | null }[];
  }[];
}

/** Per-partition results, in request order. */
export interface PartitionErrors {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

/** One partition of an OffsetFetch answer. */
export interface FetchedPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

/** One group of an OffsetFetch answer. */
export interface FetchedGroup {
  groupId: string;
  errorCode: number;
  topics: { name: string; partitions: FetchedPartition[] }[];
}

/** OffsetFetch response: `groups` from v8, `topics` (+ `errorCode` from v2) before. */
export interface OffsetFetchResponse {
  throttleTimeMs: number;
  errorCode?: number;
  topics?: { name: string; partitions: FetchedPartition[] }[];
  groups?: FetchedGroup[];
}

type TopicRequest = { name: string; partitionIndexes: number[] };

/** Handles the offset requests of one coordinator. */
export class Offsets {
  constructor(private readonly ctx: GroupContext, private readonly membership: Membership) {}

  /** Stores offsets after the generation/member checks; v0 and generation -1 are simple commits. */
  commit(req: OffsetCommitRequest, version: number): { throttleTimeMs: number } & PartitionErrors {
    const generationId = version >= 1 ? req.generationIdOrMemberEpoch ?? -1 : -1;
    const memberId = version >= 1 ? req.memberId ?? '' : '';
    const instanceId = version >= 7 ? req.groupInstanceId ?? null : null;
    const { opts } = this.ctx;
    const known = (topic: string, p: { partitionIndex: number }) => opts.partitionExists(topic, p.partitionIndex);
    const anyKnown = req.topics.some((t) => t.partitions.some((p) => known(t.name, p)));
    // Like Kafka, the group is looked at (and maybe created) only when something can be stored.
    const groupError = !this.ctx.active ? COORDINATOR_NOT_AVAILABLE
      : anyKnown ? this.validateCommit(req.groupId, generationId, memberId, instanceId) : NONE;
    const group = this.ctx.groups.get(req.groupId);
    const now = BigInt(opts.now());
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (!this.ctx.active) return { partitionIndex: p.partitionIndex, errorCode: COORDINATOR_NOT_AVAILABLE };
          if (!known(t.name, p)) return { partitionIndex: p.partitionIndex, errorCode: UNKNOWN_TOPIC_OR_PARTITION };
          if (groupError !== NONE) return { partitionIndex: p.partitionIndex, errorCode: groupError };
          const metadata = p.committedMetadata ?? ''; // Kafka keeps a null metadata as ''
          if (Buffer.byteLength(metadata) > MAX_OFFSET_METADATA_BYTES) {
            return { partitionIndex: p.partitionIndex, errorCode: OFFSET_METADATA_TOO_LARGE };
          }
          const entry: CommittedOffset = {
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: version >= 6 ? p.committedLeaderEpoch ?? -1 : -1,
            metadata,
            // Only v1 lets the client set the commit time; -1 there also means "now".
            commitTimestamp: version === 1 && p.commitTimestamp !== undefined && p.commitTimestamp !== -1n ? p.commitTimestamp : now,
          };
          group!.offsets.set(offsetKey(t.name, p.partitionIndex), entry);
          opts.onOffsetCommit({ groupId: req.groupId, ...entry });
          return { partitionIndex: p.partitionIndex, errorCode: NONE };
        }),
      })),
    };
  }

  private validateCommit(groupId: string, generationId: number, memberId: string, instanceId: string | null): number {
    let group = this.ctx.groups.get(groupId);
    if (group === undefined) {
      // Generation -1: a group that does not use Kafka's group management (e.g. assign()).
      if (generationId >= 0) return ILLEGAL_GENERATION;
      group = new Group(groupId);
      this.ctx.groups.set(groupId, group);
    }
    if (group.state === 'Dead') return COORDINATOR_NOT_AVAILABLE;
    if (generationId >= 0 || memberId !== '' || instanceId !== null) {
      const error = validateMember(group, memberId, instanceId);
      if (error !== NONE) return error;
      if (generationId !== group.generationId) return ILLEGAL_GENERATION;
    } else if (group.state !== 'Empty') {
      return UNKNOWN_MEMBER_ID; // only members may commit for a group that has members
    }
    if (group.state === 'CompletingRebalance') return REBALANCE_IN_PROGRESS;
    const member = group.members.get(memberId);
    if (member !== undefined) this.membership.rebalancer.scheduleSession(group, member, member.sessionTimeoutMs);
    return NONE;
  }

  /**
   * Committed offsets of one group: every committed partition (of partitions that still exist)
   * when `topics` is null, else each requested partition, -1 when nothing is committed.
   */
  fetchGroup(groupId: string, topics: readonly TopicRequest[] | null): FetchedGroup {
    if (!this.ctx.active) return { groupId, errorCode: COORDINATOR_NOT_AVAILABLE, topics: [] };
    const offsets = this.ctx.groups.get(groupId)?.offsets;
    if (topics === null) {
      const all = [...(offsets?.values() ?? [])]
        .filter((o) => this.ctx.opts.partitionExists(o.topic, o.partition))
        .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
      const byTopic = new Map<string, FetchedPartition[]>();
      for (const o of all) {
        let list = byTopic.get(o.topic);
        if (list === undefined) byTopic.set(o.topic, (list = []));
        list.push(fetched(o.partition, o));
      }
      return { groupId, errorCode: NONE, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    }
    return {
      groupId,
      errorCode: NONE,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((i) => fetched(i, offsets?.get(offsetKey(t.name, i)))),
      })),
    };
  }

  /** v0–7 answer one group in topics[] (top-level errorCode from v2); v8+ answer groups[]. */
  fetch(req: { groupId?: string; topics?: TopicRequest[] | null; groups?: { groupId: string; topics: TopicRequest[] | null }[] }, version: number): OffsetFetchResponse {
    if (version >= 8) {
      return { throttleTimeMs: 0, groups: (req.groups ?? []).map((g) => this.fetchGroup(g.groupId, g.topics ?? null)) };
    }
    const g = this.fetchGroup(req.groupId ?? '', req.topics ?? null);
    if (version < 2 && g.errorCode !== NONE) {
      // v0–1 have no top-level error: every requested partition carries it instead.
      const topics = (req.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((i) => ({ ...fetched(i, undefined), errorCode: g.errorCode })),
      }));
      return { throttleTimeMs: 0, topics };
    }
    return { throttleTimeMs: 0, errorCode: g.errorCode, topics: g.topics };
  }

  /** Removes offsets of an empty group, or of topics a live consumer group does not subscribe to. */
  delete(req: { groupId: string; topics: { name: string; partitions: { partitionIndex: number }[] }[] }): { throttleTimeMs: number; errorCode: number } & PartitionErrors {
    const fail = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, topics: [] });
    if (!this.ctx.active) return fail(COORDINATOR_NOT_AVAILABLE);
    const group = this.ctx.groups.get(req.groupId);
    if (group === undefined || group.state === 'Dead') return fail(GROUP_ID_NOT_FOUND);
    const live = group.state !== 'Empty';
    if (live && group.protocolType !== CONSUMER_PROTOCOL_TYPE) return fail(NON_EMPTY_GROUP);
    const { partitionExists, onOffsetDelete } = this.ctx.opts;
    return {
      throttleTimeMs: 0,
      errorCode: NONE,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map(({ partitionIndex }) => {
          if (!partitionExists(t.name, partitionIndex)) return { partitionIndex, errorCode: UNKNOWN_TOPIC_OR_PARTITION };
          if (live && group.isSubscribedTo(t.name)) return { partitionIndex, errorCode: GROUP_SUBSCRIBED_TO_TOPIC };
          if (group.offsets.delete(offsetKey(t.name, partitionIndex))) {
            onOffsetDelete({ groupId: group.groupId, topic: t.name, partition: partitionIndex });
          }
          return { partitionIndex, errorCode: NONE };
        }),
      })),
    };
  }
}

function fetched(partitionIndex: number, o: CommittedOffset | undefined): FetchedPartition {
  return o === undefined
    ? { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: NONE }
    : { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: NONE };
}
