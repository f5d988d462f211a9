/**
 * Runs executions of stored plans on one cluster, a round every `pollInterval`:
 * 1. act on what was asked (pause, resume, cancel), from any process, through the store;
 * 2. settle the moves in flight against ListPartitionReassignments and Metadata;
 * 3. cancelling: cancel the moves in flight (AlterPartitionReassignments with no target);
 *    running: pick the next batch within the guardrails (guards.ts);
 * 4. bring the replication throttle to what the moves in flight (and the batch) need, writing
 *    what may be set to the store before sending it, so that a crash never loses a throttle;
 * 5. start the batch once its throttle is set;
 * 6. when nothing is left: elect the preferred leaders, remove every throttle, finish.
 * A process that stops leaves its executions as they are (the moves keep going under their
 * throttle); `recover` in the next process takes them over and continues or cancels them
 * (`balance.execution.onRecovery`).
 */
import { randomUUID } from 'node:crypto';
import type { Clock, ClockTimer } from '../../clock.ts';
import { KafkaError } from '../../kafka/protocol/error-codes.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { BalanceConfig } from '../config.ts';
import type { ReassignActuator } from './actuator.ts';
import { batchBlocked, hourlyAllowance, nextBatch, unhealthyPartitions } from './guards.ts';
import { partitionKey, settleMoves } from './progress.ts';
import type { BalanceStore } from './store.ts';
import { applyThrottle, sizeFor, type ThrottleContext } from './apply-throttle.ts';
import { ACTIVE_STATES, type ExecutionRecord, type ExecutionRequest, type ExecutionState } from './types.ts';
import type { TrafficSource } from './traffic.ts';

/** What an executor works with. */
export interface ExecutorOptions {
  readonly cluster: string;
  readonly actuator: ReassignActuator;
  readonly store: BalanceStore;
  readonly config: Pick<BalanceConfig, 'capacity' | 'execution'>;
  readonly traffic?: TrafficSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This process's name in the store; default a random one. */
  readonly owner?: string;
}

interface Running {
  timer: ClockTimer | null;
  busy: boolean;
  again: boolean;
  /** Throttle configs must all be sent again (a round failed part way, or after a takeover). */
  dirty: boolean;
  waiters: ((e: ExecutionRecord) => void)[];
}

/** The executor of one cluster. */
export class BalanceExecutor {
  readonly owner: string;
  private readonly running = new Map<number, Running>();
  private stopped = false;

  constructor(private readonly o: ExecutorOptions) {
    this.owner = o.owner ?? `sluice-${randomUUID()}`;
  }

  /** Starts executing stored plan `planId` (see BalanceStore.createExecution for refusals). */
  async execute(planId: number, by: string): Promise<ExecutionRecord> {
    const e = await this.o.store.createExecution(planId, this.o.cluster, by, this.o.clock.now());
    await this.o.store.claim(e.id, this.owner, this.o.clock.now(), this.o.clock.now());
    this.o.logger.info({ execution: e.id, plan: planId, moves: e.moves.length, by }, 'balance execution started');
    this.run(e.id, false);
    return e;
  }

  /**
   * Takes over this cluster's unfinished executions that no live process runs (no owner, or none
   * heard of for `takeOverAfter`), continuing or cancelling each as `onRecovery` says. Returns their ids.
   */
  async recover(): Promise<number[]> {
    const now = this.o.clock.now();
    const taken: number[] = [];
    for (const id of await this.o.store.executionIds({ cluster: this.o.cluster, active: true })) {
      if (this.running.has(id)) continue;
      if (!(await this.o.store.claim(id, this.owner, now, now - this.o.config.execution.takeOverAfter * 1000))) continue;
      if (this.o.config.execution.onRecovery === 'cancel') await this.o.store.ask(id, 'cancel', now);
      this.o.logger.warn({ execution: id, onRecovery: this.o.config.execution.onRecovery }, 'balance execution taken over');
      this.run(id, true);
      taken.push(id);
    }
    return taken;
  }

  /** Asks execution `id` to pause, resume or cancel; acted on at its next round (started now when it runs here). */
  async ask(id: number, what: ExecutionRequest): Promise<void> {
    await this.o.store.ask(id, what, this.o.clock.now());
    this.wake(id);
  }

  /** Sets the throttle of execution `id` to `rate` bytes/s on every broker, or (null) back to headroom sizing. */
  async setThrottle(id: number, rate: number | null): Promise<void> {
    await this.o.store.ask(id, { rate }, this.o.clock.now());
    this.wake(id);
  }

  /** Resolves with the execution once it has finished here. */
  wait(id: number): Promise<ExecutionRecord> {
    const r = this.running.get(id);
    if (r === undefined) return this.o.store.execution(id).then((e) => e ?? Promise.reject(new Error(`execution ${id} does not exist`)));
    return new Promise((resolve) => r.waiters.push(resolve));
  }

  /** Executions this executor runs now. */
  get active(): number[] {
    return [...this.running.keys()];
  }

  /**
   * Stops running executions, leaving them as they are in the cluster and the store; with
   * `release` (default), another process may take them over at once, else only once this one's
   * heartbeat is `takeOverAfter` old (as after a crash).
   */
  async stop(options: { readonly release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    const ids = [...this.running.keys()];
    for (const r of this.running.values()) r.timer?.cancel();
    while ([...this.running.values()].some((r) => r.busy)) await new Promise((resolve) => setTimeout(resolve, 10));
    this.running.clear();
    if (options.release !== false) for (const id of ids) await this.o.store.release(id, this.owner);
  }

  private wake(id: number): void {
    const r = this.running.get(id);
    if (r === undefined) return;
    if (r.busy) r.again = true;
    else {
      r.timer?.cancel();
      r.timer = this.o.clock.setTimeout(() => void this.loop(id), 0);
    }
  }

  private run(id: number, dirty: boolean): void {
    if (this.stopped || this.running.has(id)) return;
    this.running.set(id, { timer: null, busy: false, again: false, dirty, waiters: [] });
    this.wake(id);
  }

  private async loop(id: number): Promise<void> {
    const r = this.running.get(id);
    if (r === undefined || r.busy) return;
    r.busy = true;
    r.again = false;
    let finished: ExecutionRecord | null = null;
    let lost = false;
    try {
      const out = await this.round(id, r);
      if (out === 'lost') lost = true;
      else if (out !== null) finished = out;
    } catch (err) {
      this.o.logger.warn({ err, execution: id }, 'balance execution round failed; retrying next round');
      r.dirty = true;
    } finally {
      r.busy = false;
    }
    if (this.running.get(id) !== r) return;
    if (finished !== null || lost) {
      this.running.delete(id);
      if (finished !== null) for (const w of r.waiters) w(finished);
      return;
    }
    r.timer = this.o.clock.setTimeout(() => void this.loop(id), r.again ? 0 : this.o.config.execution.pollInterval * 1000);
  }

  /** One round; the execution when it finished, 'lost' when another process runs it now, else null. */
  private async round(id: number, r: Running): Promise<ExecutionRecord | 'lost' | null> {
    const { store, actuator, clock, logger } = this.o;
    const cfg = this.o.config.execution;
    const e = await store.execution(id);
    if (e === undefined) return 'lost';
    if (!ACTIVE_STATES.includes(e.state)) return e;
    if (e.owner !== this.owner) return 'lost';
    const now = clock.now();
    let state: ExecutionState = e.state;
    let handled: ExecutionRequest | undefined;
    if (e.requested !== null) {
      handled = e.requested;
      if (e.requested === 'cancel') state = 'cancelling';
      else if (e.requested === 'pause' && state === 'running') state = 'paused';
      else if (e.requested === 'resume' && state === 'paused') state = 'running';
    }
    // In this order: a move that ends between the two reads is then seen done, never failed.
    const listed = await actuator.reassigning();
    if (listed.errors.length > 0) throw new Error(`listPartitionReassignments: ${listed.errors.map((x) => x.message).join('; ')}`);
    const partitions = await actuator.partitions();
    const replicas = new Map(partitions.map((p) => [partitionKey(p.topic, p.partition), p.replicas]));
    const reassigning = new Map(listed.value.map((x) => [partitionKey(x.topic, x.partition), x.adding]));
    let moves = settleMoves(e.moves, new Set(reassigning.keys()), replicas, now);
    let error: string | null = e.error;
    let blocked: string | null = null;
    let batch: number[] = [];

    if (state === 'cancelling') {
      const inFlight = moves.filter((m) => m.state === 'in-flight');
      const res = await actuator.reassign(inFlight.map((m) => ({ topic: m.topic, partition: m.partition, replicas: null })));
      const refused = new Map(res.errors.map((x) => [x.subject ?? '', x]));
      const whole = res.errors.find((x) => x.subject === undefined);
      moves = moves.map((m) => {
        if (m.state === 'pending') return { ...m, state: 'cancelled', finishedAt: now };
        if (m.state !== 'in-flight' || whole !== undefined) return m;
        const why = refused.get(`${m.topic}-${m.partition}`);
        if (why === undefined) return { ...m, state: 'cancelled', finishedAt: now };
        // It ended meanwhile: the next round settles it from the placement.
        if (why.code === KafkaError.NO_REASSIGNMENT_IN_PROGRESS) return m;
        error = `cancelling ${m.topic}-${m.partition}: ${why.message}`;
        return m;
      });
    } else if (state === 'running') {
      const allowance = hourlyAllowance(moves, now, cfg.maxMovesPerHour);
      blocked = batchBlocked({ now, blackout: cfg.blackout, allowance, maxPerHour: cfg.maxMovesPerHour, unhealthy: unhealthyPartitions(partitions, reassigning) });
      if (blocked === null) batch = nextBatch(moves, { perBroker: cfg.perBroker, maxInFlight: cfg.maxInFlight, allowance });
    }

    const left = moves.some((m) => m.state === 'pending' || m.state === 'in-flight');
    const finishing = !left && (state === 'running' || state === 'cancelling');
    if (finishing && state === 'running' && cfg.electLeaders) {
      const moved = moves.filter((m) => m.state === 'done');
      const elected = await actuator.electPreferred(moved.map((m) => ({ topic: m.topic, partition: m.partition })));
      if (elected.errors.length > 0) logger.warn({ execution: id, errors: elected.errors }, 'preferred leader election failed for some partitions');
    }
    const ctx: ThrottleContext = { actuator, store, id, owner: this.owner, now };
    const sizing = await sizeFor(e, moves, this.o.config, this.o.traffic, now);
    const toThrottle = finishing ? [] : [...moves.filter((m) => m.state === 'in-flight'), ...moves.filter((m) => batch.includes(m.seq))];
    const throttle = await applyThrottle(ctx, e.applied, toThrottle, sizing, r.dirty);
    r.dirty = !throttle.ok;
    if (!throttle.ok) {
      error = throttle.error;
      batch = [];
    }

    if (batch.length > 0) {
      const starting = moves.filter((m) => batch.includes(m.seq));
      const res = await actuator.reassign(starting.map((m) => ({ topic: m.topic, partition: m.partition, replicas: [...m.replicasAfter] })));
      const whole = res.errors.find((x) => x.subject === undefined);
      if (whole !== undefined) blocked = `the cluster refused the batch: ${whole.message}`;
      else {
        const refused = new Map(res.errors.map((x) => [x.subject ?? '', x.message]));
        moves = moves.map((m) => {
          if (!batch.includes(m.seq)) return m;
          const why = refused.get(`${m.topic}-${m.partition}`);
          return why === undefined ? { ...m, state: 'in-flight', startedAt: now } : { ...m, state: 'failed', finishedAt: now, error: why };
        });
        logger.info({ execution: id, started: batch.length - refused.size, refused: refused.size }, 'balance batch started');
      }
    }

    const done = finishing && throttle.ok && throttle.applied.brokers.length === 0 && throttle.applied.topics.length === 0;
    const failed = moves.filter((m) => m.state === 'failed').length;
    const finalState: ExecutionState = done ? (state === 'cancelling' ? 'cancelled' : 'done') : state;
    if (done && failed > 0 && error === null) error = `${failed} move(s) failed`;
    const changed = moves.filter((m, i) => m !== e.moves[i]);
    const kept = await store.record(id, this.owner, now, {
      state: finalState, ...(handled === undefined ? {} : { handled }), sizing, applied: throttle.applied, blocked, error, ...(done ? { finishedAt: now } : {}),
    }, changed);
    if (!kept) return 'lost';
    if (!done) return null;
    await store.setPlanState(e.planId, finalState === 'cancelled' ? 'cancelled' : failed > 0 ? 'failed' : 'executed');
    logger.info({ execution: id, state: finalState, failed }, 'balance execution finished; throttles removed');
    return (await store.execution(id)) ?? null;
  }
}
