/**
 * The scripted alert conditions of the restart test (test/notify/restart-kill.test.ts), shared by
 * the test and the service process it kills: from a seed, when each of six alerts fires, and a
 * `Querier` that shows exactly that as the series `chaos_up`, so the real rules engine finds
 * each alert firing or resolved at the times the test can check against.
 */
import type { Matcher, Querier, SeriesData } from '../../src/store/types.ts';
import { mulberry32 } from '../helpers/random.ts';

/** The alerts: `alert` a0…a5, in two teams (the aggregation groups). */
export const ALERTS = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'].map((alert, i) => ({ alert, team: i % 2 === 0 ? 'red' : 'blue' }));

/** A small seeded generator: the same seed gives the same timeline and kills. */
export const random = mulberry32;

/** Per alert, the [start, end) times (ms after the epoch) it fires, for 5 minutes from `t0`. */
export type Timeline = ReadonlyMap<string, readonly (readonly [number, number])[]>;

/** The timeline of `seed`: each alert off for 1.5–7 s, then on for 2–9 s, and so on. */
export function timeline(seed: number, t0: number): Timeline {
  const next = random(seed);
  const out = new Map<string, [number, number][]>();
  for (const { alert } of ALERTS) {
    const windows: [number, number][] = [];
    let t = t0 + 1500 + next() * 5500;
    while (t < t0 + 300_000) {
      const end = t + 2000 + next() * 7000;
      windows.push([Math.round(t), Math.round(end)]);
      t = end + 1500 + next() * 5500;
    }
    out.set(alert, windows);
  }
  return out;
}

/** Whether `alert` fires at `t`; nothing fires from `offAfter` on. */
export function firingAt(tl: Timeline, alert: string, t: number, offAfter = Number.POSITIVE_INFINITY): boolean {
  if (t >= offAfter) return false;
  return (tl.get(alert) ?? []).some(([start, end]) => start <= t && t < end);
}

/** Shows the timeline as the series `chaos_up{cluster, alert, team}`: 1 while firing, 0 otherwise, one sample at the query's end. */
export function timelineQuerier(tl: Timeline, offAfter: number): Querier {
  return {
    select: async (matchers: readonly Matcher[], _from: number, to: number): Promise<SeriesData[]> => {
      const name = matchers.find((m) => m.name === '__name__');
      if (name === undefined || name.type !== '=' || name.value !== 'chaos_up') return [];
      return ALERTS.map(({ alert, team }) => ({
        metric: 'chaos_up',
        labels: { alert, cluster: 'c1', team },
        ts: Float64Array.of(to),
        values: Float64Array.of(firingAt(tl, alert, to, offAfter) ? 1 : 0),
      }));
    },
  };
}
