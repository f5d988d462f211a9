/**
 * Blackout windows: times when no batch of moves may start. Two forms, both in UTC:
 * - `HH:MM-HH:MM`, a daily range (it may wrap past midnight: `22:00-06:00`); the end is excluded;
 * - a five-field cron expression, `minute hour day-of-month month day-of-week` (`*`, `a`, `a-b`,
 *   steps `a-b/n` (or over the whole range) and lists of these; day of week 0-7, 0 and 7 being Sunday): every minute it
 *   matches is blacked out, e.g. `* 9-17 * * 1-5` for office hours on weekdays.
 * When both day fields are restricted, a day matching either is matched, as in cron.
 * Pure: text in, a matcher or an error message out.
 */

/** A parsed window: whether an instant (ms since the epoch) falls in it. */
export interface BlackoutWindow {
  readonly text: string;
  contains(ms: number): boolean;
}

const RANGE = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$/;
const FIELDS: readonly { name: string; min: number; max: number }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];

/** The set of values one cron field allows, or an error message. */
function cronField(text: string, f: { name: string; min: number; max: number }): Set<number> | string {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^(\*|(\d{1,2})(?:-(\d{1,2}))?)(?:\/(\d{1,2}))?$/.exec(item);
    if (m === null) return `${f.name} "${item}": expected *, N, N-M or a step such as */5`;
    const lo = m[1] === '*' ? f.min : Number(m[2]);
    const hi = m[1] === '*' ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? f.max : lo;
    const step = m[4] === undefined ? 1 : Number(m[4]);
    if (lo < f.min || hi > f.max || lo > hi) return `${f.name} "${item}": expected values from ${f.min} to ${f.max}, low before high`;
    if (step < 1) return `${f.name} "${item}": the step must be at least 1`;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parses one window; a string is the error (what was expected). */
export function parseBlackout(text: string): BlackoutWindow | string {
  const trimmed = text.trim();
  const range = RANGE.exec(trimmed);
  if (range !== null) {
    const from = Number(range[1]) * 60 + Number(range[2]);
    const to = Number(range[3]) * 60 + Number(range[4]);
    if (to > 24 * 60) return `"${text}": the end is after 24:00`;
    if (from === to) return `"${text}": the range is empty`;
    return {
      text,
      contains(ms) {
        const d = new Date(ms);
        const minute = d.getUTCHours() * 60 + d.getUTCMinutes();
        return from < to ? minute >= from && minute < to : minute >= from || minute < to;
      },
    };
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 5) return `"${text}": expected HH:MM-HH:MM (UTC) or a cron expression of 5 fields (minute hour day-of-month month day-of-week)`;
  const sets: Set<number>[] = [];
  for (let i = 0; i < 5; i++) {
    const s = cronField(parts[i]!, FIELDS[i]!);
    if (typeof s === 'string') return `"${text}": ${s}`;
    sets.push(s);
  }
  const [minutes, hours, days, months, weekdays] = sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  if (weekdays.has(7)) weekdays.add(0);
  const domAny = parts[2] === '*';
  const dowAny = parts[4] === '*';
  return {
    text,
    contains(ms) {
      const d = new Date(ms);
      if (!minutes.has(d.getUTCMinutes()) || !hours.has(d.getUTCHours()) || !months.has(d.getUTCMonth() + 1)) return false;
      const dom = days.has(d.getUTCDate());
      const dow = weekdays.has(d.getUTCDay());
      return domAny || dowAny ? dom && dow : dom || dow;
    },
  };
}

/** The first window of `windows` containing `ms`, or undefined. Windows that do not parse are skipped (config validation refuses them). */
export function blackoutAt(windows: readonly string[], ms: number): string | undefined {
  for (const text of windows) {
    const w = parseBlackout(text);
    if (typeof w !== 'string' && w.contains(ms)) return text;
  }
  return undefined;
}
