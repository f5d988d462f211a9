/**
 * One scenario consumer group: `instances` members (consumer-member.ts) in the group, and the
 * scenario's actions on it, applied one at a time in order:
 *
 * - stop: every member commits and leaves the group (the group goes Empty, its lag grows);
 * - start: members join again; a group whose first action is `start` does not join at time 0
 *   but at that action (a consumer that starts late, e.g. a batch job reading a backlog);
 * - slow: caps the group's rate, shared by its members (0 lifts the cap);
 * - rewind: members leave, the group's offsets are reset with the admin client, as
 *   kafka-consumer-groups --reset-offsets does (a group must be empty for that), and the members
 *   that were running join again.
 *
 * While the group should be running, missing members are started again every RECONCILE_MS: a
 * member that broke (its coordinator left the cluster) or could not join (the cluster was down)
 * is replaced rather than lost.
 */
import { describeError } from './cluster.ts';
import { Member, type ConsumerEnv, type GroupCounters, type MemberContext } from './consumer-member.ts';
import { resetGroupOffsets } from './offsets.ts';
import { RateLimiter } from './pacing.ts';
import { startsLate, type ConsumerAction, type ConsumerSpec } from './scenario.ts';
import { ThrottleStats } from './throttle.ts';

/** How often a group that should run checks that all its members do. */
export const RECONCILE_MS = 2000;

/** What a consumer group has done so far. */
export interface ConsumerSnapshot {
  readonly id: string;
  readonly group: string;
  readonly topics: readonly string[];
  /** Messages read (a message read again after a rebalance or rewind counts again). */
  readonly consumed: number;
  /** Value bytes read. */
  readonly consumedBytes: number;
  /** Value bytes read, by topic (topics read from so far). */
  readonly consumedBytesByTopic: Readonly<Record<string, number>>;
  /** Members currently in the group. */
  readonly running: number;
  /** Rate cap in msgs/s; 0 when uncapped. */
  readonly rateCap: number;
  /** Members that broke or could not join, and failed rewinds. */
  readonly errors: number;
  readonly throttle: Readonly<ThrottleStats>;
}

/** Runs one scenario consumer group and applies its actions. */
export class ConsumerRunner {
  readonly id: string;
  readonly #spec: ConsumerSpec;
  readonly #env: ConsumerEnv;
  readonly #limiter: RateLimiter;
  readonly #counters: GroupCounters = { consumed: 0, consumedBytes: 0, consumedBytesByTopic: new Map(), errors: 0 };
  readonly #throttle = new ThrottleStats();
  readonly #memberContext: MemberContext;
  #members: Member[] = [];
  /** Member ids of members that lost their coordinator, for their replacements to take over. */
  #orphanedIds: string[] = [];
  #created = 0;
  #wanted = false;
  #closed = false;
  #reconcileTimer: NodeJS.Timeout | undefined;
  #reconciling = false;
  #queue: Promise<void> = Promise.resolve();

  constructor(spec: ConsumerSpec, env: ConsumerEnv) {
    this.#spec = spec;
    this.#env = env;
    this.id = spec.id;
    this.#limiter = new RateLimiter(spec.rate);
    this.#memberContext = {
      spec,
      env,
      limiter: this.#limiter,
      counters: this.#counters,
      throttle: this.#throttle,
      onBroken: (member, reason) => this.#onBroken(member, reason),
    };
  }

  /** Members currently in the group. */
  get running(): number {
    return this.#members.length;
  }

  /** Starts every member (they join the group concurrently), unless the group starts late. */
  start(): Promise<void> {
    this.#reconcileTimer ??= setInterval(() => this.#reconcile(), RECONCILE_MS);
    if (startsLate(this.#spec)) return Promise.resolve();
    return this.#enqueue(() => this.#want(true));
  }

  /** Applies a scenario action after those already queued. */
  apply(action: ConsumerAction): Promise<void> {
    return this.#enqueue(async () => {
      this.#env.logger.info({ consumer: this.id, action: action.do }, `consumer ${this.id}: ${action.do}`);
      switch (action.do) {
        case 'stop':
          return this.#want(false);
        case 'start':
          return this.#want(true);
        case 'slow':
          this.#limiter.setRate(action.rate);
          for (const member of this.#members) member.wake();
          return;
        case 'rewind': {
          const wanted = this.#wanted;
          await this.#want(false);
          try {
            await resetGroupOffsets(this.#env.admin, this.#spec.group, this.#spec.topics, action.to, Date.now());
          } catch (error) {
            this.#counters.errors++;
            this.#env.logger.warn({ consumer: this.id, err: describeError(error) }, `consumer ${this.id}: rewind failed: ${describeError(error)}`);
          }
          return this.#want(wanted);
        }
      }
    });
  }

  /** Commits what every member has read. */
  async commitNow(): Promise<void> {
    await Promise.all(this.#members.map((m) => m.commit()));
  }

  /** Stops every member after queued actions finish, for good. */
  stop(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reconcileTimer);
    return this.#enqueue(() => this.#want(false));
  }

  /** Counters so far. */
  snapshot(): ConsumerSnapshot {
    return {
      id: this.id,
      group: this.#spec.group,
      topics: this.#spec.topics,
      consumed: this.#counters.consumed,
      consumedBytes: this.#counters.consumedBytes,
      consumedBytesByTopic: Object.fromEntries(this.#counters.consumedBytesByTopic),
      running: this.#members.length,
      rateCap: this.#limiter.rate,
      errors: this.#counters.errors,
      throttle: this.#throttle,
    };
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Brings the group to running (all instances) or stopped (no members). */
  async #want(running: boolean): Promise<void> {
    this.#wanted = running && !this.#closed;
    if (!this.#wanted) {
      const members = this.#members;
      this.#members = [];
      this.#orphanedIds = [];
      await Promise.all(members.map((m) => m.stop()));
      return;
    }
    const missing = this.#spec.instances - this.#members.length;
    const members = Array.from({ length: missing }, () => new Member(`${this.id}#${++this.#created}`, this.#memberContext, this.#orphanedIds.shift()));
    const started = await Promise.allSettled(members.map((m) => m.start()));
    const failed: Member[] = [];
    started.forEach((result, i) => {
      const member = members[i] as Member;
      if (result.status === 'fulfilled') {
        this.#members.push(member);
        return;
      }
      failed.push(member);
      this.#counters.errors++;
      const reason = describeError(result.reason);
      this.#env.logger.warn({ consumer: member.name, err: reason }, `consumer ${member.name}: could not join group ${this.#spec.group}: ${reason}`);
    });
    await Promise.all(failed.map((m) => m.stop()));
  }

  #onBroken(member: Member, reason: string): void {
    this.#env.logger.warn({ consumer: member.name, reason }, `consumer ${member.name}: ${reason}; replacing it`);
    void this.#enqueue(async () => {
      const index = this.#members.indexOf(member);
      if (index < 0) return;
      this.#members.splice(index, 1);
      const memberId = member.memberId;
      const lost = member.coordinatorLost || !(await this.#coordinatorAlive(member.coordinatorId));
      if (lost && memberId !== null) this.#orphanedIds.push(memberId);
      await member.stop(lost);
      if (this.#wanted) await this.#want(true);
    });
  }

  /** Whether broker `id` is in the cluster's current metadata (false when that cannot be told). */
  async #coordinatorAlive(id: number | null): Promise<boolean> {
    if (id === null) return false;
    try {
      const metadata = await this.#env.admin.metadata({ topics: [], forceUpdate: true });
      return metadata.brokers.has(id);
    } catch {
      return false;
    }
  }

  #reconcile(): void {
    if (!this.#wanted || this.#reconciling || this.#members.length >= this.#spec.instances) return;
    this.#reconciling = true;
    void this.#enqueue(() => this.#want(this.#wanted)).finally(() => (this.#reconciling = false));
  }
}
