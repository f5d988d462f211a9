/**
 * The replay thread: jobs run in a worker thread, errors come back with their code, a job over
 * its budget is cut (thread terminated) and the next job gets a fresh thread. The thread loads
 * the TypeScript sources both under `--import tsx` (this process, as `npm run sluice` and the
 * tests) and in a process that registered tsx the way bin/sluice.js does.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { isSluiceError } from '../../src/errors.ts';
import { IsolatedReplayer } from '../../src/api/replay-thread.ts';
import type { ReplayJob } from '../../src/replay/job.ts';
import { writeFixture } from '../../src/replay/write.ts';
import { brokerDownFixture } from '../replay/support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let fixturesDir: string;
const job = (fixture: string, more: Partial<ReplayJob> = {}): ReplayJob => ({ fixturesDir, fixture, check: false, maxSamples: 1e9, maxEvents: 5000, ...more });

before(async () => {
  fixturesDir = await mkdtemp(join(tmpdir(), 'sluice-isolated-'));
  await mkdir(join(fixturesDir, 'broker-down'));
  await writeFixture(join(fixturesDir, 'broker-down'), brokerDownFixture());
});
after(() => rm(fixturesDir, { recursive: true, force: true }));

test('runs jobs in a thread; a job over budget is cut and the next one gets a fresh thread; an idle thread ends', async () => {
  const replayer = new IsolatedReplayer(undefined, 1000);
  try {
    assert.equal(replayer.hasThread, false);
    await assert.rejects(replayer.run(job('nothing-here'), 60_000), (err: unknown) => isSluiceError(err, 'SLUICE_ERR_API_NOT_FOUND') && err.message === 'body.fixture: no fixture "nothing-here"' && err.path === 'body.fixture');
    assert.equal(replayer.hasThread, true);
    const slow = { 'slow.yaml': 'groups:\n  - name: slow\n    rules:\n      - record: slow_count\n        expr: count_over_time(vector(1)[7d:1s])\n' };
    await assert.rejects(replayer.run(job('broker-down', { rules: slow, scratchDir: await mkdtemp(join(fixturesDir, 'scratch-')) }), 1500), (err: unknown) => isSluiceError(err, 'SLUICE_ERR_REPLAY_TIMEOUT') && err.message === 'the replay took longer than 1.5 s and was stopped; replay a shorter window (from, to)');
    assert.equal(replayer.hasThread, false);
    const doc = await replayer.run(job('broker-down', { maxEvents: 1 }), 60_000) as { fixture: { name: string }; alerts: unknown[]; truncated: Record<string, number> };
    assert.equal(doc.fixture.name, 'broker-down-synthetic');
    assert.equal(doc.alerts.length, 1);
    assert.deepEqual(doc.truncated, { alerts: 5, notifications: 3 });
    assert.equal(replayer.hasThread, true);
    while (replayer.hasThread) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await replayer.close();
  }
});

/** Runs `code` (CommonJS, awaiting in an async function) in a fresh node from the checkout with `flags`; its stdout. */
function runNode(flags: readonly string[], code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // From the checkout, so that tsx resolves as it does for bin/sluice.js and npm run sluice.
    execFile(process.execPath, [...flags, '-e', `(async () => {\n${code}\n})();`], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

const REPLAY_ONCE = () => [
  `const { IsolatedReplayer } = await import(${JSON.stringify(join(ROOT, 'src/api/replay-thread.ts'))});`,
  'const replayer = new IsolatedReplayer((detail) => console.error(detail));',
  `const doc = await replayer.run(${JSON.stringify(job('broker-down'))}, 120000);`,
  'await replayer.close();',
  'console.log(JSON.stringify({ name: doc.fixture.name, files: doc.rules.files.length }));',
].join('\n');

test('the thread loads the sources in a process that registered tsx as bin/sluice.js does', async () => {
  // The same loader setup as bin/sluice.js: no flags, tsx registered from code.
  const out = await runNode([], `const { register } = await import('tsx/esm/api');\nregister();\n${REPLAY_ONCE()}`);
  assert.deepEqual(JSON.parse(out), { name: 'broker-down-synthetic', files: 7 });
});

test('the thread loads the sources under the flags of npm run sluice (tsx and the tracing preload)', async () => {
  const out = await runNode(['--import', 'tsx', '--import', './src/telemetry/preload.ts'], REPLAY_ONCE());
  assert.deepEqual(JSON.parse(out), { name: 'broker-down-synthetic', files: 7 });
});
