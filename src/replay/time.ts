/**
 * Times on the command line and in the API: an ISO 8601 time (`2026-12-01T10:00:00Z`), Unix
 * seconds (`1764583200`), `now` or `now-2h`, and, where a base time exists (a fixture's start),
 * an offset from it (`+10m`).
 */
import { SluiceError } from '../errors.ts';
import { parseDuration } from '../duration.ts';

/** Reads `text` for flag `flag`; `base` is what `+DURATION` counts from. */
export function parseTimeArg(text: string, flag: string, options: { now?: number; base?: number } = {}): number {
  const t = text.trim();
  const now = options.now ?? Date.now();
  const rel = /^(now|\+)(?:([+-])?(.+))?$/.exec(t);
  if (rel !== null) {
    const base = rel[1] === 'now' ? now : options.base;
    if (base === undefined) throw bad(flag, text, 'an offset needs a base time; give an ISO 8601 time');
    if (rel[3] === undefined) {
      if (rel[1] === '+') throw bad(flag, text);
      return base;
    }
    const ms = parseDuration(rel[3]);
    if (ms === undefined) throw bad(flag, text);
    const sign = rel[1] === '+' ? 1 : rel[2] === '-' ? -1 : rel[2] === '+' ? 1 : NaN;
    if (Number.isNaN(sign)) throw bad(flag, text);
    return base + sign * ms;
  }
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  if (/^\d{4}-\d\d-\d\d(T|$)/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw bad(flag, text);
}

function bad(flag: string, text: string, why = 'expected an ISO 8601 time (2026-12-01T10:00:00Z), Unix seconds, now, now-2h or +10m'): SluiceError {
  return new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `${flag}: ${JSON.stringify(text)}: ${why}`);
}
