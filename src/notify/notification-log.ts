/**
 * The notification log, pure: what each integration of each aggregation group was last sent,
 * and Alertmanager's rule for whether a group needs a new notification (its dedup stage):
 * new firing alerts always do; newly resolved ones (listed firing last time) do when resolved
 * alerts are sent; a group whose alerts all resolved does once; an unchanged firing group does
 * every repeat_interval.
 * https://github.com/prometheus/alertmanager/blob/main/notify/notify.go (DedupStage)
 */

/** What one integration of one group was last notified of. */
export interface LogEntry {
  readonly groupKey: string;
  readonly receiver: string;
  readonly integrationIndex: number;
  /** Fingerprints, sorted. */
  readonly firing: readonly string[];
  readonly resolved: readonly string[];
  /** Ms since the epoch. */
  readonly sentAt: number;
}

/** The key of a log entry in a map. */
export function logKey(groupKey: string, receiver: string, integrationIndex: number): string {
  return `${receiver}\u0000${integrationIndex}\u0000${groupKey}`;
}

/** What the dedup decision looks at. */
export interface DedupInput {
  readonly previous: LogEntry | undefined;
  readonly firing: readonly string[];
  readonly resolved: readonly string[];
  readonly sendResolved: boolean;
  readonly repeatInterval: number;
  readonly now: number;
}

/**
 * True when a notification is due. Unlike Alertmanager, which needs strictly more than
 * repeat_interval, an unchanged group is repeated once repeat_interval has fully passed, so a
 * repeat falls on the group_interval tick that reaches it. Also unlike Alertmanager, a resolved
 * alert is news only when the last notification listed it firing: the rules engine resends
 * resolved alerts for 15 minutes, and one resent after a later notification (which no longer
 * listed it) would otherwise announce its resolution a second time; one that fired and resolved
 * between two notifications is not announced as resolved to people never told it fired.
 */
export function needsUpdate(input: DedupInput): boolean {
  const { previous, firing, resolved } = input;
  if (previous === undefined) return firing.length > 0;
  if (!isSubset(firing, previous.firing)) return true;
  if (firing.length === 0) return previous.firing.length > 0;
  if (input.sendResolved && resolved.some((fp) => previous.firing.includes(fp))) return true;
  return input.now - previous.sentAt >= input.repeatInterval;
}

function isSubset(items: readonly string[], of: readonly string[]): boolean {
  const set = new Set(of);
  return items.every((item) => set.has(item));
}

/**
 * How long from `now` until the next tick of a group that last notified at `last` and ticks
 * every `interval` (0 when `now` is a tick): a restarted group keeps the rhythm it had.
 */
export function nextTickIn(last: number, interval: number, now: number): number {
  if (now <= last) return last - now + interval;
  return last + Math.ceil((now - last) / interval) * interval - now;
}
