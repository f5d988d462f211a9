/**
 * The data a classic consumer group holds: members, generation, chosen protocol and committed
 * offsets. No timers fire and no requests are answered here; the membership and offset handlers
 * decide, this module only keeps the books the way Kafka's GroupMetadata does.
 */

/** Group states, spelled as Kafka reports them in DescribeGroups and ListGroups. */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Every state name, for validating ListGroups filters. */
export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

/** The protocol type whose metadata is ConsumerProtocolSubscription. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** One protocol a member supports, with the metadata it sends for it. */
export interface MemberProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

/** A member as the JoinGroup leader sees it. */
export interface JoinedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Buffer;
}

/** What a parked JoinGroup is answered with, before it is shaped for the request's version. */
export interface JoinResult {
  readonly errorCode: number;
  readonly memberId: string;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly members: readonly JoinedMember[];
}

/** What a parked SyncGroup is answered with. */
export interface SyncResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

/** A committed offset as the group keeps it. */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: bigint;
}

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/** A JoinGroup answer that carries only an error. */
export function joinError(memberId: string, errorCode: number): JoinResult {
  return { errorCode, memberId, generationId: -1, protocolType: null, protocolName: null, leader: '', members: [] };
}

/** A SyncGroup answer that carries only an error. */
export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

/** The key of a partition in a group's offset table. Topic names cannot contain ':'. */
export function offsetKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** One member of a group, as registered by its latest JoinGroup. */
export class Member {
  memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly protocolType: string;
  protocols: readonly MemberProtocol[];
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  /** Assignment from the leader's last SyncGroup; empty until then. */
  assignment: Buffer = EMPTY_BYTES;
  /** Answers the member's parked JoinGroup; set while it waits for the join phase to end. */
  awaitingJoin: ((r: JoinResult) => void) | null = null;
  /** Answers the member's parked SyncGroup; set while it waits for the leader's assignment. */
  awaitingSync: ((r: SyncResult) => void) | null = null;
  /** True until the member's first join phase completes: such a member can expire while parked. */
  isNew = false;
  /** Fires when the session times out; reset by heartbeats, joins, syncs and commits. */
  sessionTimer: NodeJS.Timeout | null = null;

  constructor(init: {
    memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string;
    protocolType: string; protocols: readonly MemberProtocol[]; rebalanceTimeoutMs: number; sessionTimeoutMs: number;
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
  }

  /** True when `protocols` is the same list, in the same order, with the same metadata. */
  matches(protocols: readonly MemberProtocol[]): boolean {
    return protocols.length === this.protocols.length &&
      protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The metadata this member sent for `protocol`, or empty bytes. */
  metadataFor(protocol: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_BYTES;
  }
}

/** One classic group: membership, generation and committed offsets. */
export class Group {
  readonly groupId: string;
  state: GroupState = 'Empty';
  generationId = 0;
  /** Set by the first member of an empty group; kept while the group is empty, as Kafka does. */
  protocolType: string | null = null;
  /** Chosen at the end of each join phase; null while the group has no members. */
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Members by id, in join order (the first is the default leader). */
  readonly members = new Map<string, Member>();
  /** Ids handed out with MEMBER_ID_REQUIRED (KIP-394) and not yet used, with their expiry timers. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  /** groupInstanceId → memberId of static members (KIP-345). */
  readonly staticMembers = new Map<string, string>();
  /** Members that got the join response of this generation but have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  /** Committed offsets by offsetKey(topic, partition). */
  readonly offsets = new Map<string, CommittedOffset>();
  /** Topics the members subscribe to, when their metadata could be read; null when unknown. */
  subscribedTopics: ReadonlySet<string> | null = null;
  /** Whether a member joined during the initial delayed join (extends the delay). */
  newMemberAdded = false;
  /** Ends the join phase; 'initial' waits the full delay, 'regular' completes once all rejoined. */
  joinTimer: NodeJS.Timeout | null = null;
  joinKind: 'initial' | 'regular' | null = null;
  /** Removes members that never sent SyncGroup after the join phase. */
  syncTimer: NodeJS.Timeout | null = null;

  constructor(groupId: string) {
    this.groupId = groupId;
  }

  /** Adds a member; the first member of an empty group sets the protocol type and leads. */
  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  /** Forgets a member; the leadership passes to the first remaining member. */
  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member === undefined) return;
    this.members.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    this.pendingSync.delete(memberId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  /** True when every member has a parked JoinGroup and no MEMBER_ID_REQUIRED id is outstanding. */
  hasAllMembersJoined(): boolean {
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false;
    return this.pendingMembers.size === 0;
  }

  /** How long a join phase may last: the largest rebalance timeout of the members. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /**
   * Whether a member with this protocol type and these protocols may join: an empty group takes
   * anything non-empty; otherwise the type must match and one protocol must be shared by all.
   */
  supportsProtocols(protocolType: string, protocols: readonly MemberProtocol[]): boolean {
    if (this.state === 'Empty') return protocolType !== '' && protocols.length > 0;
    return this.protocolType === protocolType &&
      protocols.some((p) => this.everyMemberSupports(p.name));
  }

  private everyMemberSupports(protocol: string): boolean {
    for (const m of this.members.values()) if (!m.protocols.some((p) => p.name === protocol)) return false;
    return true;
  }

  /**
   * The protocol of the next generation: among those all members support, each member votes for
   * its most preferred; most votes wins, ties go to the leader's preference order.
   */
  selectProtocol(): string {
    const all = [...this.members.values()];
    const candidates = new Set(all[0]!.protocols.map((p) => p.name).filter((n) => this.everyMemberSupports(n)));
    const votes = new Map<string, number>();
    for (const m of all) {
      const vote = m.protocols.find((p) => candidates.has(p.name));
      if (vote !== undefined) votes.set(vote.name, (votes.get(vote.name) ?? 0) + 1);
    }
    const leader = this.members.get(this.leaderId ?? '') ?? all[0]!;
    let best: string | null = null;
    for (const p of leader.protocols) {
      const n = votes.get(p.name) ?? 0;
      if (n > 0 && (best === null || n > votes.get(best)!)) best = p.name;
    }
    return best!;
  }

  /** Every member with its metadata for the chosen protocol: what the leader assigns from. */
  currentMemberMetadata(): JoinedMember[] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadataFor(this.protocolName),
    }));
  }

  /** Keeps the leader if it rejoined, else hands leadership to a member that did; false if none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)?.awaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin !== null) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** Recomputes subscribedTopics from the members' ConsumerProtocolSubscription metadata. */
  computeSubscribedTopics(): void {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) {
      this.subscribedTopics = null;
    } else if (this.members.size === 0) {
      this.subscribedTopics = new Set();
    } else {
      const topics = new Set<string>();
      for (const m of this.members.values()) {
        const own = subscriptionTopics(m.metadataFor(this.protocolName));
        if (own === null) {
          this.subscribedTopics = null;
          return;
        }
        for (const t of own) topics.add(t);
      }
      this.subscribedTopics = topics;
    }
  }

  /** True unless the members are known not to subscribe to `topic` (unknown counts as subscribed). */
  isSubscribedTo(topic: string): boolean {
    return this.subscribedTopics === null || this.subscribedTopics.has(topic);
  }
}

/**
 * The topics of a ConsumerProtocolSubscription (all versions start with int16 version, then
 * [int32 count, int16-length strings]); null when the bytes cannot be read.
 */
export function subscriptionTopics(metadata: Buffer): string[] | null {
  try {
    let at = 2;
    const count = metadata.readInt32BE(at);
    at += 4;
    if (count < 0 || count > metadata.length) return null;
    const topics: string[] = [];
    for (let i = 0; i < count; i++) {
      const len = metadata.readInt16BE(at);
      at += 2;
      if (len < 0 || at + len > metadata.length) return null;
      topics.push(metadata.toString('utf8', at, at + len));
      at += len;
    }
    return topics;
  } catch {
    return null;
  }
}
