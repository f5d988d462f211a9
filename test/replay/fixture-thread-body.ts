/** The body of the worker thread fixture-thread.ts starts: replays each fixture directory it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';
import { loadFixture } from '../../src/replay/load.ts';
import { replayFixture } from '../../src/replay/replayer.ts';
import { ruleFilesOf } from '../../src/replay/run.ts';
import { timelineJson } from '../../src/replay/timeline.ts';

parentPort!.on('message', async ({ id, dir }: { id: number; dir: string }) => {
  try {
    const fixture = await loadFixture(dir);
    const timeline = await replayFixture(fixture, { ruleFiles: await ruleFilesOf(undefined) });
    parentPort!.postMessage({ id, ok: true, replayed: { meta: { to: fixture.meta.to }, timeline, json: timelineJson(timeline) } });
  } catch (err) {
    parentPort!.postMessage({ id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
