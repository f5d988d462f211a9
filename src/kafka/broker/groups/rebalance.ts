/**
 * The rebalance state machine of a classic group and every timer it needs: the join phase
 * (initial delayed join, then "all members rejoined or rebalance timeout"), the wait for
 * SyncGroup after it, member sessions and MEMBER_ID_REQUIRED ids. It follows Kafka's
 * GroupCoordinator (prepareRebalance, onCompleteJoin, onExpireHeartbeat, onExpirePendingSync).
 * https://cwiki.apache.org/confluence/display/KAFKA/KIP-345 and KIP-394 for static members and
 * member ids.
 */
import { COORDINATOR_NOT_AVAILABLE, NONE, REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID } from './errors.ts';
import type { GroupContext } from './context.ts';
import { EMPTY_BYTES, joinError, Member, syncError, type Group, type JoinResult, type MemberProtocol } from './model.ts';

/**
 * How long a member that joined for the first time may wait for the join phase to end before
 * it is dropped (Kafka's GroupCoordinator.NewMemberJoinTimeoutMs): it has no member id to
 * heartbeat with, and a client that gave up would otherwise stay in the rebalance.
 */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60_000;

/** What a JoinGroup asks for, once validated. */
export interface JoinParams {
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly protocolType: string;
  readonly protocols: readonly MemberProtocol[];
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
}

/** Drives groups through their states; owns every timer of every group. */
export class Rebalancer {
  constructor(private readonly ctx: GroupContext) {}

  /** Registers a new member and starts (or joins) a rebalance; `respond` answers its JoinGroup. */
  addMemberAndRebalance(group: Group, memberId: string, p: JoinParams, respond: (r: JoinResult) => void): void {
    const member = new Member({ memberId, ...p });
    member.isNew = true;
    // A member joining during the first initial delayed join extends that delay.
    if (group.state === 'PreparingRebalance' && group.generationId === 0) group.newMemberAdded = true;
    group.add(member);
    member.awaitingJoin = respond;
    this.scheduleSession(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalance(group);
  }

  /** Records a member's new protocols and timeouts and parks its JoinGroup. */
  updateMember(member: Member, p: JoinParams, respond: (r: JoinResult) => void): void {
    member.protocols = p.protocols;
    member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    member.sessionTimeoutMs = p.sessionTimeoutMs;
    // A client never has two JoinGroups in flight; if it did, the older one is superseded.
    member.awaitingJoin?.(joinError(member.memberId, REBALANCE_IN_PROGRESS));
    member.awaitingJoin = respond;
  }

  /** Answers a parked JoinGroup, if any. */
  invokeJoin(member: Member, result: JoinResult): void {
    const respond = member.awaitingJoin;
    member.awaitingJoin = null;
    respond?.(result);
  }

  /** Answers a parked SyncGroup, if any; true when one was waiting. */
  invokeSync(member: Member, errorCode: number, group: Group): boolean {
    const respond = member.awaitingSync;
    member.awaitingSync = null;
    if (respond === null) return false;
    respond(errorCode === NONE
      ? { errorCode, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment }
      : syncError(errorCode));
    return true;
  }

  /** Starts a rebalance unless one is already preparing (or the group is dead). */
  maybePrepareRebalance(group: Group): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance' || group.state === 'Empty') {
      this.prepareRebalance(group);
    }
  }

  /** Moves the group to PreparingRebalance: members must rejoin within the rebalance timeout. */
  prepareRebalance(group: Group): void {
    // Members waiting for an assignment that will never come learn to rejoin.
    if (group.state === 'CompletingRebalance') this.resetAndPropagateAssignmentError(group, REBALANCE_IN_PROGRESS);
    this.clearSyncTimer(group);
    const wasEmpty = group.state === 'Empty';
    group.state = 'PreparingRebalance';
    if (wasEmpty) {
      const delay = this.ctx.opts.initialRebalanceDelayMs;
      this.scheduleInitialJoin(group, delay, Math.max(group.rebalanceTimeoutMs() - delay, 0));
    } else {
      this.scheduleJoin(group);
      this.tryCompleteJoin(group);
    }
  }

  /** Ends the join phase now if every member rejoined (never during the initial delay). */
  tryCompleteJoin(group: Group): void {
    if (group.state === 'PreparingRebalance' && group.joinKind === 'regular' && group.hasAllMembersJoined()) {
      this.completeJoin(group);
    }
  }

  /**
   * group.initial.rebalance.delay.ms: the first join phase of an empty group waits `delay`, and
   * waits again (up to the rebalance timeout in total) while new members keep arriving.
   */
  private scheduleInitialJoin(group: Group, delay: number, remaining: number): void {
    this.clearJoinTimer(group);
    group.joinKind = 'initial';
    group.joinTimer = setTimeout(() => {
      group.joinTimer = null;
      if (group.newMemberAdded && remaining !== 0) {
        group.newMemberAdded = false;
        const configured = this.ctx.opts.initialRebalanceDelayMs;
        this.scheduleInitialJoin(group, Math.min(configured, remaining), Math.max(remaining - delay, 0));
      } else {
        this.completeJoin(group);
      }
    }, delay);
  }

  private scheduleJoin(group: Group): void {
    this.clearJoinTimer(group);
    group.joinKind = 'regular';
    group.joinTimer = setTimeout(() => {
      group.joinTimer = null;
      this.completeJoin(group);
    }, group.rebalanceTimeoutMs());
  }

  /**
   * Ends the join phase: dynamic members that did not rejoin are dropped, the generation moves
   * on, the leader gets every member's metadata and everyone else an empty list.
   */
  completeJoin(group: Group): void {
    this.clearJoinTimer(group);
    if (group.state !== 'PreparingRebalance') return;
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin === null && m.groupInstanceId === null) {
        this.clearSession(m);
        group.remove(m.memberId);
      }
    }
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Only static members that have not rejoined are left: wait for them or their sessions.
      this.scheduleJoin(group);
      return;
    }
    group.generationId += 1;
    group.pendingSync.clear();
    group.newMemberAdded = false;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.state = 'Empty';
      group.computeSubscribedTopics();
      return;
    }
    group.protocolName = group.selectProtocol();
    group.state = 'CompletingRebalance';
    group.computeSubscribedTopics();
    const all = group.currentMemberMetadata();
    for (const m of group.members.values()) {
      this.invokeJoin(m, {
        errorCode: NONE,
        memberId: m.memberId,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: group.leaderId ?? '',
        members: m.memberId === group.leaderId ? all : [],
      });
      this.scheduleSession(group, m, m.sessionTimeoutMs);
      m.isNew = false;
      group.pendingSync.add(m.memberId);
    }
    this.schedulePendingSync(group);
  }

  /** Drops the members that never sent SyncGroup within the rebalance timeout, then rebalances. */
  private schedulePendingSync(group: Group): void {
    this.clearSyncTimer(group);
    const generation = group.generationId;
    group.syncTimer = setTimeout(() => {
      group.syncTimer = null;
      if (generation !== group.generationId || group.pendingSync.size === 0) return;
      if (group.state !== 'CompletingRebalance' && group.state !== 'Stable') return;
      for (const id of [...group.pendingSync]) {
        const m = group.members.get(id);
        if (m !== undefined) this.clearSession(m);
        group.remove(id);
      }
      this.prepareRebalance(group);
    }, group.rebalanceTimeoutMs());
  }

  /** A member sent SyncGroup for this generation. */
  removePendingSync(group: Group, memberId: string): void {
    group.pendingSync.delete(memberId);
    if (group.pendingSync.size === 0) this.clearSyncTimer(group);
  }

  /** Stores the leader's assignment and hands each waiting member its part; the group is Stable. */
  setAndPropagateAssignment(group: Group, assignments: ReadonlyMap<string, Buffer>): void {
    for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? EMPTY_BYTES;
    group.state = 'Stable';
    for (const m of group.members.values()) {
      if (this.invokeSync(m, NONE, group)) this.scheduleSession(group, m, m.sessionTimeoutMs);
    }
  }

  private resetAndPropagateAssignmentError(group: Group, errorCode: number): void {
    for (const m of group.members.values()) {
      m.assignment = EMPTY_BYTES;
      if (this.invokeSync(m, errorCode, group)) this.scheduleSession(group, m, m.sessionTimeoutMs);
    }
  }

  /** Removes a member (leave, expiry) and lets the group rebalance without it. */
  removeMemberAndUpdateGroup(group: Group, member: Member): void {
    // A parked JoinGroup of a dropped member is told to join again from scratch.
    this.invokeJoin(member, joinError('', UNKNOWN_MEMBER_ID));
    this.invokeSync(member, UNKNOWN_MEMBER_ID, group);
    this.clearSession(member);
    group.remove(member.memberId);
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.maybePrepareRebalance(group);
    else if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
  }

  /** (Re)starts a member's session timer: it is removed unless it shows up within `timeoutMs`. */
  scheduleSession(group: Group, member: Member, timeoutMs: number): void {
    this.clearSession(member);
    member.sessionTimer = setTimeout(() => {
      member.sessionTimer = null;
      if (group.state === 'Dead' || group.members.get(member.memberId) !== member) return;
      // Members parked in a rebalance are alive: their timer restarts when the phase ends.
      // New members are the exception, so that a client that gave up does not stay forever.
      if (!member.isNew && (member.awaitingJoin !== null || member.awaitingSync !== null)) return;
      this.removeMemberAndUpdateGroup(group, member);
    }, timeoutMs);
  }

  clearSession(member: Member): void {
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
  }

  /** Remembers a MEMBER_ID_REQUIRED id for one session timeout; it blocks the join phase meanwhile. */
  addPendingMember(group: Group, memberId: string, sessionTimeoutMs: number): void {
    group.pendingMembers.set(memberId, setTimeout(() => {
      if (group.pendingMembers.delete(memberId)) this.tryCompleteJoin(group);
    }, sessionTimeoutMs));
  }

  /** Forgets a MEMBER_ID_REQUIRED id (it joined, or left). */
  removePendingMember(group: Group, memberId: string): void {
    const timer = group.pendingMembers.get(memberId);
    if (timer !== undefined) clearTimeout(timer);
    group.pendingMembers.delete(memberId);
  }

  /** Stops every timer of a group; parked requests are answered with `errorCode`. */
  shutdownGroup(group: Group, errorCode = COORDINATOR_NOT_AVAILABLE): void {
    this.clearJoinTimer(group);
    this.clearSyncTimer(group);
    for (const timer of group.pendingMembers.values()) clearTimeout(timer);
    group.pendingMembers.clear();
    for (const m of group.members.values()) {
      this.clearSession(m);
      this.invokeJoin(m, joinError(m.memberId, errorCode));
      this.invokeSync(m, errorCode, group);
    }
  }

  private clearJoinTimer(group: Group): void {
    if (group.joinTimer !== null) clearTimeout(group.joinTimer);
    group.joinTimer = null;
    group.joinKind = null;
  }

  private clearSyncTimer(group: Group): void {
    if (group.syncTimer !== null) clearTimeout(group.syncTimer);
    group.syncTimer = null;
  }
}
