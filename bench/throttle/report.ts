/**
 * What the bench prints: per scenario a header (what it is, capacity, burst window, static share),
 * a table with one column per mode and one row per figure, then the goals. Pure: figures in, text
 * out.
 */
import type { Containment, RunFigures } from './figures.ts';
import type { Goal } from './goals.ts';
import type { Mode } from './run.ts';
import { KIB } from './scenarios.ts';
import type { Shape } from './shape.ts';

const LABELS: Record<Mode, string> = { none: 'no quotas', static: 'static equal share', auto: 'Sluice auto' };
const kib = (x: number) => `${(x / KIB).toFixed(0)} KiB/s`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ms = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(0)} ms`);

/** The scenario's header lines. */
export function header(shape: Shape, target: number, intervalS: number, staticShare: RunFigures['staticShare']): string {
  const { def, burst } = shape;
  const what = def.timing.kind === 'day'
    ? `a day in ${shape.durationS.toFixed(0)} s; offered load over the target ${burst.atS.toFixed(0)}–${(burst.atS + burst.forS).toFixed(0)} s`
    : `${shape.durationS.toFixed(0)} s; burst ${burst.atS.toFixed(0)}–${(burst.atS + burst.forS).toFixed(0)} s`;
  const share = staticShare === undefined ? '' : `; static share per client id per broker: produce ${kib(staticShare.producer)}${staticShare.consumer === undefined ? '' : `, consume ${kib(staticShare.consumer)}`}`;
  return [
    `== ${def.name}: ${def.summary}`,
    `   RF ${def.replicationFactor}, 3 brokers × network in ${kib(def.capacity.in)} / out ${kib(def.capacity.out)}, target ${pct(target)}, loop every ${intervalS} s; ${what}${share}`,
  ].join('\n');
}

function rowsOf(runs: readonly RunFigures[], target: number): string[][] {
  const none = runs.find((r) => r.mode === 'none');
  const ratio = (value: number, base: number | undefined, mode: Mode): string => (mode === 'none' || base === undefined || base === 0 ? '' : ` (${pct(value / base)})`);
  const rows: string[][] = [
    ['goodput (run)', ...runs.map((r) => `${kib(r.goodput.runBytesPerSec)}`)],
    ['goodput (burst)', ...runs.map((r) => `${kib(r.goodput.burstBytesPerSec)}`)],
    [`utilization in burst, mean / peak (target ${pct(target)})`, ...runs.map((r) => `${pct(r.utilization.burstMean)} / ${pct(r.utilization.burstPeak)}`)],
    ['seconds over the target (run)', ...runs.map((r) => String(r.utilization.secondsOverTarget))],
    ['core served (acked ÷ asked)', ...runs.map((r) => pct(r.core.served))],
    ['core ack latency p99, burst (worst core producer)', ...runs.map((r) => ms(r.core.burstP99Ms))],
    ['broker Produce p99, burst mean', ...runs.map((r) => ms(r.core.brokerProduceP99Ms))],
  ];
  if (runs.some((r) => r.noisyProducersServed !== undefined)) {
    rows.push(['bursting producer served (burst)', ...runs.map((r) => (r.noisyProducersServed === undefined ? 'n/a' : pct(r.noisyProducersServed)))]);
  }
  for (const g of runs[0]?.groups ?? []) {
    const base = none?.groups.find((x) => x.id === g.id);
    const tag = g.noisy ? ' (noisy)' : '';
    rows.push([`group ${g.id}${tag}, burst`, ...runs.map((r) => {
      const mine = r.groups.find((x) => x.id === g.id)!;
      return `${kib(mine.burstBytesPerSec)}${ratio(mine.burstBytesPerSec, base?.burstBytesPerSec, r.mode)}`;
    })]);
    if (g.readsBurstTopic) {
      rows.push([`  without the burster's topic`, ...runs.map((r) => {
        const mine = r.groups.find((x) => x.id === g.id)!;
        return `${kib(mine.burstOwnBytesPerSec)}${ratio(mine.burstOwnBytesPerSec, base?.burstOwnBytesPerSec, r.mode)}`;
      })]);
    }
  }
  rows.push(
    ['rounds to contain', ...runs.map((r) => containText(r.contain))],
    ['  on the quota window\'s mean', ...runs.map((r) => containText(r.containQuotaWindow))],
    ['rounds to release', ...runs.map((r) => (r.release === undefined ? 'n/a' : !r.release.quotasSet ? '0 (none set)' : r.release.rounds === null ? 'not released' : `${r.release.rounds} (${r.release.seconds!.toFixed(0)} s)`))],
    ['changes per client in the burst (most)', ...runs.map((r) => {
      if (r.changesPerClient === undefined) return 'n/a';
      const top = Object.entries(r.changesPerClient).sort((a, b) => b[1] - a[1])[0];
      return top === undefined ? '0' : `${top[1]} (${top[0].replace(/^client-id=/, '')})`;
    })],
    ['core client given a quota', ...runs.map((r) => (r.mode === 'static' ? 'yes (the share)' : r.coreQuota ? 'yes' : 'no'))],
    ['model error p90, one round ahead', ...runs.map((r) => (r.modelError === undefined ? 'n/a' : r.modelError.p90Points === undefined ? 'n/a' : `${r.modelError.p90Points.toFixed(1)} points`))],
    ['byte-rate quotas left at the end', ...runs.map((r) => String(r.quotasAtEnd))],
  );
  return rows;
}

function containText(c: Containment): string {
  return c.neverOver ? '0 (never over)' : c.rounds === null ? 'not contained' : `${c.rounds} (${c.seconds!.toFixed(0)} s)`;
}

/** The scenario's table: a column per mode run. */
export function table(runs: readonly RunFigures[], target: number): string {
  const headerRow = ['', ...runs.map((r) => LABELS[r.mode])];
  const rows = [headerRow, ...rowsOf(runs, target)];
  const widths = headerRow.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** The goals: a summary line, then one line per goal. */
export function goalLines(goals: readonly Goal[]): string {
  if (goals.length === 0) return 'goals: n/a (no Sluice auto run)';
  const count = (v: Goal['verdict']) => goals.filter((g) => g.verdict === v).length;
  const width = Math.max(...goals.map((g) => g.name.length));
  return [
    `goals (Sluice auto): ${count('PASS')} PASS, ${count('FAIL')} FAIL, ${count('n/a')} n/a`,
    ...goals.map((g) => `  ${g.verdict.padEnd(4)}  ${g.name.padEnd(width)}  ${g.measured}`),
  ].join('\n');
}
