/**
 * A workload run: reach the cluster, create missing topics, start the producers and consumer
 * groups at time 0, apply consumer actions and faults at their (time-scaled) moments, print a
 * status line every interval, and stop after the duration or when asked.
 *
 * Stopping after the duration: producers stop first; consumer groups reading without a rate cap
 * then get up to DRAIN_MS to read and commit what was produced, so that a healthy group ends with
 * no lag; then every group commits and leaves. Stopping when asked (a signal) skips the drain.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { connectCluster, describeError, hardenClient, type ClusterAccess, type Credentials } from './cluster.ts';
import { ConsumerRunner } from './consumer-runner.ts';
import { formatShortDuration } from '../duration.ts';
import { sendFault, type FaultOutcome } from './faults.ts';
import { groupLag, type GroupLag } from './offsets.ts';
import { toWallMs } from './pacing.ts';
import { ProducerRunner } from './producer-runner.ts';
import { DEFAULT_DURATION_MS, type Scenario } from './scenario.ts';
import { formatStatus, formatSummary, throttleSample, type StatusSample } from './status.ts';
import { ThrottleMonitor } from './throttle.ts';
import { Timeline } from './timeline.ts';
import { ensureTopics } from './topics.ts';

/** Default time between status lines. */
export const DEFAULT_STATUS_INTERVAL_MS = 5000;
/** Longest the end-of-run drain waits for uncapped consumer groups to catch up. */
export const DRAIN_MS = 5000;
/** The closing status line is printed only when its interval is at least this long, ms. */
const MIN_LAST_INTERVAL_MS = 500;
/** Longest a status line waits for the cluster's lag figures. */
const LAG_TIMEOUT_MS = 2000;

/** How to run a scenario. */
export interface WorkloadOptions {
  /** Bootstrap brokers, host:port each. */
  readonly bootstrap: readonly string[];
  /** `--sasl`: SASL/PLAIN on, with these as the default identity. */
  readonly sasl?: Credentials;
  /** Run length in wall ms; overrides the scenario's duration. */
  readonly durationMs?: number;
  /** Base URL of the bundled cluster's control API; without it faults are skipped. */
  readonly control?: string;
  /** Time between status lines in ms; default 5000. */
  readonly statusIntervalMs?: number;
}

/** Where a run writes. */
export interface WorkloadIo {
  readonly logger: Logger;
  /** Receives each status line (and the first and last lines), without a newline. */
  readonly status: (line: string) => void;
}

/** Why a run ended. */
export type EndReason = 'finished' | 'stopped';

/** What a run did, for the caller and for tests. */
export interface RunSummary {
  readonly reason: EndReason;
  readonly sample: StatusSample;
  readonly faults: readonly FaultOutcome[];
}

/** A started run. */
export interface WorkloadRun {
  /** Wall-clock time (epoch ms) of scenario time 0. */
  readonly startedAtMs: number;
  /** Wall run time the run lasts unless stopped, ms. */
  readonly durationMs: number;
  readonly access: ClusterAccess;
  /** Resolves when the run has ended and every client is closed. */
  readonly done: Promise<RunSummary>;
  /**
   * Every client's counters now (asked counts up to the run's end at most), without the
   * cluster's lag figures: nothing is asked of the cluster, so it may be called often.
   */
  counters(): StatusSample;
  /** Ends the run now (no drain); resolves like `done`. Idempotent. */
  stop(): Promise<RunSummary>;
}

/** Starts `scenario`; resolves once every client is created and traffic has begun. */
export async function startWorkload(scenario: Scenario, options: WorkloadOptions, io: WorkloadIo): Promise<WorkloadRun> {
  const { logger } = io;
  const now = (): number => performance.now();
  const access = await connectCluster({ bootstrap: options.bootstrap, ...(options.sasl ? { sasl: options.sasl } : {}), users: scenario.users });
  const admin = new Admin(access.adminOptions('sluice-workload'));
  admin.on('error', () => {});
  hardenClient(admin);
  const throttle = new ThrottleMonitor();
  const producers: ProducerRunner[] = [];
  try {
    await ensureTopics(admin, scenario.topics, access.brokers, logger);
    throttle.start();
    for (const spec of scenario.producers) {
      const runner = new ProducerRunner(spec, { access, timeScale: scenario.timeScale, logger, throttle, now });
      producers.push(runner);
      runner.prepare();
    }
    // Fail on missing credentials now rather than when a member first joins.
    for (const spec of scenario.consumers) access.clientOptions(spec.clientId ?? spec.id, spec.user, `consumer ${JSON.stringify(spec.id)}`);
  } catch (error) {
    await Promise.all(producers.map((p) => p.stop()));
    throttle.stop();
    await admin.close().catch(() => {});
    throw error;
  }
  const consumers = scenario.consumers.map((spec) => new ConsumerRunner(spec, { access, admin, logger, throttle, now }));
  const durationMs = options.durationMs ?? toWallMs(scenario.duration ?? DEFAULT_DURATION_MS, scenario.timeScale);
  const statusIntervalMs = options.statusIntervalMs ?? DEFAULT_STATUS_INTERVAL_MS;
  const faults: Promise<FaultOutcome>[] = [];
  const timeline = new Timeline();
  for (const [i, spec] of scenario.consumers.entries()) {
    const runner = consumers[i] as ConsumerRunner;
    for (const action of spec.actions) timeline.at(toWallMs(action.at, scenario.timeScale), () => void runner.apply(action));
  }
  if (scenario.faults.length > 0 && options.control === undefined) {
    logger.warn({ faults: scenario.faults.length }, `${scenario.faults.length} fault(s) skipped: no --control URL (faults need the bundled cluster's control API)`);
  }
  const control = options.control;
  if (control !== undefined) {
    for (const fault of scenario.faults) {
      timeline.at(toWallMs(fault.at, scenario.timeScale), () => void faults.push(sendFault(control, fault, logger)));
    }
  }

  const lags = async (): Promise<Map<string, GroupLag | undefined>> => {
    const found = new Map<string, GroupLag | undefined>();
    await Promise.all(
      consumers.map(async (c) => {
        const spec = c.snapshot();
        found.set(c.id, await withinTime(groupLag(admin, spec.group, spec.topics), LAG_TIMEOUT_MS));
      }),
    );
    return found;
  };
  const countersAt = (elapsedMs: number): StatusSample => ({
    elapsedMs,
    timeScale: scenario.timeScale,
    producers: producers.map((p, i) => {
      const s = p.snapshot(elapsedMs);
      return { ...s, askedBytes: s.asked * (scenario.producers[i]?.size ?? 0), throttle: throttleSample(s.throttle) };
    }),
    consumers: consumers.map((c) => {
      const s = c.snapshot();
      return { ...s, throttle: throttleSample(s.throttle) };
    }),
  });
  // Counters are read first, at the moment the sample is for; the lag queries may take a while.
  const sample = async (elapsedMs: number): Promise<StatusSample> => {
    const counters = countersAt(elapsedMs);
    const lag = await lags();
    return {
      ...counters,
      consumers: counters.consumers.map((s) => {
        const groupLagNow = lag.get(s.id);
        return groupLagNow === undefined ? s : { ...s, lag: groupLagNow };
      }),
    };
  };

  let previous: StatusSample | undefined;
  let reporting = Promise.resolve();
  const report = (): void => {
    reporting = reporting
      .then(async () => {
        const current = await sample(now() - startedAt);
        if (!ended) io.status(formatStatus(previous, current));
        previous = current;
      })
      .catch((error: unknown) => logger.warn({ err: describeError(error) }, `status line failed: ${describeError(error)}`));
  };

  const drain = async (): Promise<void> => {
    const deadline = now() + DRAIN_MS;
    const draining = consumers.filter((c) => c.running > 0 && c.snapshot().rateCap === 0);
    while (draining.length > 0 && now() < deadline) {
      await Promise.all(draining.map((c) => c.commitNow()));
      const lag = await lags();
      if (draining.every((c) => lag.get(c.id)?.lag === 0)) return;
      await sleep(200);
    }
  };

  let ended = false;
  let endTimer: NodeJS.Timeout | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let finishing: Promise<RunSummary> | undefined;
  let resolveDone: (summary: RunSummary) => void = () => {};
  let rejectDone: (error: unknown) => void = () => {};
  const done = new Promise<RunSummary>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const finish = (reason: EndReason): Promise<RunSummary> => {
    finishing ??= (async () => {
      clearTimeout(endTimer);
      clearInterval(statusTimer);
      timeline.cancel();
      // Asked counts stop where the run does, not after the time clients take to close.
      const elapsedMs = Math.min(now() - startedAt, durationMs);
      await Promise.all(producers.map((p) => p.stop()));
      if (reason === 'finished') await drain();
      await Promise.all(consumers.map((c) => c.stop()));
      await reporting.catch(() => {});
      ended = true;
      const last = await sample(elapsedMs);
      // A status line printed just before the end already covers the last interval.
      if (previous === undefined || elapsedMs - previous.elapsedMs >= MIN_LAST_INTERVAL_MS) io.status(formatStatus(previous, last));
      io.status(formatSummary(scenario.name, reason, last));
      const outcomes = await Promise.all(faults);
      throttle.stop();
      await admin.close().catch((error: unknown) => logger.debug({ err: describeError(error) }, 'admin close failed'));
      return { reason, sample: last, faults: outcomes };
    })();
    finishing.then(resolveDone, rejectDone);
    return finishing;
  };

  const sasl = access.sasl ? ', SASL/PLAIN' : '';
  io.status(
    `sluice workload: ${scenario.name}: ${producers.length} producer(s), ${consumers.length} consumer group(s), ` +
      `${control === undefined ? 0 : scenario.faults.length} fault(s) for ${formatShortDuration(durationMs)}` +
      `${scenario.timeScale === 1 ? '' : ` (timeScale ${scenario.timeScale})`} on ${options.bootstrap.join(',')}${sasl}`,
  );
  const startedAt = now();
  const startedAtMs = Date.now();
  for (const p of producers) p.start(startedAt);
  for (const c of consumers) {
    c.start().catch((error: unknown) => logger.warn({ consumer: c.id, err: describeError(error) }, `consumer ${c.id} did not start`));
  }
  timeline.start(startedAt, now);
  statusTimer = setInterval(report, statusIntervalMs);
  endTimer = setTimeout(() => void finish('finished'), durationMs);
  logger.info({ scenario: scenario.name, durationMs, timeScale: scenario.timeScale }, 'workload started');

  return {
    startedAtMs,
    durationMs,
    access,
    done,
    counters: () => countersAt(Math.min(now() - startedAt, durationMs)),
    stop: () => finish('stopped'),
  };
}

/** What `promise` resolves to if it does so within `ms`; undefined if it fails or takes longer. */
async function withinTime<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  const timeout = new AbortController();
  try {
    return await Promise.race([promise.catch(() => undefined), sleep(ms, undefined, { signal: timeout.signal }).catch(() => undefined)]);
  } finally {
    timeout.abort();
  }
}
