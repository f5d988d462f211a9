/**
 * Whether Sluice and Prometheus answered a query the same, so that the timings compare the same
 * work: the same series (label sets exactly), the same sample times, and values equal within a
 * relative 1e-6 (NaN equals NaN), as Prometheus's own tests compare. Pure: JSON text in.
 */

/** One answer, series by label set. */
export interface Answer {
  readonly resultType: string;
  /** Label set key → [time s, value] pairs. */
  readonly series: ReadonlyMap<string, readonly (readonly [number, number])[]>;
}

interface ApiBody {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] };
}

/** A label set's key: its pairs in name order. */
function keyOf(metric: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(metric).sort().map((k) => [k, metric[k]]));
}

/** Parses a Prometheus API answer; throws when it is an error. */
export function parseAnswer(text: string): Answer {
  const body = JSON.parse(text) as ApiBody;
  if (body.status !== 'success' || body.data === undefined) throw new Error(`query failed: ${body.error ?? text.slice(0, 300)}`);
  const series = new Map<string, [number, number][]>();
  for (const r of body.data.result) {
    const points = r.values ?? (r.value === undefined ? [] : [r.value]);
    series.set(keyOf(r.metric), points.map(([t, v]) => [t, Number(v)]));
  }
  return { resultType: body.data.resultType, series };
}

/** What the comparison found. */
export interface Agreement {
  readonly ok: boolean;
  readonly series: number;
  readonly points: number;
  /** The first difference, when there is one. */
  readonly detail: string;
}

function close(a: number, b: number, rel: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));
}

/** Compares every series and point of two answers. */
export function compareAnswers(sluice: Answer, prometheus: Answer, rel = 1e-6): Agreement {
  let points = 0;
  const fail = (detail: string): Agreement => ({ ok: false, series: prometheus.series.size, points, detail });
  if (sluice.resultType !== prometheus.resultType) return fail(`result type ${sluice.resultType} vs ${prometheus.resultType}`);
  if (sluice.series.size !== prometheus.series.size) return fail(`${sluice.series.size} series vs ${prometheus.series.size}`);
  for (const [key, p] of prometheus.series) {
    const s = sluice.series.get(key);
    if (s === undefined) return fail(`series ${key} only in Prometheus's answer`);
    if (s.length !== p.length) return fail(`series ${key}: ${s.length} points vs ${p.length}`);
    for (let i = 0; i < p.length; i++) {
      const [st, sv] = s[i]!;
      const [pt, pv] = p[i]!;
      if (st !== pt) return fail(`series ${key} point ${i}: time ${st} vs ${pt}`);
      if (!close(sv, pv, rel)) return fail(`series ${key} at ${pt}: ${sv} vs ${pv}`);
      points++;
    }
  }
  if (prometheus.series.size === 0) return { ok: false, series: 0, points: 0, detail: 'both answers are empty: nothing compared' };
  return { ok: true, series: prometheus.series.size, points, detail: '' };
}

/** The median of some numbers. */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
