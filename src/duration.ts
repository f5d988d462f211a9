/**
 * Durations, the way every part of Sluice reads and writes them. Two syntaxes, each exactly as
 * the files that use it have always been read:
 *
 * - Prometheus's (`parseDuration`, `formatDuration`): rule files, PromQL, the notification
 *   config (Alertmanager's), promtool test files, replay times and fixtures. Whole numbers of
 *   y, w, d, h, m, s, ms, largest unit first and each at most once (`1h30m`, `5m`, `0`).
 *   https://prometheus.io/docs/prometheus/latest/querying/basics/#float-literals-and-time-durations
 * - the simple one (`parseSimpleDuration`, `formatShortDuration`): workload scenario files and
 *   `sluice workload --duration`. One number, decimals allowed, with one unit of ms, s, m, h, d
 *   (`500ms`, `1.5s`, `2h`), or a bare number of seconds.
 *
 * Pure: text in, milliseconds (or undefined) out.
 */

const PROM_DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const PROM_UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];
const PROM_UNIT_NAMES = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];

/** The length in ms of a Prometheus duration such as `1h30m`, undefined when `text` is not one. */
export function parseDuration(text: string): number | undefined {
  if (text === '' || text === '0') return text === '0' ? 0 : undefined;
  const match = PROM_DURATION.exec(text);
  if (match === null) return undefined;
  let ms = 0;
  for (let i = 0; i < PROM_UNIT_MS.length; i++) {
    const part = match[i + 1];
    if (part !== undefined) ms += Number(part) * PROM_UNIT_MS[i]!;
  }
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** A duration in ms as Prometheus prints it, largest units first (`90000` → `1m30s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.abs(ms);
  let out = ms < 0 ? '-' : '';
  for (let i = 0; i < PROM_UNIT_MS.length; i++) {
    const n = Math.floor(rest / PROM_UNIT_MS[i]!);
    if (n > 0) {
      out += `${n}${PROM_UNIT_NAMES[i]}`;
      rest -= n * PROM_UNIT_MS[i]!;
    }
  }
  return out;
}

const SIMPLE_DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const SIMPLE_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What a simple duration must look like, for messages; `positive` when 0 is not allowed. */
export function simpleDurationRule(positive = false): string {
  return `expected a ${positive ? 'positive ' : ''}duration such as 500ms, 30s, 5m or 2h, or a number of seconds`;
}

/** Reads a simple duration (`500ms`, `1.5s`, `30`) into ms; undefined when `value` is not one (or is negative). */
export function parseSimpleDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000;
  const match = SIMPLE_DURATION.exec(text);
  if (match === null) return undefined;
  return Number(match[1]) * (SIMPLE_UNIT_MS[match[2] as string] as number);
}

/** Writes ms the short way a person reads them: `750ms`, `42s`, `1m30s`, `2h`. */
export function formatShortDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const parts = [hours > 0 ? `${hours}h` : '', minutes > 0 ? `${minutes}m` : '', seconds > 0 ? `${seconds}s` : ''];
  return parts.join('') || '0s';
}
