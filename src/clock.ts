/**
 * The `Clock` seam: what time it is and when to run something later. The live service uses the
 * wall clock; replay and tests use a `VirtualClock` that only moves when told to, so that rule
 * evaluation, alert `for` durations and notification grouping run the same code either way.
 *
 * Contract: `now()` never goes backwards on one clock; a timer never fires before its time; a
 * cancelled timer never fires. Timers of the wall clock do not keep the process alive.
 */

/** A scheduled callback that can be cancelled. */
export interface ClockTimer {
  cancel(): void;
}

/** Time and timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once, `ms` from now (at least 0). */
  setTimeout(fn: () => void, ms: number): ClockTimer;
}

/** The real clock: Date.now and unref'd Node timers. */
export const wallClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only by `advance`/`advanceTo`, firing due timers in time order (ties in the
 * order they were set). Callbacks run synchronously inside `advance`; a timer set by a callback
 * for a time inside the advanced span fires within the same call.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly pending: Pending[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const entry: Pending = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.pending.push(entry);
    return { cancel: () => { entry.cancelled = true; } };
  }

  /** Timers not yet fired nor cancelled. */
  get timers(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }

  /** Time of the next live timer, or undefined. */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const p of this.pending) if (!p.cancelled && (next === undefined || p.at < next)) next = p.at;
    return next;
  }

  /** Moves `ms` forward, firing what falls due. */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  /** Moves to `timeMs` (never backwards), firing what falls due on the way, in order. */
  advanceTo(timeMs: number): void {
    if (timeMs < this.current) throw new RangeError(`the virtual clock cannot go back from ${this.current} to ${timeMs}`);
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.pending.length; i++) {
        const p = this.pending[i]!;
        if (p.cancelled || p.at > timeMs) continue;
        if (best < 0 || p.at < this.pending[best]!.at || (p.at === this.pending[best]!.at && p.seq < this.pending[best]!.seq)) best = i;
      }
      if (best < 0) break;
      const [due] = this.pending.splice(best, 1);
      this.current = Math.max(this.current, due!.at);
      due!.fn();
    }
    for (let i = this.pending.length - 1; i >= 0; i--) if (this.pending[i]!.cancelled) this.pending.splice(i, 1);
    this.current = timeMs;
  }
}
