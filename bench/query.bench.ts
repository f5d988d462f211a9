/**
 * Sluice's Prometheus query API against Prometheus itself, on the same data in one run (issue 16).
 *
 * The data (bench/query/data.ts): 10,000 Kafka series under the exporters' names (broker topic
 * counters, consumer-group partition lag), 6 h at 15 s, deterministic, ending at the start of the
 * run. Sluice stores it through its writer into a real store (PostgreSQL at DATABASE_URL in a
 * schema of its own, dropped afterwards; else PGlite in a temporary directory) and serves it in a
 * process of its own (bench/query/sluice-server.ts) through buildApi and the prometheus routes.
 * Prometheus gets it as OpenMetrics text turned into blocks by `promtool tsdb
 * create-blocks-from openmetrics` and serves it with Debian's /usr/bin/prometheus (2.42).
 *
 * Each query (bench/query/cases.ts: rate by topic over 6 h at 30 s, topk(10) instant, lag sums by
 * group over 1 h at 15 s), inside Sluice's head window and beyond it, is asked of both over HTTP
 * as Grafana asks (form POST, no compression), once to warm up and compare the answers (every
 * series and point, values within 1e-6 relative), then `--runs` times each, alternating which
 * goes first; the medians, Sluice's over Prometheus's, and the goal: at most 1.5× inside the head
 * window, 3× beyond it. The time is the client's: request sent to the last byte of the answer.
 *
 *   npm run bench:query [-- --series 10000 --hours 6 --runs 5 --head-window 2h --only TEXT --json --profile DIR]
 *
 * --series/--hours shrink the set for a quick look (`--series 1000 --hours 4`); --only runs the
 * queries whose name and window hold TEXT (e.g. `--only lag`, `--only beyond`). --profile DIR
 * also profiles Sluice's process while it answers each query `--runs` more times (after the
 * timed runs, so the timings carry no profiler cost), writes DIR/<n>.cpuprofile and prints where
 * the time went. With --json the figures go to stdout as JSON, progress to stderr.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../src/duration.ts';
import { queryCases, type QueryCase } from './query/cases.ts';
import { compareAnswers, median, parseAnswer, type Agreement } from './query/compare.ts';
import { dataSet } from './query/data.ts';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './query/profile.ts';
import { backfill, PROMETHEUS, startPrometheus, writeOpenMetrics, type PrometheusServer } from './query/prometheus.ts';
import type { ServerArgs, ServerMessage } from './query/sluice-server.ts';

const { values } = parseArgs({ options: {
  series: { type: 'string', default: '10000' },
  hours: { type: 'string', default: '6' },
  runs: { type: 'string', default: '5' },
  'head-window': { type: 'string', default: '2h' },
  json: { type: 'boolean', default: false },
  profile: { type: 'string' },
  only: { type: 'string' },
} });

const fail = (message: string): never => {
  process.stderr.write(`bench:query: ${message}\n`);
  process.exit(2);
};
const whole = (flag: string, text: string, min: number): number => {
  const n = Number(text);
  return Number.isInteger(n) && n >= min ? n : fail(`--${flag}: expected a whole number of at least ${min}, got ${JSON.stringify(text)}`);
};
const seriesCount = whole('series', values.series, 100);
const hours = Number(values.hours);
if (!(hours >= 1 && hours <= 48 && (hours * 240) % 1 === 0)) fail(`--hours: expected 1 to 48 hours in steps of 15 s, got ${JSON.stringify(values.hours)}`);
const runs = whole('runs', values.runs, 1);
const headWindowMs = parseDuration(values['head-window']) ?? fail(`--head-window: expected a duration such as 2h, got ${JSON.stringify(values['head-window'])}`);
if (headWindowMs < 60_000) fail('--head-window: expected at least 1m (the store\'s smallest head window)');
const profileDir = values.profile === undefined ? undefined : resolve(values.profile);

const log = (line: string): void => void (values.json ? process.stderr : process.stdout).write(`${line}\n`);
const DATABASE_URL = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL;

// The data ends at the last whole minute: recent for both sides, and 30 s steps fall on it.
const endMs = Math.floor(Date.now() / 60_000) * 60_000;
const set = dataSet(seriesCount, hours, endMs);
const work = await mkdtemp(join(tmpdir(), 'sluice-bench-query-'));
const cases = queryCases(set, headWindowMs).filter((c) => values.only === undefined || `${c.name} ${c.window}`.includes(values.only));
if (cases.length === 0) fail(`--only: no query matches ${JSON.stringify(values.only)}`);

let prometheus: PrometheusServer | undefined;
const serverArgs: ServerArgs = {
  series: seriesCount, hours, endMs, headWindowMs,
  ...(DATABASE_URL === undefined ? { dataDir: join(work, 'pglite') } : { url: DATABASE_URL, schema: `sluice_bench_query_${Date.now().toString(36)}` }),
};
const server = fork(new URL('./query/sluice-server.ts', import.meta.url), [JSON.stringify(serverArgs)], {
  execArgv: ['--import', 'tsx', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const serverExited = new Promise<void>((r) => server.on('exit', () => r()));
const waiters: ((m: ServerMessage) => boolean)[] = [];
server.on('message', (m: ServerMessage) => {
  if (m.type === 'progress') return log(`  ${m.line}`);
  const i = waiters.findIndex((w) => w(m));
  if (i >= 0) waiters.splice(i, 1);
});
const next = <T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> =>
  new Promise((resolve_, reject) => {
    waiters.push((m) => {
      if (m.type === 'failed') reject(new Error(`Sluice's server failed: ${m.error}`));
      else if (m.type === type) resolve_(m as Extract<ServerMessage, { type: T }>);
      else return false;
      return true;
    });
    void serverExited.then(() => reject(new Error('Sluice\'s server exited')));
  });

/** Asks `base` one query as Grafana does; the client's time from request to last byte. */
async function ask(base: string, c: QueryCase): Promise<{ ms: number; text: string }> {
  const body = new URLSearchParams(c.params).toString();
  const t0 = performance.now();
  const res = await fetch(`${base}${c.path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-encoding': 'identity' }, body });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${base}${c.path} ${c.params.query}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return { ms, text };
}

interface CaseResult {
  readonly case: QueryCase;
  readonly sluiceMs: number[];
  readonly prometheusMs: number[];
  readonly sluiceMedianMs: number;
  readonly prometheusMedianMs: number;
  readonly ratio: number;
  readonly pass: boolean;
  readonly agreement: Agreement;
  readonly answerBytes: { readonly sluice: number; readonly prometheus: number };
  readonly profile?: ProfileSummary;
}

const results: CaseResult[] = [];
let info: Record<string, unknown> = {};
try {
  log(`bench:query: ${set.series.length} series (${set.topics} topics × 9 broker counters, ${set.groups} groups × 25 partition lags), ${hours} h at 15 s, ending ${new Date(endMs).toISOString()}`);
  const ready = next('ready');
  ready.catch(() => undefined); // awaited below; a failure meanwhile must not end the process before the clean-up
  const t0 = performance.now();
  const file = join(work, 'data.om.txt');
  const bytes = await writeOpenMetrics(set, file);
  log(`  prometheus: ${(bytes / 1e6).toFixed(0)} MB of OpenMetrics written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const t1 = performance.now();
  const dataDir = join(work, 'prometheus');
  await backfill(file, dataDir);
  await rm(file);
  log(`  prometheus: blocks created by promtool in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  prometheus = await startPrometheus(dataDir, work);
  const sluice = await ready;
  log(`  sluice: ready (tiered head warmed with ${sluice.tieredHeadSamples} samples in ${(sluice.warmMs / 1000).toFixed(1)} s)`);
  info = {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    store: sluice.store,
    prometheus: execFileSync(PROMETHEUS, ['--version'], { encoding: 'utf8' }).split('\n')[0],
    series: set.series.length,
    samplesPerSeries: set.samples,
    samples: sluice.samples,
    sluiceLoadS: Number((sluice.loadMs / 1000).toFixed(1)),
    headWindow: values['head-window'],
    runs,
  };
  if (profileDir !== undefined) await mkdir(profileDir, { recursive: true });

  for (const [n, c] of cases.entries()) {
    const sluiceBase = c.instance === 'head' ? sluice.headUrl : sluice.tieredUrl;
    const warmS = await ask(sluiceBase, c);
    const warmP = await ask(prometheus.url, c);
    const agreement = compareAnswers(parseAnswer(warmS.text), parseAnswer(warmP.text));
    const sluiceMs: number[] = [];
    const prometheusMs: number[] = [];
    for (let r = 0; r < runs; r++) {
      const order = r % 2 === 0 ? ['s', 'p'] : ['p', 's'];
      for (const who of order) {
        if (who === 's') sluiceMs.push((await ask(sluiceBase, c)).ms);
        else prometheusMs.push((await ask(prometheus.url, c)).ms);
      }
    }
    let profile: ProfileSummary | undefined;
    if (profileDir !== undefined) {
      server.send({ type: 'profile-start' });
      await next('profiled');
      for (let r = 0; r < runs; r++) await ask(sluiceBase, c);
      const path = join(profileDir, `${n + 1}-${c.window}.cpuprofile`);
      server.send({ type: 'profile-stop', path });
      await next('profiled');
      profile = summarizeProfile(JSON.parse(await readFile(path, 'utf8')) as CpuProfile);
    }
    const sm = median(sluiceMs);
    const pm = median(prometheusMs);
    const result: CaseResult = {
      case: c, sluiceMs, prometheusMs, sluiceMedianMs: sm, prometheusMedianMs: pm, ratio: sm / pm, pass: sm / pm <= c.goal && agreement.ok, agreement,
      answerBytes: { sluice: warmS.text.length, prometheus: warmP.text.length }, ...(profile === undefined ? {} : { profile }),
    };
    results.push(result);
    log(`  ${c.name} [${c.window}]: Sluice ${sm.toFixed(1)} ms, Prometheus ${pm.toFixed(1)} ms, ${(sm / pm).toFixed(2)}×; answers ${agreement.ok ? `agree (${agreement.series} series, ${agreement.points} points)` : `DIFFER: ${agreement.detail}`}`);
  }
} finally {
  if (server.connected) server.send({ type: 'stop' });
  const killer = setTimeout(() => server.kill('SIGKILL'), 30_000);
  await serverExited;
  clearTimeout(killer);
  await prometheus?.stop();
  await rm(work, { recursive: true, force: true });
}

if (values.json) {
  process.stdout.write(`${JSON.stringify({ machine: info, results: results.map((r) => ({ ...r, case: { name: r.case.name, window: r.case.window, where: r.case.where, path: r.case.path, params: r.case.params, goal: r.case.goal } })) }, null, 2)}\n`);
} else {
  const rows = [['query', 'window', 'Sluice reads', 'Sluice ms', 'Prometheus ms', 'ratio', 'goal', 'result', 'answers']];
  for (const r of results) {
    rows.push([
      r.case.name, r.case.window, r.case.where, r.sluiceMedianMs.toFixed(1), r.prometheusMedianMs.toFixed(1), `${r.ratio.toFixed(2)}×`, `≤ ${r.case.goal}×`,
      r.pass ? 'PASS' : 'FAIL', r.agreement.ok ? `agree: ${r.agreement.series} series, ${r.agreement.points} points` : `DIFFER: ${r.agreement.detail}`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const numeric = new Set([3, 4, 5]);
  console.log('');
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, j) => (numeric.has(j) ? cell.padStart(widths[j]!) : cell.padEnd(widths[j]!))).join('  ').trimEnd());
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log('');
  console.log(`medians of ${runs} runs after a warm-up; time = client request to last byte, form POST, no compression`);
  for (const [k, v] of Object.entries(info)) console.log(`${k}: ${String(v)}`);
  for (const r of results) {
    if (r.profile === undefined) continue;
    console.log(`\nprofile of Sluice, ${r.case.name} [${r.case.window}], ${runs} runs, ${r.profile.totalMs.toFixed(0)} ms sampled:`);
    for (const p of r.profile.parts.slice(0, 8)) console.log(`  ${p.ms.toFixed(0).padStart(7)} ms  ${(100 * p.ms / r.profile.totalMs).toFixed(1).padStart(5)}%  ${p.part}`);
    console.log('  top functions (self time):');
    for (const f of r.profile.functions) console.log(`  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}`);
  }
}
process.exitCode = results.length === cases.length && results.every((r) => r.agreement.ok) ? 0 : 1;
