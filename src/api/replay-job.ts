/**
 * What a replay over HTTP is asked and may answer, as plain data that crosses the worker
 * thread's boundary. The API and the thread's owner (replay-thread.ts) know the shape of a job
 * from here without loading the replayer, which runs the service itself (src/replay/job.ts,
 * inside the thread).
 */
import type { ErrorCode } from '../errors.ts';
import type { ThrottleConfig } from '../throttle/config.ts';

/** What one API replay asks for, already validated. */
export interface ReplayJob {
  readonly fixturesDir: string;
  /** A directory name under `fixturesDir`, checked by the API (no `/`). */
  readonly fixture: string;
  /** Rule files by name: each replaces the shipped file of that name, or is added. */
  readonly rules?: Readonly<Record<string, string>>;
  /**
   * An empty directory the request's rule files are written to; made and removed by the caller,
   * so that it is removed even when the thread running the job is terminated.
   */
  readonly scratchDir?: string;
  readonly throttle?: ThrottleConfig;
  readonly from?: number;
  readonly to?: number;
  readonly check: boolean;
  readonly maxSamples: number;
  readonly maxEvents: number;
}

/** A job's failure as plain data, to cross the worker boundary. */
export interface ReplayJobError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly path?: string;
  /** For the log only (never answered): what an unexpected error said. */
  readonly detail?: string;
}

