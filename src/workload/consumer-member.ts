/**
 * One member of a workload consumer group: a @platformatic/kafka Consumer reading the group's
 * topics from its committed offsets (the log start for a new group), with explicit commits.
 *
 * Offsets are committed explicitly, not by the client's autocommit: the client would commit what
 * it has fetched into its buffer, which for a slowed consumer runs well ahead of what was read,
 * and the lag Sluice must detect would be hidden. A member commits what it has read once a
 * second (COMMIT_INTERVAL_MS) and before it leaves the group, so committed lag is at most about a
 * second's worth of reading, plus what a rebalance re-reads (delivery is at least once).
 *
 * A member that can no longer take part in the group (its coordinator left the cluster,
 * heartbeats keep failing, its stream failed) reports itself through `onBroken` once; its owner
 * replaces it with a new client, which finds the group's current coordinator.
 */
import { Consumer, type Admin, type Message, type MessagesStream } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { describeError, hardenClient, type ClusterAccess } from './cluster.ts';
import type { RateLimiter } from './pacing.ts';
import type { ConsumerSpec } from './scenario.ts';
import type { ThrottleMonitor, ThrottleStats } from './throttle.ts';

/** How often a member commits what it has read. */
export const COMMIT_INTERVAL_MS = 1000;
/** Waits shorter than this are not slept: the next message simply waits for its slot. */
const MIN_PAUSE_MS = 2;
/** Consecutive failed heartbeats after which a member is considered broken. */
const MAX_HEARTBEAT_ERRORS = 3;

/** What a consumer group (its runner and its members) needs from the run. */
export interface ConsumerEnv {
  readonly access: ClusterAccess;
  readonly admin: Admin;
  readonly logger: Logger;
  readonly throttle: ThrottleMonitor;
  /** Monotonic clock in ms. */
  readonly now: () => number;
}

/** Counters shared by a group's members. */
export interface GroupCounters {
  consumed: number;
  consumedBytes: number;
  /** Value bytes read, by topic. */
  readonly consumedBytesByTopic: Map<string, number>;
  errors: number;
}

/** What a member shares with its group. */
export interface MemberContext {
  readonly spec: ConsumerSpec;
  readonly env: ConsumerEnv;
  readonly limiter: RateLimiter;
  readonly counters: GroupCounters;
  readonly throttle: ThrottleStats;
  /** Told once when the member can no longer take part in the group. */
  readonly onBroken: (member: Member, reason: string) => void;
}

interface PendingOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** One consumer-group member: a Consumer, its stream and the offsets read but not committed. */
export class Member {
  readonly #ctx: MemberContext;
  readonly #consumer: Consumer;
  readonly #pending = new Map<string, PendingOffset>();
  #assigned = new Set<string>();
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #commitTimer: NodeJS.Timeout | undefined;
  #resumeTimer: NodeJS.Timeout | undefined;
  #committing: Promise<void> = Promise.resolve();
  #stopping = false;
  #broken = false;
  /** Broken because the group coordinator cannot be reached: leaving the group is pointless. */
  #coordinatorLost = false;
  #heartbeatErrors = 0;

  /**
   * `memberId` takes over the membership of a member that lost its coordinator: the group's new
   * coordinator knows that member, so joining under its id rebalances at once instead of
   * waiting for the old member's session to time out.
   */
  constructor(
    readonly name: string,
    ctx: MemberContext,
    memberId?: string,
  ) {
    this.#ctx = ctx;
    const { spec, env } = ctx;
    this.#consumer = new Consumer({
      ...env.access.clientOptions(spec.clientId ?? spec.id, spec.user, `consumer ${JSON.stringify(spec.id)}`),
      groupId: spec.group,
      autocommit: false,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTime: 250,
      // The scenario's (1 MiB unless it says): @platformatic/kafka would take its 10 MB fetch limit
      // per partition, so a member reading a backlog would ask each broker for 10 MB at a time,
      // unlike the consumers a workload stands for.
      maxBytesPerPartition: spec.fetchBytesPerPartition,
      autocreateTopics: true,
    });
    if (memberId !== undefined) this.#consumer.memberId = memberId;
    hardenClient(this.#consumer, () => this.#fail('its group coordinator left the cluster', true));
    this.#consumer.on('error', (error: Error) => this.#fail(describeError(error), true));
    this.#consumer.on('consumer:heartbeat:end', () => (this.#heartbeatErrors = 0));
    this.#consumer.on('consumer:heartbeat:error', ({ error }) => {
      if (++this.#heartbeatErrors >= MAX_HEARTBEAT_ERRORS) this.#fail(`heartbeats failing: ${describeError(error)}`, true);
    });
    this.#consumer.on('consumer:group:join', (payload) => {
      this.#assigned = assignedKeys(payload.assignments);
      for (const key of this.#pending.keys()) if (!this.#assigned.has(key)) this.#pending.delete(key);
    });
    env.throttle.track(this.#consumer.instanceId, ctx.throttle);
  }

  /** The group member id, once joined. */
  get memberId(): string | null {
    return this.#consumer.memberId;
  }

  /** True once the member lost its group coordinator (its id may be taken over). */
  get coordinatorLost(): boolean {
    return this.#coordinatorLost;
  }

  /** The broker the client takes for the group coordinator, once found. */
  get coordinatorId(): number | null {
    return this.#consumer.coordinatorId;
  }

  /** Joins the group and starts reading. */
  async start(): Promise<void> {
    const stream = await this.#consumer.consume({
      topics: [...this.#ctx.spec.topics],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
    });
    this.#stream = stream;
    this.#assigned = assignedKeys(this.#consumer.assignments);
    stream.on('error', (error: Error) => this.#fail(`stream failed: ${describeError(error)}`, false));
    stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => this.#onMessage(message));
    this.#commitTimer = setInterval(() => void this.commit(), COMMIT_INTERVAL_MS);
  }

  /** Commits what was read and not yet committed. Failures are logged and retried later, not thrown. */
  commit(): Promise<void> {
    this.#committing = this.#committing.then(async () => {
      if (this.#pending.size === 0 || this.#coordinatorLost) return;
      const offsets = [...this.#pending.values()];
      this.#pending.clear();
      try {
        await this.#consumer.commit({ offsets: offsets.map((o) => ({ ...o, leaderEpoch: -1 })) });
      } catch (error) {
        // Keep what is still ours and not superseded by a later read, for the next try.
        for (const o of offsets) {
          const key = `${o.topic}:${o.partition}`;
          if (this.#assigned.has(key) && !this.#pending.has(key)) this.#pending.set(key, o);
        }
        this.#ctx.env.logger.debug({ consumer: this.name, err: describeError(error) }, 'commit failed; will retry');
      }
    });
    return this.#committing;
  }

  /**
   * Commits, leaves the group and closes the client. With `abandon` (default: when the member
   * lost its coordinator) it skips the commit and the LeaveGroup, which nobody would answer, and
   * only closes its connections; the group drops the member after the session timeout unless a
   * new member takes over its id.
   */
  async stop(abandon = this.#coordinatorLost): Promise<void> {
    this.#stopping = true;
    this.#coordinatorLost ||= abandon;
    clearInterval(this.#commitTimer);
    clearTimeout(this.#resumeTimer);
    if (!abandon) await this.commit();
    try {
      await this.#stream?.close();
      if (abandon) this.#consumer.memberId = null;
      await this.#consumer.close();
    } catch (error) {
      this.#ctx.env.logger.debug({ consumer: this.name, err: describeError(error) }, 'clean close failed; closing without leaving');
      this.#consumer.memberId = null;
      await new Promise<void>((resolve) => this.#consumer.close(true, () => resolve()));
    }
    this.#ctx.env.throttle.untrack(this.#consumer.instanceId);
  }

  /** Resumes reading now (after a pause for the rate cap, e.g. because the cap changed). */
  wake(): void {
    clearTimeout(this.#resumeTimer);
    this.#resumeTimer = undefined;
    if (!this.#stopping) this.#stream?.resume();
  }

  #onMessage(message: Message<Buffer, Buffer, Buffer, Buffer>): void {
    if (this.#stopping) return;
    const { counters, limiter, env } = this.#ctx;
    const key = `${message.topic}:${message.partition}`;
    counters.consumed++;
    const bytes = message.value?.length ?? 0;
    counters.consumedBytes += bytes;
    counters.consumedBytesByTopic.set(message.topic, (counters.consumedBytesByTopic.get(message.topic) ?? 0) + bytes);
    if (this.#assigned.has(key)) this.#pending.set(key, { topic: message.topic, partition: message.partition, offset: message.offset + 1n });
    const wait = limiter.take(env.now());
    const stream = this.#stream;
    if (wait >= MIN_PAUSE_MS && stream !== undefined && this.#resumeTimer === undefined) {
      stream.pause();
      this.#resumeTimer = setTimeout(() => this.wake(), wait);
    }
  }

  #fail(reason: string, coordinatorLost: boolean): void {
    if (this.#stopping || this.#broken) return;
    this.#broken = true;
    this.#coordinatorLost = coordinatorLost;
    this.#ctx.counters.errors++;
    this.#ctx.onBroken(this, reason);
  }
}

function assignedKeys(assignments: readonly { topic: string; partitions: number[] }[] | null | undefined): Set<string> {
  return new Set((assignments ?? []).flatMap((a) => a.partitions.map((p) => `${a.topic}:${p}`)));
}
