/**
 * The throttle bench: a suite of noisy-neighbour scenarios (bench/throttle/scenarios.ts), each
 * run three ways on a fresh bundled 3-broker cluster with the scenario's network capacity, over
 * real sockets, and a fresh service (collectors every second, the store, the loop every 5 s):
 * with no quotas; with a static equal share set before the workload starts (per client id and
 * per broker, as Kafka enforces quotas: producer_byte_rate = target × capacity in ÷ producer
 * client ids, consumer_byte_rate = target × capacity out ÷ consumer client ids); and with
 * Sluice's loop in `auto` mode (clients `core-*` in a high-priority core group with a floor,
 * everyone else general). The scenarios differ in capacity in and out, replication factor (1
 * or 3: replication is broker traffic too), consumer groups (none, one reading every topic,
 * several on different topics; every fetch at most 64 KiB of a partition, scaled with the
 * brokers), what bursts (a producer, or a consumer group rewinding to
 * earliest and reading a backlog, so that the brokers' network out is the pressure), how long
 * the calm before it lasts, and a day of daily curves played in the run.
 *
 * Per run (bench/throttle/figures.ts says exactly how each is taken): goodput (acknowledged
 * produced + consumed bytes/s) over the run and during the burst; the busiest broker's
 * utilization as the throttle diagnosis computes it (max of 1 − handler idle, bytes in ÷
 * capacity in, bytes out ÷ capacity out over the measuring window, 5 s unless --measure-window
 * says otherwise, whatever the loop's --rate-window), sampled each second, mean
 * and peak during the burst; how much of what core producers asked was acknowledged, and the
 * worst core producer's p99 of its messages' acknowledge latency as the producer measures it
 * (send to acknowledgement), beside the brokers' Produce p99; each consumer group's throughput
 * during the burst and its ratio to the no-quota run's; loop rounds from the burst's start until
 * the busiest broker stays at or under the target, and from the burst's end until every quota
 * Sluice set is back to what was there before (its decision log, checked against
 * DescribeClientQuotas at the end); Sluice's changes per client during the burst; whether a core
 * client was given a quota; and the p90 of the loop's one-round-ahead model prediction error.
 * Then the goals the auto run is held to (bench/throttle/goals.ts), each PASS, FAIL or n/a with
 * the value measured.
 *
 *   npm run bench:throttle [-- --scenarios a,b --runs none,static,auto --scale 0.3 --interval 5 --rate-window 5 --measure-window 5 --quota-window-num 5 --target 0.7 --json --trace]
 *
 * --quota-window-num sets the brokers' quota.window.num, samples of 1 s (5 unless given; Kafka's
 * default is 11). A client held at its quota is let through and held in turn with the window's
 * period, so a rate over part of one sees it let through or held, not its quota: the loop warns
 * when its rate window is not a whole multiple of the brokers' quota window, and the bench runs
 * its brokers as that advice has it for the 5 s rate window it reads (and measures over). All
 * three runs of a scenario share the brokers' setting. --quota-window-num 11 shows Kafka's.
 *
 * The whole suite takes about 62 minutes (27 runs of 95–300 s); --scale multiplies every
 * duration (0.3 for a quick look; the loop's interval stays as given). --trace prints the
 * workload's status lines, every round of the loop, each quota change and every second's
 * utilization. The store is embedded PGlite, or PostgreSQL at DATABASE_URL (a schema of its own
 * per run, dropped afterwards). With --json every figure goes to stdout as JSON, progress to
 * stderr.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { figuresOf, type RunFigures } from './throttle/figures.ts';
import { checkGoals, type Goal } from './throttle/goals.ts';
import { goalLines, header, table } from './throttle/report.ts';
import { MODES, runOnce, type Mode, type RunRecord } from './throttle/run.ts';
import { SCENARIOS } from './throttle/scenarios.ts';
import { coreAloneOverTarget, shapeOf, type Shape } from './throttle/shape.ts';

const { values } = parseArgs({ options: {
  scenarios: { type: 'string', default: SCENARIOS.map((s) => s.name).join(',') },
  runs: { type: 'string', default: MODES.join(',') },
  scale: { type: 'string', default: '1' },
  interval: { type: 'string', default: '5' },
  'rate-window': { type: 'string', default: '5' },
  'measure-window': { type: 'string', default: '5' },
  'quota-window-num': { type: 'string', default: '5' },
  target: { type: 'string', default: '0.7' },
  json: { type: 'boolean', default: false },
  trace: { type: 'boolean', default: false },
} });

const fail = (message: string): never => {
  process.stderr.write(`bench:throttle: ${message}\n`);
  process.exit(2);
};
const positive = (flag: string, text: string): number => {
  const n = Number(text);
  return n > 0 && Number.isFinite(n) ? n : fail(`--${flag}: expected a positive number, got ${JSON.stringify(text)}`);
};
const scale = positive('scale', values.scale);
const intervalS = positive('interval', values.interval);
const rateWindowS = positive('rate-window', values['rate-window']);
const measureWindowS = positive('measure-window', values['measure-window']);
const quotaWindowNum = Number(values['quota-window-num']);
if (!(Number.isInteger(quotaWindowNum) && quotaWindowNum >= 2 && quotaWindowNum <= 1000)) fail(`--quota-window-num: expected an integer from 2 to 1000, got ${JSON.stringify(values['quota-window-num'])}`);
const target = Number(values.target);
if (!(target > 0 && target < 1)) fail(`--target: expected a number between 0 and 1, got ${JSON.stringify(values.target)}`);
const modes = values.runs.split(',').map((r) => r.trim()).filter((r) => r !== '');
for (const m of modes) if (!(MODES as readonly string[]).includes(m)) fail(`--runs: unknown run "${m}"; expected some of ${MODES.join(',')}`);
const names = values.scenarios.split(',').map((s) => s.trim()).filter((s) => s !== '');
for (const n of names) if (!SCENARIOS.some((s) => s.name === n)) fail(`--scenarios: unknown scenario "${n}"; expected some of ${SCENARIOS.map((s) => s.name).join(',')}`);
const chosen = SCENARIOS.filter((s) => names.includes(s.name));

const log = (line: string): void => void (values.json ? process.stderr : process.stdout).write(`${line}\n`);
const shapes = chosen.map((def) => shapeOf(def, scale, target));
const totalS = shapes.reduce((sum, s) => sum + s.durationS, 0) * modes.length;
log(`throttle bench on ${cpus().length} cores, node ${process.version}, store ${process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'PGlite (in memory)'}: ` +
  `${shapes.length} scenario(s) × ${modes.join(', ')}, scale ${scale}, target ${(100 * target).toFixed(0)}%, loop every ${intervalS} s, rate window ${rateWindowS} s, measured over ${measureWindowS} s, brokers' quota window ${quotaWindowNum} × 1 s; ` +
  `${Math.round(totalS / 60)} min of workload`);

/** One scenario's result, as --json writes it. */
interface ScenarioResult {
  readonly name: string;
  readonly summary: string;
  readonly replicationFactor: number;
  readonly capacity: { readonly in: number; readonly out: number };
  readonly durationS: number;
  readonly burst: Shape['burst'];
  readonly timeScale: number;
  readonly coreAloneOverTarget: boolean;
  readonly runs: readonly (RunFigures & {
    readonly utilizationBySecond: readonly number[];
    readonly roundStates: readonly { t: number; state: string }[];
    readonly changes: readonly { t: number; entity: string; quotaKey: string; from: number | null; to: number | null; reason: string }[];
  })[];
  readonly goals: readonly Goal[];
}

const results: ScenarioResult[] = [];
for (const shape of shapes) {
  const records: RunRecord[] = [];
  for (const mode of modes as Mode[]) {
    log(`${shape.def.name}: ${mode} …`);
    const record = await runOnce(shape, mode, { target, intervalS, rateWindowS, measureWindowS, quotaWindowNum, trace: values.trace, log });
    records.push(record);
    log(`${shape.def.name}: ${mode} done in ${record.wallS.toFixed(0)} s${record.changes.length > 0 ? `, ${record.changes.length} quota change(s)` : ''}`);
  }
  const figures = records.map((r) => figuresOf(r, target, intervalS, quotaWindowNum));
  const coreOver = coreAloneOverTarget(shape.def, shape.durationS, scale, target);
  const goals = checkGoals(figures, { target, coreAloneOver: coreOver });
  log('');
  log(header(shape, target, intervalS, figures.find((f) => f.staticShare !== undefined)?.staticShare));
  log(table(figures, target));
  log(goalLines(goals));
  log('');
  results.push({
    name: shape.def.name, summary: shape.def.summary, replicationFactor: shape.def.replicationFactor, capacity: shape.def.capacity,
    durationS: shape.durationS, burst: shape.burst, timeScale: shape.timeScale, coreAloneOverTarget: coreOver,
    runs: figures.map((f, i) => ({
      ...f,
      utilizationBySecond: records[i]!.samples.map((s) => Math.round(1000 * s.utilization) / 1000),
      roundStates: records[i]!.rounds.map((r) => ({ t: Math.round((r.at - records[i]!.startedAtMs) / 100) / 10, state: r.state })),
      changes: records[i]!.changes.map((c) => ({
        t: Math.round((c.ts - records[i]!.startedAtMs) / 100) / 10, entity: c.entityKey, quotaKey: c.quotaKey, from: c.oldValue, to: c.newValue, reason: c.reason,
      })),
    })),
    goals,
  });
}

const verdicts = results.flatMap((r) => r.goals.map((g) => g.verdict));
log(`all scenarios: ${verdicts.filter((v) => v === 'PASS').length} PASS, ${verdicts.filter((v) => v === 'FAIL').length} FAIL, ${verdicts.filter((v) => v === 'n/a').length} n/a`);
if (values.json) {
  process.stdout.write(`${JSON.stringify({ target, intervalS, rateWindowS, measureWindowS, quotaWindowNum, scale, scenarios: results }, null, 2)}\n`);
}
