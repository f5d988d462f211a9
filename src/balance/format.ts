/** How the balancing planner writes amounts for people: bytes, rates, counts and durations. */
import type { Resource } from './model.ts';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes with a binary unit and one decimal: `1.5 GiB`, `512 B`. */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

/** A resource's amount as it reads: rates with `/s`, counts bare. */
export function formatAmount(r: Resource, n: number): string {
  if (r === 'leaders' || r === 'replicas') return String(Math.round(n * 100) / 100);
  return r === 'disk' ? formatBytes(n) : `${formatBytes(n)}/s`;
}

/** Seconds as `45s`, `12m30s`, `2h5m`. */
export function formatSeconds(s: number): string {
  const t = Math.ceil(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${t % 60 === 0 ? '' : `${t % 60}s`}`;
  const m = Math.floor((t % 3600) / 60);
  return `${Math.floor(t / 3600)}h${m === 0 ? '' : `${m}m`}`;
}
