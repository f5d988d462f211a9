/**
 * Durations in Prometheus syntax (`1h30m`, `5m`, `30s`, `250ms`, `0`): units from largest to
 * smallest, each at most once, as Alertmanager's configuration takes them.
 * https://prometheus.io/docs/prometheus/latest/configuration/configuration/#duration
 */

const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** Milliseconds of a Prometheus duration, or undefined when `text` is not one. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = match[i + 1];
    if (part !== undefined) ms += Number(part) * UNIT_MS[i]!;
  }
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** A duration written back in Prometheus syntax, largest units first (`1h30m`); `0s` for zero. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  let rest = ms;
  let out = '';
  for (let i = 0; i < UNIT_MS.length; i++) {
    const n = Math.floor(rest / UNIT_MS[i]!);
    if (n > 0) {
      out += `${n}${units[i]}`;
      rest -= n * UNIT_MS[i]!;
    }
  }
  return out;
}
