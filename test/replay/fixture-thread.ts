/**
 * Replays shipped fixtures with the shipped rules and the default throttle policy in a worker
 * thread. The replay and its timeline are those of `replayFixture` in the test's own thread; the
 * point is the cost: node's test runner tracks every promise a test file makes (an async hook
 * with destroy tracking, to tie late errors to their test), which makes a long replay, promises
 * from end to end, take half as much CPU again. A worker thread has no test runner, so no hook.
 */
import { Worker } from 'node:worker_threads';
import type { Timeline } from '../../src/replay/timeline.ts';

/** What a replay in the thread gives back: the timeline (plain data, cloned), and its JSON made in the thread. */
export interface ThreadReplay {
  readonly meta: { readonly to: number };
  readonly timeline: Timeline;
  /** `timelineJson(timeline)`, made from the timeline itself, not from its clone. */
  readonly json: string;
}

type Outcome = { id: number; ok: true; replayed: ThreadReplay } | { id: number; ok: false; error: string };

/** One worker thread replaying fixtures one at a time; started at the first replay. */
export class FixtureThread {
  private worker: Worker | undefined;
  private nextId = 1;

  /** Replays the fixture in directory `dir`. */
  replay(dir: string): Promise<ThreadReplay> {
    const worker = (this.worker ??= new Worker(new URL('./fixture-thread.mjs', import.meta.url), { execArgv: [] }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (outcome: Outcome): void => {
        if (outcome.id !== id) return;
        done();
        if (outcome.ok) resolve(outcome.replayed);
        else reject(new Error(`replay of ${dir} failed in the worker thread: ${outcome.error}`));
      };
      const onError = (err: Error): void => {
        done();
        reject(err);
      };
      const onExit = (code: number): void => {
        done();
        reject(new Error(`the replay thread exited with code ${code}`));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, dir });
    });
  }

  /** Ends the thread, if one runs. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
