/**
 * Runs API replays in a worker thread with a hard wall-clock budget: when a replay's budget runs
 * out the thread is terminated wherever it is, even inside one long rule evaluation, and the
 * caller gets SLUICE_ERR_REPLAY_TIMEOUT. The service's own thread stays free meanwhile, so
 * /healthz, collection and the writer never wait for a replay. The thread is started at the
 * first replay and kept for the next ones while they come (starting one loads the whole replay
 * code: seconds); it ends after a minute without replays (it holds ~100 MB) and is replaced at
 * the next replay, as is one terminated at its budget.
 */
import { Worker } from 'node:worker_threads';
import { SluiceError } from '../errors.ts';
import type { ReplayJob, ReplayJobError } from './replay-job.ts';

/** The worker's entry: plain JavaScript that registers the TypeScript loader, then runs job-thread.ts. */
const ENTRY = new URL('../replay/job-worker.mjs', import.meta.url);

type Outcome = { id: number; ok: true; doc: Record<string, unknown> } | { id: number; ok: false; error: ReplayJobError };

/** One worker thread running replays one at a time. */
export class IsolatedReplayer {
  private worker: Worker | null = null;
  private nextId = 1;
  private running = false;
  private idleTimer: NodeJS.Timeout | undefined;

  /**
   * @param onInternalError told what an unexpected failure said (for the log; the caller only gets a generic error).
   * @param idleMs how long an idle thread is kept for the next replay.
   */
  constructor(private readonly onInternalError: (detail: string) => void = () => undefined, private readonly idleMs = 60_000) {}

  /** Whether a replay thread is alive, busy or idle. */
  get hasThread(): boolean {
    return this.worker !== null;
  }

  /** Runs `job`; rejects with SLUICE_ERR_REPLAY_TIMEOUT (and ends the thread) when it takes longer than `budgetMs`. */
  run(job: ReplayJob, budgetMs: number): Promise<Record<string, unknown>> {
    if (this.running) return Promise.reject(new Error('IsolatedReplayer runs one replay at a time'));
    this.running = true;
    clearTimeout(this.idleTimer);
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        this.running = false;
        this.idleTimer = setTimeout(() => void this.close(), this.idleMs).unref();
      };
      const kill = (): void => {
        if (this.worker === worker) this.worker = null;
        void worker.terminate();
      };
      const onMessage = (outcome: Outcome): void => {
        if (outcome.id !== id) return;
        done();
        if (outcome.ok) return resolve(outcome.doc);
        const { code, message, path, detail } = outcome.error;
        if (detail !== undefined) this.onInternalError(detail);
        reject(new SluiceError(code, message, path === undefined ? {} : { path }));
      };
      const onError = (err: Error): void => {
        done();
        kill();
        this.onInternalError(err.stack ?? String(err));
        reject(new SluiceError('SLUICE_ERR_API_INTERNAL', 'the replay failed; see the service log'));
      };
      const onExit = (code: number): void => {
        done();
        kill();
        this.onInternalError(`the replay thread exited with code ${code} before answering`);
        reject(new SluiceError('SLUICE_ERR_API_INTERNAL', 'the replay failed; see the service log'));
      };
      const timer = setTimeout(() => {
        done();
        kill();
        reject(new SluiceError('SLUICE_ERR_REPLAY_TIMEOUT', `the replay took longer than ${budgetMs / 1000} s and was stopped; replay a shorter window (from, to)`, { path: 'body' }));
      }, budgetMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, job });
    });
  }

  /** Ends the thread, if one runs. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) await worker.terminate();
  }

  private start(): Worker {
    // No inherited flags: the parent's `--import` preloads (tsx, the tracing preload of `npm run
    // sluice`) would run in the thread before its entry registers the TypeScript loader, and fail.
    const worker = new Worker(ENTRY, { execArgv: [] });
    // An idle replay thread must not keep the process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
