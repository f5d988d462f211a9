/**
 * Replay speed: an incident fixture (default the calm 24 h day, fixtures/incidents/calm-day)
 * replayed with every shipped rule pack, the notifier's dispatcher and the throttle loop on the
 * virtual clock, as `sluice replay` runs it. Prints the wall time, how many times faster than
 * real time that is (goal: a 24 h day in under 10 s, ≥ 8,640×), group evaluations and throttle
 * rounds per second, and whether two runs gave byte-identical JSON.
 *
 *   npm run bench:replay [-- --fixture fixtures/incidents/calm-day --runs 2]
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadFixture } from '../src/replay/load.ts';
import { replayFixture } from '../src/replay/replayer.ts';
import { ruleFilesOf } from '../src/replay/run.ts';
import { timelineJson } from '../src/replay/timeline.ts';

const { values } = parseArgs({ options: {
  fixture: { type: 'string', default: fileURLToPath(new URL('../fixtures/incidents/calm-day', import.meta.url)) },
  runs: { type: 'string', default: '2' },
} });

const loadStarted = performance.now();
const fixture = await loadFixture(values.fixture);
const loadMs = performance.now() - loadStarted;
const ruleFiles = await ruleFilesOf(undefined);
const spanMs = fixture.meta.to - fixture.meta.from;
console.log(`fixture ${fixture.meta.name}: ${fixture.meta.seriesCount} series, ${fixture.meta.sampleCount} samples over ${(spanMs / 3_600_000).toFixed(1)} h; loaded in ${loadMs.toFixed(0)} ms`);
const outputs: string[] = [];
for (let run = 1; run <= Number(values.runs); run++) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const timeline = await replayFixture(fixture, { ruleFiles });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  outputs.push(timelineJson(timeline));
  console.log(`run ${run}: ${(ms / 1000).toFixed(2)} s wall, ${(cpuMs / 1000).toFixed(2)} s CPU (goal < 10 s for 24 h), ${Math.round(spanMs / ms)}x real time (goal >= 8640x); ` +
    `${timeline.rules.evaluations} group evaluations (${Math.round(timeline.rules.evaluations / (ms / 1000))}/s), ${timeline.throttle.rounds} throttle rounds, ` +
    `${timeline.alerts.length} alert transitions, ${timeline.notifications.length} notifications, ${timeline.decisions.length} decisions`);
}
console.log(`deterministic: ${outputs.every((o) => o === outputs[0]) ? 'yes, byte-identical JSON across runs' : 'NO: runs differ'}`);
