/** The body of the replay worker thread: runs each job it is sent, one at a time, and posts the outcome. */
import { parentPort } from 'node:worker_threads';
import { jobErrorOf, runReplayJob, type ReplayJob } from './job.ts';

parentPort!.on('message', async ({ id, job }: { id: number; job: ReplayJob }) => {
  try {
    parentPort!.postMessage({ id, ok: true, doc: await runReplayJob(job) });
  } catch (err) {
    parentPort!.postMessage({ id, ok: false, error: jobErrorOf(err) });
  }
});
