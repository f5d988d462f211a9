/**
 * Guardrails, pure: whether a proposed quota change may be pushed this round, and to what value.
 * Each rule that bites is named in the result, so that every skipped or clipped change explains
 * itself in the audit trail.
 */

/** Limits on changes (defaults are what the loop uses). */
export interface GuardrailOptions {
  /** At most one change per entity in this long, ms (default 5 min). */
  readonly cooldownMs?: number;
  /** A decrease goes at most down to current × this (default 0.5: halve at most). */
  readonly maxDecreaseFactor?: number;
  /** An increase goes at most up to current × this (default 1.25). */
  readonly maxIncreaseFactor?: number;
  /** Changes smaller than this fraction of the current value are skipped (default 0.1). */
  readonly minChangeFraction?: number;
  /** Least R² a fitted model needs before the loop acts on it (default 0.6). */
  readonly minR2?: number;
}

/** One proposed change and its context. */
export interface ProposedChange {
  /** The quota in force (undefined: none set). */
  readonly current: number | undefined;
  readonly proposed: number;
  /** The entity's group floor. */
  readonly floor: number;
  /** When this entity was last changed, ms (undefined: never). */
  readonly lastChangedAt: number | undefined;
  readonly now: number;
  /** Whether the metrics behind the decision are older than they should be. */
  readonly metricsStale: boolean;
  /** Why the loop does not act yet (too little history behind its rates, e.g. just after start), if so. */
  readonly warmingUp?: string | undefined;
  /** R² of the model behind the decision; NaN for the fixed-weight model (not held to minR2). */
  readonly modelR2: number;
}

/** The verdict. */
export interface GuardedChange {
  /** Push `value`? */
  readonly apply: boolean;
  /** The value after clipping (the current value when not applied). */
  readonly value: number | undefined;
  /** Every rule that bit, in words; empty when the proposal passed unchanged. */
  readonly reasons: readonly string[];
}

/**
 * The rules that hold any change, a removal included: stale metrics, too little history (just
 * after start), a poor fit (when `modelR2` is given) and the cooldown. The reason of the first
 * that bites, or undefined.
 */
function held(change: Pick<ProposedChange, 'lastChangedAt' | 'now' | 'metricsStale' | 'warmingUp'> & { readonly modelR2?: number }, options: GuardrailOptions): string | undefined {
  if (change.metricsStale) return 'metrics are stale: no change while the evidence is old';
  if (change.warmingUp !== undefined) return change.warmingUp;
  const minR2 = options.minR2 ?? 0.6;
  if (change.modelR2 !== undefined && Number.isFinite(change.modelR2) && change.modelR2 < minR2) return `model fit R² ${change.modelR2.toFixed(2)} < ${minR2}: no change on a poor fit`;
  const cooldown = options.cooldownMs ?? 300_000;
  if (change.lastChangedAt !== undefined && change.now - change.lastChangedAt < cooldown) {
    return `changed ${Math.round((change.now - change.lastChangedAt) / 1000)} s ago: cooldown ${Math.round(cooldown / 1000)} s`;
  }
  return undefined;
}

/**
 * The guardrails of removing Sluice's quota to restore the operator's unset one: stale metrics
 * and the cooldown (a removal has no size to bound, and needs no model).
 */
export function guardRemoval(change: Pick<ProposedChange, 'current' | 'lastChangedAt' | 'now' | 'metricsStale' | 'warmingUp'>, options: GuardrailOptions = {}): GuardedChange {
  const why = held(change, options);
  return why === undefined ? { apply: true, value: undefined, reasons: [] } : { apply: false, value: change.current, reasons: [why] };
}

/** Applies every guardrail to one proposed change. */
export function guard(change: ProposedChange, options: GuardrailOptions = {}): GuardedChange {
  const reasons: string[] = [];
  const hold = (why: string): GuardedChange => ({ apply: false, value: change.current, reasons: [...reasons, why] });
  const why = held(change, options);
  if (why !== undefined) return hold(why);
  let value = change.proposed;
  if (change.current !== undefined) {
    const low = change.current * (options.maxDecreaseFactor ?? 0.5);
    const high = change.current * (options.maxIncreaseFactor ?? 1.25);
    if (value < low) {
      reasons.push(`decrease bounded to ×${options.maxDecreaseFactor ?? 0.5} per round (${change.proposed.toFixed(0)} → ${low.toFixed(0)})`);
      value = low;
    } else if (value > high) {
      reasons.push(`increase bounded to ×${options.maxIncreaseFactor ?? 1.25} per round (${change.proposed.toFixed(0)} → ${high.toFixed(0)})`);
      value = high;
    }
  }
  if (value < change.floor) {
    reasons.push(`raised to the group floor ${change.floor.toFixed(0)}`);
    value = change.floor;
  }
  if (!(value >= 1)) {
    reasons.push('a quota is never zero: raised to 1 B/s');
    value = 1;
  }
  value = Math.round(value);
  if (change.current !== undefined && Math.abs(value - change.current) < (options.minChangeFraction ?? 0.1) * change.current) {
    return hold(`change under ${((options.minChangeFraction ?? 0.1) * 100).toFixed(0)}% of ${change.current.toFixed(0)}: skipped`);
  }
  return { apply: true, value, reasons };
}

/**
 * Whether an episode with `changes` applied to a quota has only its last change left, the one
 * kept for taking the quota off (`maxChangesPerEpisode`): no further limit, raise or undo.
 */
export function onlyRemovalLeft(changes: number, maxChanges: number): boolean {
  return changes >= maxChanges - 1;
}

/** Why a change was not made: the episode keeps its last change for taking the quota off. */
export function removalKept(changes: number, maxChanges: number): string {
  return `${changes} change(s) this episode, the last of ${maxChanges} is kept for taking its quota off`;
}
