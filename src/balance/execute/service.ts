/**
 * Balancing of one cluster as the service (and the CLI) runs it: plans made and stored, stored
 * plans executed, executions watched and steered (pause, resume, cancel, throttle), by whichever
 * process asks; what a process left running is taken over at start. Mode `off` refuses plans
 * and executions; `auto` also executes stored plans by itself, oldest first, one at a time.
 */
import type { Clock, ClockTimer } from '../../clock.ts';
import { SluiceError } from '../../errors.ts';
import type { KafkaAdmin } from '../../kafka/admin.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { Db, Querier } from '../../store/types.ts';
import type { BalanceConfig } from '../config.ts';
import type { PlanRequest } from '../plan.ts';
import { KafkaReassignActuator, type ReassignActuator } from './actuator.ts';
import { BalanceExecutor } from './executor.ts';
import { makePlan } from './make-plan.ts';
import { BalanceStore, type StoredPlan } from './store.ts';
import { querierTraffic } from './traffic.ts';
import type { ExecutionRecord, ExecutionRequest } from './types.ts';

/** What a cluster's balancing works with. */
export interface BalanceServiceOptions {
  readonly cluster: string;
  readonly config: BalanceConfig;
  readonly db: Db;
  readonly querier: Querier;
  readonly admin: KafkaAdmin;
  /** Default: over `admin`. */
  readonly actuator?: ReassignActuator;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly owner?: string;
}

/** Balancing of one cluster. */
export class BalanceService {
  readonly store: BalanceStore;
  readonly executor: BalanceExecutor;
  private timer: ClockTimer | null = null;
  private stopped = false;

  constructor(private readonly o: BalanceServiceOptions) {
    this.store = new BalanceStore(o.db);
    this.executor = new BalanceExecutor({
      cluster: o.cluster, actuator: o.actuator ?? new KafkaReassignActuator(o.admin), store: this.store, config: o.config, clock: o.clock,
      traffic: querierTraffic(o.querier, o.cluster, o.config.execution.throttle.rateWindow * 1000, o.config.execution.throttle.surgeWindow * 1000), logger: o.logger,
      ...(o.owner === undefined ? {} : { owner: o.owner }),
    });
  }

  get cluster(): string {
    return this.o.cluster;
  }

  get mode(): BalanceConfig['mode'] {
    return this.o.config.mode;
  }

  private refuseOff(what: string): void {
    if (this.o.config.mode === 'off') throw new SluiceError('SLUICE_ERR_BALANCE_OFF', `${what}: balancing is off for cluster "${this.o.cluster}" (balance.mode: off)`);
  }

  /** Makes, explains and stores a plan of the cluster as it is now. */
  async plan(request: PlanRequest, by: string): Promise<StoredPlan> {
    this.refuseOff('plan');
    const now = this.o.clock.now();
    const made = await makePlan(this.o.querier, this.o.admin, this.o.config, this.o.cluster, request, now);
    const id = await this.store.savePlan({ cluster: this.o.cluster, createdAt: now, createdBy: by, mode: request.mode, ...made });
    return (await this.store.plan(id))!;
  }

  /** Starts executing stored plan `planId`. */
  async execute(planId: number, by: string): Promise<ExecutionRecord> {
    this.refuseOff('execute');
    return this.executor.execute(planId, by);
  }

  /** Execution `id`, or the cluster's newest; undefined when there is none. */
  async status(id?: number): Promise<ExecutionRecord | undefined> {
    const found = id ?? (await this.store.executionIds({ cluster: this.o.cluster, limit: 1 }))[0];
    if (found === undefined) return undefined;
    const e = await this.store.execution(found);
    if (e !== undefined && e.cluster !== this.o.cluster) return undefined;
    return e;
  }

  /** The execution a request is about: `id`, else the cluster's unfinished one. */
  private async target(id: number | undefined, what: string): Promise<number> {
    if (id !== undefined) {
      if ((await this.status(id)) === undefined) throw new SluiceError('SLUICE_ERR_BALANCE_NOT_FOUND', `${what}: no execution ${id} on cluster "${this.o.cluster}"`);
      return id;
    }
    const active = (await this.store.executionIds({ cluster: this.o.cluster, active: true }))[0];
    if (active === undefined) throw new SluiceError('SLUICE_ERR_BALANCE_NOT_FOUND', `${what}: cluster "${this.o.cluster}" has no unfinished execution`);
    return active;
  }

  /** Asks the execution (`id`, else the unfinished one) to pause, resume or cancel; returns its id. */
  async ask(what: ExecutionRequest, id?: number): Promise<number> {
    const target = await this.target(id, what);
    await this.executor.ask(target, what);
    return target;
  }

  /** Sets the execution's throttle rate (bytes/s; null: sized from headroom again); returns its id. */
  async setThrottle(rate: number | null, id?: number): Promise<number> {
    const target = await this.target(id, 'throttle');
    await this.executor.setThrottle(target, rate);
    return target;
  }

  /** Takes over what a stopped process left; in `auto`, executes stored plans. Never waits for a round. */
  start(): void {
    if (this.o.config.mode === 'off') return;
    const tick = async (): Promise<void> => {
      try {
        await this.executor.recover();
        if (this.o.config.mode === 'auto' && this.executor.active.length === 0) await this.autoExecute();
      } catch (err) {
        this.o.logger.warn({ err }, 'balance: recovery or automatic execution failed; trying again');
      }
      if (!this.stopped) this.timer = this.o.clock.setTimeout(() => void tick(), this.o.config.execution.takeOverAfter * 1000);
    };
    this.timer = this.o.clock.setTimeout(() => void tick(), 0);
  }

  private async autoExecute(): Promise<void> {
    if ((await this.store.executionIds({ cluster: this.o.cluster, active: true })).length > 0) return;
    const planned = (await this.store.plans(this.o.cluster, 50)).filter((p) => p.state === 'planned').at(-1);
    if (planned === undefined) return;
    await this.executor.execute(planned.id, 'sluice (auto)');
  }

  /** Stops; executions stay as they are, for the next process to take over. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.executor.stop();
  }
}
