/**
 * JoinGroup, SyncGroup, Heartbeat and LeaveGroup of the classic group protocol: validate the
 * request as Kafka's GroupCoordinator does, then let the Rebalancer move the group along.
 */
import { randomUUID } from 'node:crypto';
import {
  COORDINATOR_NOT_AVAILABLE, FENCED_INSTANCE_ID, ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL, INVALID_GROUP_ID,
  INVALID_SESSION_TIMEOUT, MEMBER_ID_REQUIRED, NONE, REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID,
} from './errors.ts';
import type { GroupContext } from './context.ts';
import { Group, joinError, syncError, type JoinedMember, type JoinResult, type Member, type SyncResult } from './model.ts';
import { Rebalancer, type JoinParams } from './rebalance.ts';

/** Who sent a request, from its header and connection. */
export interface RequestContext {
  readonly clientId: string;
  /** The peer address, bare ("127.0.0.1") or as Kafka prints it ("/127.0.0.1"). */
  readonly clientHost: string;
}

/**
 * A client host as Kafka shows it in DescribeGroups: Java's InetAddress.toString(), which is
 * "/<ip>" for an address without a resolved name. Admin tools print it as is.
 */
export function kafkaClientHost(host: string): string {
  return host === '' || host.includes('/') ? host : `/${host}`;
}

/** JoinGroup request fields (v0–9) the coordinator reads. */
interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs?: number;
  memberId: string;
  groupInstanceId?: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
}

/** JoinGroup response (v0–9); fields a version lacks are left out by the encoder. */
export interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinedMember[];
}

/** SyncGroup request fields (v0–5). */
interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
  protocolType?: string | null;
  protocolName?: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

/** SyncGroup response (v0–5). */
export interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

/** LeaveGroup response: v0–2 carry one top-level error, v3+ one error per member. */
export interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members?: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

const NO_CONTEXT: RequestContext = { clientId: '', clientHost: '' };

/** Handles the membership requests of every group of one coordinator. */
export class Membership {
  readonly rebalancer: Rebalancer;

  constructor(private readonly ctx: GroupContext) {
    this.rebalancer = new Rebalancer(ctx);
  }

  /** Resolves when the member may go on: at once for errors, after the join phase otherwise. */
  join(req: JoinGroupRequest, version: number, rc: RequestContext = NO_CONTEXT): Promise<JoinGroupResponse> {
    return new Promise((resolve) => {
      this.handleJoin(req, version, rc, (r) => resolve({
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        generationId: r.generationId,
        protocolType: r.protocolType,
        // ProtocolName became nullable in v7; before that "no protocol" is the empty string.
        protocolName: r.protocolName ?? (version >= 7 ? null : ''),
        leader: r.leader,
        skipAssignment: false,
        memberId: r.memberId,
        members: [...r.members],
      }));
    });
  }

  private handleJoin(req: JoinGroupRequest, version: number, rc: RequestContext, respond: (r: JoinResult) => void): void {
    const memberId = req.memberId ?? '';
    if (!this.ctx.active) return respond(joinError(memberId, COORDINATOR_NOT_AVAILABLE));
    if (!req.groupId) return respond(joinError(memberId, INVALID_GROUP_ID));
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = this.ctx.opts;
    if (req.sessionTimeoutMs < minSessionTimeoutMs || req.sessionTimeoutMs > maxSessionTimeoutMs) {
      return respond(joinError(memberId, INVALID_SESSION_TIMEOUT));
    }
    const rebalanceTimeoutMs = version >= 1 && req.rebalanceTimeoutMs !== undefined && req.rebalanceTimeoutMs >= 0
      ? req.rebalanceTimeoutMs
      : req.sessionTimeoutMs; // v0 has no rebalance timeout: Kafka uses the session timeout
    const p: JoinParams = {
      groupInstanceId: version >= 5 ? req.groupInstanceId ?? null : null,
      clientId: rc.clientId,
      clientHost: kafkaClientHost(rc.clientHost),
      protocolType: req.protocolType,
      protocols: req.protocols.map((x) => ({ name: x.name, metadata: x.metadata })),
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs,
    };
    let group = this.ctx.groups.get(req.groupId);
    if (group === undefined) {
      // Only a member without an id creates the group; a known id for an unknown group is stale.
      if (memberId !== '') return respond(joinError(memberId, UNKNOWN_MEMBER_ID));
      group = new Group(req.groupId);
      this.ctx.groups.set(req.groupId, group);
    }
    if (group.state === 'Dead') return respond(joinError(memberId, COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, p.protocols)) {
      return respond(joinError(memberId, INCONSISTENT_GROUP_PROTOCOL));
    }
    if (memberId === '') this.joinNewMember(group, p, version, respond);
    else this.joinKnownMember(group, memberId, p, respond);
    if (group.state === 'PreparingRebalance') this.rebalancer.tryCompleteJoin(group);
  }

  private joinNewMember(group: Group, p: JoinParams, version: number, respond: (r: JoinResult) => void): void {
    const newId = `${p.groupInstanceId ?? p.clientId}-${randomUUID()}`;
    if (p.groupInstanceId !== null) {
      const oldId = group.staticMembers.get(p.groupInstanceId);
      if (oldId !== undefined) this.replaceStaticMember(group, oldId, newId, p, respond);
      else this.rebalancer.addMemberAndRebalance(group, newId, p, respond);
    } else if (version >= 4) {
      // KIP-394: hand out the id first, so that a client that times out does not leave a ghost.
      this.rebalancer.addPendingMember(group, newId, p.sessionTimeoutMs);
      respond(joinError(newId, MEMBER_ID_REQUIRED));
    } else {
      this.rebalancer.addMemberAndRebalance(group, newId, p, respond);
    }
  }

  private joinKnownMember(group: Group, memberId: string, p: JoinParams, respond: (r: JoinResult) => void): void {
    const rb = this.rebalancer;
    if (group.pendingMembers.has(memberId)) {
      rb.removePendingMember(group, memberId);
      // Ids handed out with MEMBER_ID_REQUIRED are dynamic; a static member never gets one.
      if (p.groupInstanceId !== null) return respond(joinError(memberId, UNKNOWN_MEMBER_ID));
      return rb.addMemberAndRebalance(group, memberId, p, respond);
    }
    const error = validateMember(group, memberId, p.groupInstanceId);
    if (error !== NONE) return respond(joinError(memberId, error));
    const member = group.members.get(memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        rb.updateMember(member, p, respond);
        return;
      case 'CompletingRebalance':
        // Same metadata: the member missed its join response; give it the current generation.
        if (member.matches(p.protocols)) return this.respondCurrentGeneration(group, member, true, respond);
        rb.updateMember(member, p, respond);
        return rb.maybePrepareRebalance(group);
      case 'Stable':
        // The leader rejoining forces a rebalance (e.g. topic metadata changed), as does new metadata.
        if (memberId !== group.leaderId && member.matches(p.protocols)) {
          return this.respondCurrentGeneration(group, member, false, respond);
        }
        rb.updateMember(member, p, respond);
        return rb.maybePrepareRebalance(group);
      default:
        return respond(joinError(memberId, UNKNOWN_MEMBER_ID));
    }
  }

  private respondCurrentGeneration(group: Group, member: Member, leaderGetsMembers: boolean, respond: (r: JoinResult) => void): void {
    this.rebalancer.scheduleSession(group, member, member.sessionTimeoutMs);
    respond({
      errorCode: NONE,
      memberId: member.memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      members: leaderGetsMembers && member.memberId === group.leaderId ? group.currentMemberMetadata() : [],
    });
  }

  /**
   * KIP-345: a static member that restarts joins without an id and takes over its old id's
   * place. In a Stable group whose protocol does not change it keeps the generation and the
   * assignment, so no rebalance happens; the old id is fenced.
   */
  private replaceStaticMember(group: Group, oldId: string, newId: string, p: JoinParams, respond: (r: JoinResult) => void): void {
    const rb = this.rebalancer;
    const currentLeader = group.leaderId;
    const member = group.members.get(oldId)!;
    rb.invokeJoin(member, joinError(oldId, FENCED_INSTANCE_ID));
    rb.invokeSync(member, FENCED_INSTANCE_ID, group);
    group.members.delete(oldId);
    member.memberId = newId;
    group.members.set(newId, member);
    if (group.leaderId === oldId) group.leaderId = newId;
    group.staticMembers.set(p.groupInstanceId!, newId);
    if (group.pendingSync.delete(oldId)) group.pendingSync.add(newId);
    rb.scheduleSession(group, member, p.sessionTimeoutMs);
    rb.updateMember(member, p, respond);
    switch (group.state) {
      case 'Stable':
        if (group.selectProtocol() === group.protocolName) {
          // The old leader id is returned on purpose: the member then syncs as a follower and
          // gets its previous assignment back (Kafka does the same).
          rb.invokeJoin(member, {
            errorCode: NONE,
            memberId: newId,
            generationId: group.generationId,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            leader: currentLeader ?? '',
            members: [],
          });
        } else {
          rb.maybePrepareRebalance(group);
        }
        return;
      case 'CompletingRebalance':
        // The leader may be assigning to the old id: start over so the new id gets a share.
        return rb.prepareRebalance(group);
      default:
        return; // PreparingRebalance: the member is parked like the others
    }
  }

  /** Parks followers until the leader's assignment arrives; the leader's sync stabilises the group. */
  sync(req: SyncGroupRequest, version: number): Promise<SyncGroupResponse> {
    return new Promise((resolve) => {
      this.handleSync(req, version, (r) => resolve({ throttleTimeMs: 0, ...r }));
    });
  }

  private handleSync(req: SyncGroupRequest, version: number, respond: (r: SyncResult) => void): void {
    if (!this.ctx.active) return respond(syncError(COORDINATOR_NOT_AVAILABLE));
    if (!req.groupId) return respond(syncError(INVALID_GROUP_ID));
    const group = this.ctx.groups.get(req.groupId);
    if (group === undefined) return respond(syncError(UNKNOWN_MEMBER_ID));
    if (group.state === 'Dead') return respond(syncError(COORDINATOR_NOT_AVAILABLE));
    const instanceId = version >= 3 ? req.groupInstanceId ?? null : null;
    const error = validateMember(group, req.memberId, instanceId);
    if (error !== NONE) return respond(syncError(error));
    if (req.generationId !== group.generationId) return respond(syncError(ILLEGAL_GENERATION));
    if (version >= 5) {
      if (req.protocolType != null && req.protocolType !== group.protocolType) return respond(syncError(INCONSISTENT_GROUP_PROTOCOL));
      if (req.protocolName != null && req.protocolName !== group.protocolName) return respond(syncError(INCONSISTENT_GROUP_PROTOCOL));
    }
    const rb = this.rebalancer;
    const member = group.members.get(req.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return respond(syncError(REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance': {
        member.awaitingSync?.(syncError(REBALANCE_IN_PROGRESS)); // superseded by this one
        member.awaitingSync = respond;
        rb.removePendingSync(group, member.memberId);
        if (member.memberId === group.leaderId) {
          const assignments = new Map<string, Buffer>();
          for (const a of req.assignments ?? []) assignments.set(a.memberId, a.assignment ?? Buffer.alloc(0));
          rb.setAndPropagateAssignment(group, assignments);
        }
        return;
      }
      case 'Stable':
        rb.removePendingSync(group, member.memberId);
        rb.scheduleSession(group, member, member.sessionTimeoutMs);
        return respond({ errorCode: NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      default:
        return respond(syncError(UNKNOWN_MEMBER_ID));
    }
  }

  /** Keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin. */
  heartbeat(req: { groupId: string; generationId: number; memberId: string; groupInstanceId?: string | null }, version: number): { throttleTimeMs: number; errorCode: number } {
    return { throttleTimeMs: 0, errorCode: this.handleHeartbeat(req, version) };
  }

  private handleHeartbeat(req: { groupId: string; generationId: number; memberId: string; groupInstanceId?: string | null }, version: number): number {
    if (!this.ctx.active) return COORDINATOR_NOT_AVAILABLE;
    if (!req.groupId) return INVALID_GROUP_ID;
    const group = this.ctx.groups.get(req.groupId);
    if (group === undefined) return UNKNOWN_MEMBER_ID;
    if (group.state === 'Dead') return COORDINATOR_NOT_AVAILABLE;
    const error = validateMember(group, req.memberId, version >= 3 ? req.groupInstanceId ?? null : null);
    if (error !== NONE) return error;
    if (req.generationId !== group.generationId) return ILLEGAL_GENERATION;
    if (group.state === 'Empty') return UNKNOWN_MEMBER_ID;
    const member = group.members.get(req.memberId)!;
    this.rebalancer.scheduleSession(group, member, member.sessionTimeoutMs);
    return group.state === 'PreparingRebalance' ? REBALANCE_IN_PROGRESS : NONE;
  }

  /** Removes members: v0–2 one dynamic member, v3+ a batch, also by groupInstanceId alone. */
  leave(req: { groupId: string; memberId?: string; members?: { memberId: string; groupInstanceId?: string | null }[] }, version: number): LeaveGroupResponse {
    const leaving = version >= 3
      ? (req.members ?? []).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null }))
      : [{ memberId: req.memberId ?? '', groupInstanceId: null }];
    let topError = NONE;
    let results: { memberId: string; groupInstanceId: string | null; errorCode: number }[] = [];
    const group = this.ctx.groups.get(req.groupId);
    if (!this.ctx.active) topError = COORDINATOR_NOT_AVAILABLE;
    else if (!req.groupId) topError = INVALID_GROUP_ID;
    else if (group?.state === 'Dead') topError = COORDINATOR_NOT_AVAILABLE;
    else results = leaving.map((m) => ({ ...m, errorCode: group === undefined ? UNKNOWN_MEMBER_ID : this.leaveOne(group, m.memberId, m.groupInstanceId) }));
    if (version >= 3) return { throttleTimeMs: 0, errorCode: topError, members: results };
    return { throttleTimeMs: 0, errorCode: topError !== NONE ? topError : results.find((r) => r.errorCode !== NONE)?.errorCode ?? NONE };
  }

  private leaveOne(group: Group, memberId: string, instanceId: string | null): number {
    const rb = this.rebalancer;
    if (memberId === '') {
      // Administrative removal of a static member by its instance id alone.
      const current = instanceId === null ? undefined : group.staticMembers.get(instanceId);
      if (current === undefined) return UNKNOWN_MEMBER_ID;
      rb.removeMemberAndUpdateGroup(group, group.members.get(current)!);
      return NONE;
    }
    if (group.pendingMembers.has(memberId)) {
      rb.removePendingMember(group, memberId);
      rb.tryCompleteJoin(group);
      return NONE;
    }
    const error = validateMember(group, memberId, instanceId);
    if (error !== NONE) return error;
    rb.removeMemberAndUpdateGroup(group, group.members.get(memberId)!);
    return NONE;
  }
}

/**
 * Checks that `memberId` belongs to the group and, for a static member, that it is the id its
 * groupInstanceId currently maps to (an older id is fenced).
 */
export function validateMember(group: Group, memberId: string, instanceId: string | null): number {
  if (instanceId !== null) {
    const current = group.staticMembers.get(instanceId);
    if (current === undefined) return UNKNOWN_MEMBER_ID;
    if (current !== memberId) return FENCED_INSTANCE_ID;
    return NONE;
  }
  return group.members.has(memberId) ? NONE : UNKNOWN_MEMBER_ID;
}
