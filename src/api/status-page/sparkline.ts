/**
 * The status page's sparklines, drawn on the server as inline SVG with their scale written out:
 * the line spans the lowest to the highest value in the frame, both labelled beside it on faint
 * rules, and the frame's start and end (date, time and UTC offset) under it. Pure: points in,
 * HTML out; every label is escaped.
 */
import { formatTime } from './format.ts';
import { text } from './html.ts';
import type { Point } from './model.ts';

/** How to draw one sparkline. */
export interface SparkOptions {
  /** What it shows, for its accessible name: `broker 0 utilization`. Plain text. */
  readonly label: string;
  /** The frame's start and end, ms. */
  readonly from: number;
  readonly to: number;
  /** How the extremes are written. */
  readonly format: (value: number) => string;
  /** Points further apart than this (ms) are not joined; default: all are. */
  readonly gapMs?: number;
}

const WIDTH = 200;
const HEIGHT = 40;
/** Room above the highest and below the lowest value, in viewBox units. */
const INSET = 3;

function num(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** The points' unbroken runs: a gap longer than `gapMs` or a value that is not finite ends one. */
function runs(points: readonly Point[], gapMs: number): Point[][] {
  const out: Point[][] = [];
  let run: Point[] = [];
  let last = -Infinity;
  for (const p of points) {
    if (!Number.isFinite(p[1]) || p[0] - last > gapMs) {
      if (run.length > 0) out.push(run);
      run = [];
    }
    if (Number.isFinite(p[1])) run.push(p);
    last = p[0];
  }
  if (run.length > 0) out.push(run);
  return out;
}

/** A sparkline of `points` over the frame, as a `<figure>`. */
export function sparkline(points: readonly Point[], options: SparkOptions): string {
  const { from, to, format } = options;
  let lo = Infinity;
  let hi = -Infinity;
  for (const [t, v] of points) {
    if (t < from || t > to || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const times = `<figcaption><time class="spark-from" datetime="${new Date(from).toISOString()}">${formatTime(from)}</time>`
    + `<time class="spark-to" datetime="${new Date(to).toISOString()}">${formatTime(to)}</time></figcaption>`;
  if (lo > hi) {
    const label = text(`${options.label}: no data from ${formatTime(from)} to ${formatTime(to)}`);
    return `<figure class="spark"><div class="spark-body"><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" role="img" aria-label="${label}"></svg>`
      + `<span class="spark-empty">no data</span></div>${times}</figure>`;
  }
  const x = (t: number) => (to === from ? WIDTH : ((t - from) / (to - from)) * WIDTH);
  // A flat line is drawn across the middle.
  const y = (v: number) => (hi === lo ? HEIGHT / 2 : HEIGHT - INSET - ((v - lo) / (hi - lo)) * (HEIGHT - 2 * INSET));
  const lines: string[] = [];
  for (const run of runs(points.filter(([t]) => t >= from && t <= to), options.gapMs ?? Infinity)) {
    // A lone point is a short dash: a circle would be stretched with the line's aspect ratio.
    const coords = run.length === 1 ? [[x(run[0]![0]) - 1, y(run[0]![1])], [x(run[0]![0]) + 1, y(run[0]![1])]] : run.map(([t, v]) => [x(t), y(v)]);
    lines.push(`<polyline vector-effect="non-scaling-stroke" points="${coords.map(([a, b]) => `${num(a!)},${num(b!)}`).join(' ')}"/>`);
  }
  const max = format(hi);
  const min = format(lo);
  const label = text(`${options.label} from ${formatTime(from)} to ${formatTime(to)}: lowest ${min}, highest ${max}`);
  return `<figure class="spark"><div class="spark-body">`
    + `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" role="img" aria-label="${label}">`
    + `<line class="spark-rule" vector-effect="non-scaling-stroke" x1="0" y1="${num(y(hi))}" x2="${WIDTH}" y2="${num(y(hi))}"/>`
    + `<line class="spark-rule" vector-effect="non-scaling-stroke" x1="0" y1="${num(y(lo))}" x2="${WIDTH}" y2="${num(y(lo))}"/>`
    + `${lines.join('')}</svg>`
    + `<span class="spark-max" title="highest">${text(max)}</span><span class="spark-min" title="lowest">${text(min)}</span>`
    + `</div>${times}</figure>`;
}
