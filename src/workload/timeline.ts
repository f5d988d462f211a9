/**
 * Runs callbacks at moments of run time. Delays are computed from the run's start on a monotonic
 * clock, not chained from one another, so late timers never push later events back.
 */

/** One scheduled callback: at `atMs` of wall run time. */
export interface TimelineEvent {
  readonly atMs: number;
  readonly run: () => void;
}

/** A set of events fired once each, in time order, until cancelled. */
export class Timeline {
  readonly #events: TimelineEvent[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #cancelled = false;

  /** Adds an event; call before `start`. */
  at(atMs: number, run: () => void): this {
    this.#events.push({ atMs, run });
    return this;
  }

  /** Schedules every event relative to `startedAt` on the clock `now` (ms). */
  start(startedAt: number, now: () => number): void {
    const events = [...this.#events].sort((a, b) => a.atMs - b.atMs);
    for (const event of events) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (!this.#cancelled) event.run();
      }, Math.max(0, event.atMs - (now() - startedAt)));
      this.#timers.add(timer);
    }
  }

  /** Drops every event not yet fired. */
  cancel(): void {
    this.#cancelled = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
