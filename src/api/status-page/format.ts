/**
 * How the status page writes numbers and times: rates in binary units, counts with thousands
 * separators, durations in the largest units that fit, times with their date and UTC offset.
 * Pure; the server renders every page with these, so a page reads the same with or without
 * JavaScript.
 */

/** A time with its date and UTC offset, in UTC: `2026-01-15 11:00:00 +00:00`. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +00:00`;
}

/** Bytes per second for people: `1.2 MiB/s`; null is `unset` (a quota that is not set). */
export function formatRate(bytesPerSec: number | null): string {
  if (bytesPerSec === null) return 'unset';
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let value = bytesPerSec;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 || unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** A count with thousands separators: `1,234,567`; null is `n/a`. */
export function formatCount(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return 'n/a';
  const whole = Math.round(n);
  const digits = String(Math.abs(whole)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return whole < 0 ? `-${digits}` : digits;
}

/** A fraction as a whole percentage: `20%`; null is `n/a`. */
export function formatPercent(x: number | null): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : `${Math.round(x * 100)}%`;
}

/**
 * A duration in seconds: `12.5 s` under a minute, `4 min 05 s` under an hour, `2 h 05 min` under
 * a day, `3 d 04 h` beyond; null is `n/a`.
 */
export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return 'n/a';
  const tenths = Math.round(s * 10) / 10;
  if (tenths < 60) return `${tenths.toFixed(1)} s`;
  const total = Math.round(s);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (total < 3600) return `${Math.floor(total / 60)} min ${pad(total % 60)} s`;
  if (total < 86_400) return `${Math.floor(total / 3600)} h ${pad(Math.floor((total % 3600) / 60))} min`;
  return `${Math.floor(total / 86_400)} d ${pad(Math.floor((total % 86_400) / 3600))} h`;
}

/** A window length: `5 min`, `90 s`, `2 h`. */
export function formatWindow(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
