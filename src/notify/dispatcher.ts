/**
 * The dispatcher: holds the current alerts, sorts them into aggregation groups along the
 * routing tree and decides, on the Clock, when each group notifies its receiver: group_wait
 * after the group appears, then every group_interval when something changed, and every
 * repeat_interval while it keeps firing unchanged. Silenced and inhibited alerts are left out
 * of notifications (and counted). What is due is handed to `deliver` (the outbox), which must
 * store it durably, together with the notification log entries it stands for.
 *
 * Restarts: the held alerts and the log are stored, and `restore` gives them back before any
 * alert comes in. Restored groups stay still until `release` (the alert source has resent what
 * it holds, so an alert whose `endsAt` ran out while the process was down is not taken for
 * resolved), then keep the rhythm they had: the next flush falls on their group_interval tick
 * counted from their last notification, not group_wait after the restart.
 * https://prometheus.io/docs/alerting/latest/alertmanager/#grouping
 */
import type { Clock, ClockTimer } from '../clock.ts';
import type { ReceiverConfig } from './config.ts';
import { inhibited, type InhibitRule } from './inhibit.ts';
import { integrationsOf, type IntegrationKind } from './integrations.ts';
import { sortAlerts, toHeld, type HeldAlert } from './held-alerts.ts';
import { sortLabels } from './labels.ts';
import { logKey, needsUpdate, nextTickIn, type LogEntry } from './notification-log.ts';
import { groupKey, groupLabels, matchRoutes, type Route } from './route.ts';
import type { Labels, NotifiedAlert, Notification, OutgoingAlert } from './types.ts';

export type { HeldAlert } from './held-alerts.ts';

/** One notification due for one integration, with the log entry to record once it is stored. */
export interface Delivery {
  readonly receiver: string;
  readonly integration: IntegrationKind;
  readonly integrationIndex: number;
  readonly groupKey: string;
  readonly notification: Notification;
  readonly entry: LogEntry;
}

/** An alert with what currently mutes it, for the API. */
export interface AlertView extends HeldAlert {
  readonly status: 'firing' | 'resolved';
  /** True when a silence or an inhibition keeps it out of notifications. */
  readonly muted: boolean;
  readonly silencedBy: readonly string[];
  /** Fingerprints of the alerts inhibiting it. */
  readonly inhibitedBy: readonly string[];
  readonly receivers: readonly string[];
}

/** What the dispatcher needs. */
export interface DispatcherOptions {
  readonly route: Route;
  readonly receivers: readonly ReceiverConfig[];
  readonly inhibitRules: readonly InhibitRule[];
  readonly clock: Clock;
  readonly externalURL: string;
  /** Ids of the silences muting `labels` now. */
  readonly silencedBy: (labels: Labels, now: number) => string[];
  /**
   * Stores notifications durably (the outbox) along with their log entries, and the entries of
   * integrations that were due but had nothing to list (`quiet`), in one transaction; rejects
   * when it could not.
   */
  readonly deliver: (deliveries: readonly Delivery[], quiet: readonly LogEntry[]) => Promise<void>;
  /** Called once alerts left the dispatcher (their resolution was notified at `at`), to forget them durably too. */
  readonly onDropped?: (fingerprints: readonly string[], at: number) => void;
  /** Called when a flush leaves alerts out: how many, and why. */
  readonly onMuted?: (reason: 'silenced' | 'inhibited', count: number) => void;
  /** Called when `deliver` rejects; the group tries again at its next group_interval. */
  readonly onDeliverError?: (err: unknown, deliveries: readonly Delivery[]) => void;
}

interface Group {
  readonly slot: string;
  readonly key: string;
  readonly route: Route;
  readonly labels: Labels;
  readonly fingerprints: Set<string>;
  timer: ClockTimer | undefined;
  /** Restored at start and not scheduled yet: waits for `release`. */
  held: boolean;
}

/** Aggregation groups and their timers. */
export class Dispatcher {
  private readonly held = new Map<string, HeldAlert>();
  private readonly groups = new Map<string, Group>();
  private readonly log = new Map<string, LogEntry>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly receivers: Map<string, ReceiverConfig>;
  private stopped = false;
  /** Until `release`: groups restored at start do not flush. */
  private holding = false;
  /** Bumped whenever the held alerts change. */
  private version = 0;
  private inhibitCache: { now: number; version: number; map: Map<string, string> } | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.receivers = new Map(options.receivers.map((r) => [r.name, r]));
  }

  /** Restores the notification log (e.g. read from the database at start). */
  restoreLog(entries: readonly LogEntry[]): void {
    for (const e of entries) this.log.set(logKey(e.groupKey, e.receiver, e.integrationIndex), e);
  }

  /**
   * Restores the alerts held before a restart (with the log, before any alert comes in): they
   * rejoin their groups, which wait for `release` before they flush.
   */
  restore(alerts: readonly HeldAlert[]): void {
    if (this.stopped) return;
    this.holding = true;
    const now = this.options.clock.now();
    for (const held of alerts) this.hold(held, now, true);
  }

  /**
   * Lets the restored groups flush again, each on its next group_interval tick counted from its
   * last notification (at once when that tick has passed), or after its group_wait when it never
   * notified.
   */
  release(): void {
    if (this.stopped || !this.holding) return;
    this.holding = false;
    const now = this.options.clock.now();
    for (const group of this.groups.values()) {
      if (!group.held) continue;
      group.held = false;
      const last = this.lastNotified(group);
      this.schedule(group, last === undefined ? this.firstWait(group, now) : nextTickIn(last, group.route.groupInterval, now));
    }
  }

  /** Takes in alerts: each replaces the held alert with the same fingerprint and joins its groups. */
  ingest(alerts: readonly OutgoingAlert[]): void {
    const now = this.options.clock.now();
    this.ingestHeld(alerts.map((a) => toHeld(a, now)));
  }

  /** As `ingest`, for alerts already normalised with `toHeld`. */
  ingestHeld(alerts: readonly HeldAlert[]): void {
    if (this.stopped) return;
    const now = this.options.clock.now();
    for (const held of alerts) this.hold(held, now, false);
  }

  private hold(held: HeldAlert, now: number, restored: boolean): void {
    this.held.set(held.fingerprint, held);
    this.version++;
    for (const route of matchRoutes(this.options.route, held.labels)) {
      const labels = groupLabels(route, held.labels);
      const key = groupKey(route, labels);
      // Keyed by route id too: sibling routes with equal matchers share a group key, not groups.
      const slot = `${route.id}\u0000${key}`;
      let group = this.groups.get(slot);
      const created = group === undefined;
      if (group === undefined) {
        group = { slot, key, route, labels, fingerprints: new Set(), timer: undefined, held: restored };
        this.groups.set(slot, group);
      }
      group.fingerprints.add(held.fingerprint);
      if (created && !restored) this.schedule(group, this.firstWait(group, now));
    }
  }

  /** As Alertmanager: a new group waits group_wait, unless an alert in it started more than group_wait ago. */
  private firstWait(group: Group, now: number): number {
    for (const fp of group.fingerprints) {
      const started = Date.parse(this.held.get(fp)?.startsAt ?? '');
      if (Number.isFinite(started) && started + group.route.groupWait < now) return 0;
    }
    return group.route.groupWait;
  }

  /** When any integration of the group's receiver was last notified (or found nothing to list). */
  private lastNotified(group: Group): number | undefined {
    const receiver = this.receivers.get(group.route.receiver);
    let last: number | undefined;
    for (const integration of receiver === undefined ? [] : integrationsOf(receiver)) {
      const entry = this.log.get(logKey(group.key, group.route.receiver, integration.index));
      if (entry !== undefined && (last === undefined || entry.sentAt > last)) last = entry.sentAt;
    }
    return last;
  }

  /** The held alerts with their mute state at the clock's now, sorted by labels. */
  alerts(): AlertView[] {
    const now = this.options.clock.now();
    const held = [...this.held.values()];
    const inhibitors = this.inhibitorsAt(now);
    const receivers = new Map<string, Set<string>>();
    for (const group of this.groups.values()) {
      for (const fp of group.fingerprints) {
        const set = receivers.get(fp) ?? new Set<string>();
        set.add(group.route.receiver);
        receivers.set(fp, set);
      }
    }
    return sortAlerts(held).map((a) => {
      const silencedBy = this.options.silencedBy(a.labels, now);
      const inhibitedBy = inhibitors.has(a.fingerprint) ? [inhibitors.get(a.fingerprint)!] : [];
      return {
        ...a,
        status: a.endsAtMs <= now ? 'resolved' : 'firing',
        muted: silencedBy.length > 0 || inhibitedBy.length > 0,
        silencedBy,
        inhibitedBy,
        receivers: [...(receivers.get(a.fingerprint) ?? [])].sort(),
      };
    });
  }

  /** How many aggregation groups exist. */
  get groupCount(): number {
    return this.groups.size;
  }

  /** How many notification log entries are held. */
  get logSize(): number {
    return this.log.size;
  }

  /** Resolves once every delivery started so far has settled. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Cancels every timer; no group flushes afterwards. */
  stop(): void {
    this.stopped = true;
    for (const group of this.groups.values()) group.timer?.cancel();
  }

  private schedule(group: Group, ms: number): void {
    group.timer?.cancel();
    group.timer = this.options.clock.setTimeout(() => this.flush(group), ms);
  }

  /**
   * Which held alerts are inhibited at `now`. Groups often flush at the same instant, so the
   * answer is kept until the time or the held alerts change.
   */
  private inhibitorsAt(now: number): Map<string, string> {
    if (this.inhibitCache?.now !== now || this.inhibitCache.version !== this.version) {
      const candidates = [...this.held.values()].map((a) => ({ fingerprint: a.fingerprint, labels: a.labels, firing: a.endsAtMs > now }));
      this.inhibitCache = { now, version: this.version, map: this.options.inhibitRules.length === 0 ? new Map() : inhibited(this.options.inhibitRules, candidates) };
    }
    return this.inhibitCache.map;
  }

  /** One tick of a group: decide per integration, hand over what is due, drop what resolved. */
  private flush(group: Group): void {
    if (this.stopped || group.held) return;
    const now = this.options.clock.now();
    const members = sortAlerts([...group.fingerprints].map((fp) => this.held.get(fp)).filter((a): a is HeldAlert => a !== undefined));
    const inhibitors = this.inhibitorsAt(now);
    let silenced = 0;
    let inhibitedCount = 0;
    const shown = members.filter((a) => {
      if (this.options.silencedBy(a.labels, now).length > 0) silenced++;
      else if (inhibitors.has(a.fingerprint)) inhibitedCount++;
      else return true;
      return false;
    });
    if (silenced > 0) this.options.onMuted?.('silenced', silenced);
    if (inhibitedCount > 0) this.options.onMuted?.('inhibited', inhibitedCount);
    const firing = shown.filter((a) => a.endsAtMs > now);
    const resolved = shown.filter((a) => a.endsAtMs <= now);
    const firingFps = firing.map((a) => a.fingerprint).sort();
    const resolvedFps = resolved.map((a) => a.fingerprint).sort();
    const receiver = this.receivers.get(group.route.receiver);
    const deliveries: Delivery[] = [];
    const quiet: LogEntry[] = [];
    for (const integration of receiver === undefined ? [] : integrationsOf(receiver)) {
      const key = logKey(group.key, group.route.receiver, integration.index);
      // An Alertmanager resolves what it stops hearing about, so forwarding skips deduplication:
      // every flush re-sends the group's alerts (resolved ones once, as they are dropped after it).
      const forward = integration.kind === 'alertmanager';
      const due = forward ? shown.length > 0 : needsUpdate({ previous: this.log.get(key), firing: firingFps, resolved: resolvedFps, sendResolved: integration.sendResolved, repeatInterval: group.route.repeatInterval, now });
      if (!due) continue;
      const entry: LogEntry = { groupKey: group.key, receiver: group.route.receiver, integrationIndex: integration.index, firing: firingFps, resolved: resolvedFps, sentAt: now };
      const listed = integration.sendResolved ? [...firing, ...resolved] : firing;
      if (listed.length === 0) {
        quiet.push(entry);
        continue;
      }
      // Forwarded firing alerts stay valid until two group_intervals on, when the next flush has refreshed them.
      const notification = this.notification(group, listed, now, forward ? now + 2 * group.route.groupInterval : undefined);
      deliveries.push({ receiver: group.route.receiver, integration: integration.kind, integrationIndex: integration.index, groupKey: group.key, notification, entry });
    }
    const resolvedAtFlush = new Map(members.filter((a) => a.endsAtMs <= now).map((a) => [a.fingerprint, a]));
    if (deliveries.length === 0 && quiet.length === 0) {
      this.dropResolved(group, resolvedAtFlush, now);
    } else {
      // The log records the decision at once, so a flush that comes before the outbox write is
      // done (a virtual clock moved far in one step) does not send the same thing again; a
      // failed write puts the previous entries back, and the next flush tries again. Quiet
      // entries are stored too: a restart must know the group was found resolved.
      const previous = [...deliveries.map((d) => d.entry), ...quiet].map((entry) => {
        const key = logKey(entry.groupKey, entry.receiver, entry.integrationIndex);
        const before = this.log.get(key);
        this.log.set(key, entry);
        return { key, before, entry };
      });
      const stored = (): void => this.dropResolved(group, resolvedAtFlush, now);
      const failed = (err: unknown): void => {
        for (const p of previous) {
          if (this.log.get(p.key) !== p.entry) continue;
          if (p.before === undefined) this.log.delete(p.key);
          else this.log.set(p.key, p.before);
        }
        this.options.onDeliverError?.(err, deliveries);
      };
      this.track(this.options.deliver(deliveries, quiet).then(stored, failed));
    }
    if (this.groups.get(group.slot) === group) this.schedule(group, group.route.groupInterval);
  }

  /** Removes alerts notified as resolved (unless they fire again since), and the group once empty. */
  private dropResolved(group: Group, resolved: ReadonlyMap<string, HeldAlert>, at: number): void {
    const dropped: string[] = [];
    for (const fp of resolved.keys()) {
      const current = this.held.get(fp);
      if (current !== undefined && current.endsAtMs > at) continue; // fires again: keep it
      group.fingerprints.delete(fp);
      if (![...this.groups.values()].some((g) => g.fingerprints.has(fp))) {
        this.held.delete(fp);
        this.version++;
        dropped.push(fp);
      }
    }
    if (dropped.length > 0) this.options.onDropped?.(dropped, at);
    if (group.fingerprints.size === 0 && this.groups.get(group.slot) === group) {
      group.timer?.cancel();
      this.groups.delete(group.slot);
      // An entry listing no firing alert decides exactly as a missing one: drop it, so memory
      // follows the live groups. (The database copy ages out with the outbox's retention.)
      const receiver = this.receivers.get(group.route.receiver);
      for (const integration of receiver === undefined ? [] : integrationsOf(receiver)) {
        const key = logKey(group.key, group.route.receiver, integration.index);
        if (this.log.get(key)?.firing.length === 0) this.log.delete(key);
      }
    }
  }

  private notification(group: Group, alerts: readonly HeldAlert[], now: number, validUntil?: number): Notification {
    const listed: NotifiedAlert[] = alerts.map((a) => ({
      status: a.endsAtMs <= now ? 'resolved' : 'firing',
      labels: sortLabels(a.labels),
      annotations: sortLabels(a.annotations),
      startsAt: a.startsAt,
      endsAt: validUntil !== undefined && a.endsAtMs > now && a.endsAtMs < validUntil ? new Date(validUntil).toISOString() : a.endsAt,
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    }));
    return {
      receiver: group.route.receiver,
      groupKey: group.key,
      status: listed.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
      groupLabels: group.labels,
      alerts: listed,
      externalURL: this.options.externalURL,
    };
  }

  private track(promise: Promise<void>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }
}
