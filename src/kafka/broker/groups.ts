/**
 * The bundled broker's group coordinator for the classic consumer group protocol, with Kafka's
 * GroupCoordinator semantics: states Empty → PreparingRebalance → CompletingRebalance → Stable
 * (and Dead once deleted), MEMBER_ID_REQUIRED ids (KIP-394), static membership (KIP-345) and
 * committed offsets.
 *
 * Contract:
 * - No network I/O. Each method takes a request as the generic codec decodes it (field names of
 *   Kafka's message definitions with a lower-case first letter, int64 as bigint, bytes as Buffer)
 *   and returns the response object for the encoder, correct for `version`.
 * - joinGroup and syncGroup may park: they resolve when the join phase ends or when the leader's
 *   assignment arrives. Every other method answers at once.
 * - The coordinator owns timers (join phase, sessions, pending syncs, MEMBER_ID_REQUIRED ids).
 *   stop() clears them all and answers parked requests with COORDINATOR_NOT_AVAILABLE; later
 *   requests get the same error.
 * - Offsets are kept in memory; the broker persists them through onOffsetCommit and
 *   onOffsetDelete (called synchronously, before the response is returned).
 * - A single coordinator serves every group: NOT_COORDINATOR is never returned.
 */
import type { GroupContext, OffsetCommitEvent, OffsetDeleteEvent } from './groups/context.ts';
import { deleteGroup, describeGroup, listGroups, type DescribedGroup, type ListedGroup } from './groups/admin.ts';
import { Membership, type JoinGroupResponse, type LeaveGroupResponse, type RequestContext, type SyncGroupResponse } from './groups/membership.ts';
import { offsetKey } from './groups/model.ts';
import { Offsets, type OffsetFetchResponse, type PartitionErrors } from './groups/offsets.ts';

export * from './groups/errors.ts';
export type { GroupState } from './groups/model.ts';
export type { OffsetCommitEvent, OffsetDeleteEvent } from './groups/context.ts';
export type { JoinGroupResponse, LeaveGroupResponse, RequestContext, SyncGroupResponse } from './groups/membership.ts';
export type { DescribedGroup, ListedGroup } from './groups/admin.ts';
export type { FetchedGroup, FetchedPartition, OffsetFetchResponse, PartitionErrors } from './groups/offsets.ts';

/** How to run a group coordinator. */
export interface GroupCoordinatorOptions {
  /** This broker's id; FindCoordinator (elsewhere) names it as every group's coordinator. */
  nodeId: number;
  /** group.initial.rebalance.delay.ms: how long the first join phase of an empty group waits; default 0. */
  initialRebalanceDelayMs?: number;
  /** group.min.session.timeout.ms; JoinGroup below it gets INVALID_SESSION_TIMEOUT. Default 6000. */
  minSessionTimeoutMs?: number;
  /** group.max.session.timeout.ms; JoinGroup above it gets INVALID_SESSION_TIMEOUT. Default 1800000. */
  maxSessionTimeoutMs?: number;
  /** Whether a partition exists: commits to others get UNKNOWN_TOPIC_OR_PARTITION. */
  partitionExists(topic: string, partition: number): boolean;
  /** Called for each stored offset, so the broker can append it to __consumer_offsets. */
  onOffsetCommit?(c: OffsetCommitEvent): void;
  /** Called for each removed offset (OffsetDelete, DeleteGroups). */
  onOffsetDelete?(c: OffsetDeleteEvent): void;
  /** Clock in ms for commit timestamps; default Date.now. Timers use the real clock. */
  now?(): number;
}

/** A committed offset as committed() reports it. */
export interface CommittedOffsetView {
  offset: bigint;
  metadata: string | null;
  leaderEpoch: number;
}

/** Runs every classic consumer group of one broker. */
export class GroupCoordinator {
  private readonly ctx: GroupContext;
  private readonly membership: Membership;
  private readonly offsets: Offsets;

  constructor(opts: GroupCoordinatorOptions) {
    this.ctx = {
      opts: Object.freeze({
        nodeId: opts.nodeId,
        initialRebalanceDelayMs: opts.initialRebalanceDelayMs ?? 0,
        minSessionTimeoutMs: opts.minSessionTimeoutMs ?? 6000,
        maxSessionTimeoutMs: opts.maxSessionTimeoutMs ?? 1_800_000,
        partitionExists: opts.partitionExists,
        onOffsetCommit: opts.onOffsetCommit ?? (() => {}),
        onOffsetDelete: opts.onOffsetDelete ?? (() => {}),
        now: opts.now ?? Date.now,
      }),
      groups: new Map(),
      active: true,
    };
    this.membership = new Membership(this.ctx);
    this.offsets = new Offsets(this.ctx, this.membership);
  }

  /**
   * JoinGroup (v0–9). v4+ without a member id (and without groupInstanceId) is answered at once
   * with MEMBER_ID_REQUIRED and a new id; otherwise resolves when the join phase completes.
   * `ctx` names the client, for member ids and DescribeGroups.
   */
  joinGroup(req: any, version: number, ctx?: RequestContext): Promise<JoinGroupResponse> {
    return this.membership.join(req, version, ctx);
  }

  /** SyncGroup (v0–5). Followers wait for the leader's assignment; each gets its own. */
  syncGroup(req: any, version: number): Promise<SyncGroupResponse> {
    return this.membership.sync(req, version);
  }

  /** Heartbeat (v0–4). REBALANCE_IN_PROGRESS tells the member to rejoin. */
  heartbeat(req: any, version: number): { throttleTimeMs: number; errorCode: number } {
    return this.membership.heartbeat(req, version);
  }

  /** LeaveGroup (v0–5): v0–2 one memberId, v3+ a members[] batch with per-member errors. */
  leaveGroup(req: any, version: number): LeaveGroupResponse {
    return this.membership.leave(req, version);
  }

  /** DescribeGroups (v0–5). */
  describeGroups(req: any, version: number): { throttleTimeMs: number; groups: DescribedGroup[] } {
    const include = version >= 3 && req.includeAuthorizedOperations === true;
    return { throttleTimeMs: 0, groups: (req.groups as string[]).map((id) => describeGroup(this.ctx, id, include)) };
  }

  /** ListGroups (v0–5); statesFilter from v4, typesFilter from v5. */
  listGroups(req: any, version: number): { throttleTimeMs: number; errorCode: number; groups: ListedGroup[] } {
    const states: string[] = version >= 4 ? req?.statesFilter ?? [] : [];
    const types: string[] = version >= 5 ? req?.typesFilter ?? [] : [];
    return { throttleTimeMs: 0, ...listGroups(this.ctx, states, types) };
  }

  /** DeleteGroups (v0–2): only Empty groups; their offsets go too. */
  deleteGroups(req: any, _version: number): { throttleTimeMs: number; results: { groupId: string; errorCode: number }[] } {
    const rb = this.membership.rebalancer;
    return {
      throttleTimeMs: 0,
      results: (req.groupsNames as string[]).map((groupId) => ({ groupId, errorCode: deleteGroup(this.ctx, rb, groupId) })),
    };
  }

  /** OffsetCommit (v0–9), with per-partition errors. */
  offsetCommit(req: any, version: number): { throttleTimeMs: number } & PartitionErrors {
    return this.offsets.commit(req, version);
  }

  /** OffsetFetch (v0–9): v0–7 one group, v8+ groups[]; null topics = every committed partition. */
  offsetFetch(req: any, version: number): OffsetFetchResponse {
    return this.offsets.fetch(req, version);
  }

  /** OffsetDelete (v0). */
  offsetDelete(req: any, _version: number): { throttleTimeMs: number; errorCode: number } & PartitionErrors {
    return this.offsets.delete(req);
  }

  /** Committed offsets of a group keyed `${topic}:${partition}`, for the broker's admin paths and tests. */
  committed(groupId: string): Map<string, CommittedOffsetView> {
    const out = new Map<string, CommittedOffsetView>();
    for (const o of this.ctx.groups.get(groupId)?.offsets.values() ?? []) {
      out.set(offsetKey(o.topic, o.partition), { offset: o.offset, metadata: o.metadata, leaderEpoch: o.leaderEpoch });
    }
    return out;
  }

  /** Clears every timer; parked joins and syncs resolve with COORDINATOR_NOT_AVAILABLE. Idempotent. */
  stop(): void {
    this.ctx.active = false;
    for (const group of this.ctx.groups.values()) this.membership.rebalancer.shutdownGroup(group);
  }
}
