/**
 * A plan as text a person reads: every action with its reason (which goal, which brokers, what it
 * relieves, the numbers), the reassignments, each broker's load before and predicted after, each
 * group's spread, the bytes to copy and how long that takes at the replication throttle. A plan
 * that does nothing says why ("balanced: max/min bytes in 1.08× within group core").
 */
import { goalName } from './goals.ts';
import { formatAmount, formatBytes, formatSeconds } from './format.ts';
import { RESOURCE_NAMES } from './model.ts';
import type { PlannedMove } from './moves.ts';
import type { GroupSpread, Plan } from './result.ts';

/** A max/min ratio as it reads: `1.08×`, or `∞×` when a broker carries nothing. */
function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : '∞×';
}

/** The reason of one action, with its numbers. */
export function explainMove(m: PlannedMove): string {
  const what = m.kind === 'leader' ? `leader ${m.from} → ${m.to}` : `replica ${m.from} → ${m.to}`;
  const head = `${m.topic}-${m.partition}: ${what} (${goalName(m.goal)} within group ${m.group})`;
  const copy = m.kind === 'leader' ? 'no copy' : `copies ${formatBytes(m.bytes)}`;
  const r = m.resource;
  const numbers = `broker ${m.from} ${formatAmount(r, m.fromBefore)} → ${formatAmount(r, m.fromAfter)}, broker ${m.to} ${formatAmount(r, m.toBefore)} → ${formatAmount(r, m.toAfter)}`;
  if (m.detail !== undefined) return `${head}: ${m.detail}; ${numbers} ${RESOURCE_NAMES[r]}; ${copy}`;
  const relative = m.groupMean > 0 ? `, ${(m.fromBefore / m.groupMean).toFixed(2)}× the group mean ${formatAmount(r, m.groupMean)}` : '';
  return `${head}: relieves broker ${m.from} of ${formatAmount(r, m.fromBefore - m.fromAfter)} ${RESOURCE_NAMES[r]} (it carried ${formatAmount(r, m.fromBefore)}${relative}); ${numbers}; ${copy}`;
}

/** One group's state on bytes in, as the summary line of a plan says it. */
function groupLine(group: string, spreads: readonly GroupSpread[], target: number, moved: boolean): string {
  const s = spreads.find((x) => x.resource === 'bytesIn')!;
  const state = s.after.ratio <= target * (1 + 1e-12) ? 'balanced' : 'unbalanced';
  const change = moved ? `${formatRatio(s.before.ratio)} → ${formatRatio(s.after.ratio)}` : formatRatio(s.after.ratio);
  return `${state}: max/min bytes in ${change} within group ${group}`;
}

/** The whole plan as text. */
export function explainPlan(plan: Plan): string {
  const lines: string[] = [];
  if (plan.moves.length === 0) {
    lines.push(`Plan (${plan.mode}): no moves.`);
  } else {
    const copies = plan.bytesMoved > 0 ? `${formatBytes(plan.bytesMoved)} to copy, about ${formatSeconds(plan.expectedSeconds)} at ${formatBytes(plan.throttleBytesPerSec)}/s per broker` : 'nothing to copy';
    lines.push(`Plan (${plan.mode}): ${plan.moves.length} move${plan.moves.length === 1 ? '' : 's'}, ${copies}.`);
  }
  for (const g of plan.groups) lines.push(`  ${groupLine(g.group, g.spreads, plan.balancedRatio, plan.moves.length > 0)}`);
  if (plan.moves.length > 0) {
    lines.push('Moves:');
    plan.moves.forEach((m, i) => lines.push(`  ${i + 1}. ${explainMove(m)}`));
  }
  if (plan.reassignments.length > 0) {
    lines.push('Reassignments (new replicas join the ISR before old ones leave, so no ISR shrinks):');
    for (const r of plan.reassignments) {
      const parts = [r.adding.length > 0 ? `adding ${r.adding.join(',')}` : '', r.removing.length > 0 ? `removing ${r.removing.join(',')}` : '', r.leaderAfter !== r.leaderBefore ? `leader ${r.leaderBefore} → ${r.leaderAfter}` : ''].filter((x) => x !== '');
      lines.push(`  ${r.topic}-${r.partition}: [${r.replicasBefore.join(',')}] → [${r.replicasAfter.join(',')}] (${parts.join(', ')})`);
    }
  }
  lines.push('Brokers (before → predicted after):');
  for (const b of plan.brokers) {
    const cells = (['bytesIn', 'bytesOut', 'disk', 'leaders', 'replicas'] as const).map((r) => `${RESOURCE_NAMES[r]} ${formatAmount(r, b.before[r])} → ${formatAmount(r, b.after[r])}`);
    lines.push(`  broker ${b.id} (${b.group}${b.drained ? ', drained' : ''}): ${cells.join('; ')}`);
  }
  if (plan.underReplicated > 0) lines.push(`Not moved: ${plan.underReplicated} partition${plan.underReplicated === 1 ? '' : 's'} with a short ISR.`);
  if (plan.unmet.length > 0) {
    lines.push('Unmet:');
    for (const u of plan.unmet) lines.push(`  ${u}`);
  }
  return `${lines.join('\n')}\n`;
}
