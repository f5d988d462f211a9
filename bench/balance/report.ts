/**
 * The balance bench's figures and what it prints: each figure with its goal and PASS or FAIL, in
 * the table style of the other benches. Pure: records in, rows and text out.
 */
import { smallestPlan } from './brute.ts';
import type { DayComparison } from './day.ts';
import { spread } from './measure.ts';
import type { LiveRecord } from './run.ts';
import { GROUPS, TOPICS } from './scenario.ts';

/** One row: a figure, its goal and the verdict. */
export interface Row {
  readonly figure: string;
  readonly measured: string;
  readonly goal: string;
  readonly verdict: 'PASS' | 'FAIL' | '';
}

const kib = (x: number): string => `${(x / 1024).toFixed(0)} KiB/s`;
const mib = (x: number): string => `${(x / 2 ** 20).toFixed(2)} MiB`;
const times = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '∞×');
const verdict = (ok: boolean): 'PASS' | 'FAIL' => (ok ? 'PASS' : 'FAIL');

/** The rows of the live run. */
export function liveRows(r: LiveRecord): Row[] {
  const rows: Row[] = [];
  const groupTopics = (g: (typeof GROUPS)[number]): Set<string> => new Set<string>(g.topics);
  for (const t of TOPICS.filter((x) => x.keySkewed)) {
    const loads = r.model.partitions.filter((p) => p.topic === t.name).map((p) => p.bytesIn);
    rows.push({ figure: `key skew: ${t.name} partitions' measured bytes in (p95), max/min`, measured: `${times(spread(loads).ratio)} (${loads.map(kib).join(', ')})`, goal: 'unequal', verdict: '' });
  }
  for (const g of GROUPS) {
    const before = spread(g.brokers.map((b) => r.bytesInBefore.get(b) ?? 0));
    const after = spread(g.brokers.map((b) => r.bytesInAfter.get(b) ?? 0));
    const cell = (m: Map<number, number>): string => g.brokers.map((b) => `${b}: ${kib(m.get(b) ?? 0)}`).join(', ');
    rows.push({ figure: `${g.name}: per-broker bytes in before (measured)`, measured: cell(r.bytesInBefore), goal: '', verdict: '' });
    rows.push({ figure: `${g.name}: per-broker bytes in after (measured)`, measured: cell(r.bytesInAfter), goal: '', verdict: '' });
    rows.push({ figure: `${g.name}: max/min before (skew set up)`, measured: times(before.ratio), goal: '≥ 3×', verdict: verdict(before.ratio >= 3) });
    rows.push({ figure: `${g.name}: max/min after`, measured: times(after.ratio), goal: '≤ 1.15×', verdict: verdict(after.ratio <= 1.15) });
    rows.push({ figure: `${g.name}: std dev before → after`, measured: `${kib(before.std)} → ${kib(after.std)} (${times(before.std / after.std)} smaller)`, goal: '≥ 10× smaller', verdict: verdict(before.std >= 10 * after.std) });

    // Bytes moved against the smallest plan reaching the same balance, in the planner's model.
    const topics = groupTopics(g);
    const parts = r.model.partitions.filter((p) => topics.has(p.topic));
    const modelBefore = spread(g.brokers.map((b) => r.plan.brokers.find((x) => x.id === b)!.before.bytesIn));
    const modelAfter = spread(g.brokers.map((b) => r.plan.brokers.find((x) => x.id === b)!.after.bytesIn));
    const moved = r.plan.reassignments.filter((x) => topics.has(x.topic)).reduce((a, x) => a + x.bytes, 0);
    const outAfter = r.plan.groups.find((x) => x.group === g.name)!.spreads.find((x) => x.resource === 'bytesOut')!.after.ratio;
    // The balance asked of bytes in, and bytes out at least as balanced as the planner's target (or what it reached).
    const outRatio = Math.max(r.config.balancedRatio, outAfter);
    const smallest = smallestPlan(parts, g.brokers, { ratio: 1.15, std: modelBefore.std / 10, outRatio });
    const ratio = smallest.bytes === null ? Infinity : smallest.bytes > 0 ? moved / smallest.bytes : moved === 0 ? 1 : Infinity;
    rows.push({
      figure: `${g.name}: bytes moved ÷ smallest plan (brute force)`,
      measured: `${mib(moved)} ÷ ${smallest.bytes === null ? 'none' : mib(smallest.bytes)} = ${times(ratio)} (plan predicts bytes in ${times(modelAfter.ratio)}, out ${times(outAfter)}; ` +
        `smallest reaching in ≤ 1.15×, std ≤ 1/10, out ≤ ${times(outRatio)}: in ${smallest.ratio === null ? 'n/a' : times(smallest.ratio)}, out ${smallest.outRatio === null ? 'n/a' : times(smallest.outRatio)}; ${smallest.tried} placements evaluated)`,
      goal: '≤ 1.5×', verdict: verdict(ratio <= 1.5),
    });
  }
  const moves = r.execution.moves;
  rows.push({ figure: 'execution', measured: `${r.execution.state} in ${r.executionS.toFixed(1)} s: ${moves.filter((m) => m.state === 'done').length}/${moves.length} moves done, throttles left ${r.execution.applied.brokers.length + r.execution.applied.topics.length}`, goal: 'done, 0 left', verdict: verdict(r.execution.state === 'done' && moves.every((m) => m.state === 'done') && r.execution.applied.brokers.length === 0 && r.execution.applied.topics.length === 0) });
  rows.push({ figure: 'acknowledged messages lost (all read back)', measured: `${r.readBack.lost} of ${r.readBack.acked} (read ${r.readBack.read}, ${r.readBack.duplicates} duplicates)${r.readBack.lostWhere.length > 0 ? `: ${r.readBack.lostWhere.join('; ')}` : ''}`, goal: '0', verdict: verdict(r.readBack.lost === 0 && r.readBack.acked > 0) });
  rows.push({ figure: 'client errors (failed sends, consumer crashes)', measured: `${r.produceErrors} failed messages, ${r.consumerCrashes} crashes${r.lastProduceError === null ? '' : ` (${r.lastProduceError})`}`, goal: '0', verdict: verdict(r.produceErrors === 0 && r.consumerCrashes === 0) });
  const { before, during } = r.coreP99;
  const p99Ratio = before.value !== null && during.value !== null && before.value > 0 ? during.value / before.value : Infinity;
  rows.push({ figure: 'core produce p99, during the move ÷ before', measured: `${during.value ?? 'n/a'} ms (${during.count} msgs) ÷ ${before.value ?? 'n/a'} ms (${before.count} msgs) = ${times(p99Ratio)}; p50 ${r.coreP50.during ?? 'n/a'} ms during, ${r.coreP50.before ?? 'n/a'} ms before`, goal: '≤ 1.2×', verdict: verdict(p99Ratio <= 1.2) });
  rows.push({ figure: 'partitions under min ISR at any poll', measured: `${r.isr.underMinIsr.length} (${r.isr.pollsUnderMinIsr} of ${r.isr.polls} polls${r.isr.failedPolls > 0 ? `, ${r.isr.failedPolls} failed` : ''}); under-replicated seen: ${r.isr.underReplicated.length}`, goal: '0', verdict: verdict(r.isr.underMinIsr.length === 0 && r.isr.polls > 0) });
  rows.push({ figure: 'plan computation (live model)', measured: `${r.planMs.toFixed(0)} ms, ${r.plan.reassignments.length} reassignments, ${r.plan.moves.length} actions`, goal: '', verdict: '' });
  return rows;
}

/** The rows of the day comparison. */
export function dayRows(d: DayComparison): Row[] {
  const rows: Row[] = [];
  for (const o of d.outcomes) {
    const cells = o.groups.map((g) => `${g.group} ${times(g.ratio)}, std ${kib(g.std)}`).join('; ');
    rows.push({ figure: `peak hour ${d.peakHour}:00, ${o.label}`, measured: `${cells} (${o.moves} moves, ${mib(o.bytesMoved)})`, goal: '', verdict: '' });
  }
  const even = d.outcomes[1]!;
  const sluice = d.outcomes[2]!;
  for (let i = 0; i < sluice.groups.length; i++) {
    const s = sluice.groups[i]!;
    const e = even.groups[i]!;
    rows.push({ figure: `${s.group}: peak-hour max/min, Sluice vs even split`, measured: `${times(s.ratio)} vs ${times(e.ratio)}`, goal: 'lower', verdict: verdict(s.ratio < e.ratio) });
    rows.push({ figure: `${s.group}: peak-hour std dev, Sluice vs even split`, measured: `${kib(s.std)} vs ${kib(e.std)}`, goal: 'lower', verdict: verdict(s.std < e.std) });
  }
  return rows;
}

/** Rows as an aligned table. */
export function table(rows: readonly Row[]): string {
  const all = [{ figure: 'figure', measured: 'measured', goal: 'goal', verdict: '' }, ...rows];
  const wf = Math.max(...all.map((r) => r.figure.length));
  const wg = Math.max(...all.map((r) => r.goal.length));
  return all.map((r) => `  ${(r.verdict || (r === all[0] ? '' : '—')).padEnd(4)}  ${r.figure.padEnd(wf)}  ${r.goal.padEnd(wg)}  ${r.measured}`.trimEnd()).join('\n');
}
