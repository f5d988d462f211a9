/**
 * The /graph page's plot, drawn on the server as inline SVG: one line per series over a time
 * frame, with the lowest and highest values labelled on the value axis and the frame's start and
 * end (date, time and UTC offset) on the time axis. A series that has no value at a step, or a
 * value that is not finite, breaks its line there. Pure: series in, SVG text out; every label
 * is HTML-escaped.
 */
import { escapeHtml } from '../../notify/receivers/email-body.ts';
import { formatG } from '../../rules/go-format.ts';

/** One line: a label (its series, for the tooltip) and values at times (ms), oldest first. */
export interface PlotLine {
  readonly label: string;
  readonly ts: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

/** The time frame drawn, and the step between its points (ms). */
export interface PlotFrame {
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
}

/** Line colours, in order; lines past the tenth are dashed so that no two look the same. */
export const PLOT_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] as const;

/** How line `i` is drawn: its colour and whether it is dashed. */
export function lineStyle(i: number): { readonly color: string; readonly dashed: boolean } {
  return { color: PLOT_COLORS[i % PLOT_COLORS.length]!, dashed: Math.floor(i / PLOT_COLORS.length) % 2 === 1 };
}

/** A time as the page writes it, in UTC with its offset: `2026-01-15 11:00:00 +00:00`. */
export function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +00:00`;
}

/** A value on the axis: six significant digits, as Go's `%g` writes them. */
export function formatAxisValue(v: number): string {
  return v === 0 ? '0' : formatG(v, 6);
}

const WIDTH = 960;
const HEIGHT = 320;
const LEFT = 96;
const RIGHT = 16;
const TOP = 12;
const BOTTOM = 44;
/** Room between the plot's edges and the lowest and highest values, px. */
const INSET = 6;

/** The SVG of `lines` over `frame`; the value axis spans the lowest to the highest finite value. */
export function plotSvg(lines: readonly PlotLine[], frame: PlotFrame): string {
  let lo = Infinity;
  let hi = -Infinity;
  for (const line of lines) {
    for (let i = 0; i < line.values.length; i++) {
      const v = line.values[i]!;
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  const x0 = LEFT;
  const x1 = WIDTH - RIGHT;
  const y0 = TOP;
  const y1 = HEIGHT - BOTTOM;
  const span = frame.endMs - frame.startMs;
  const x = (t: number) => x0 + (span <= 0 ? x1 - x0 : ((t - frame.startMs) / span) * (x1 - x0));
  // A flat set of values is drawn across the middle.
  const y = (v: number) => (hi === lo ? (y0 + y1) / 2 : y1 - INSET - ((v - lo) / (hi - lo)) * (y1 - y0 - 2 * INSET));
  const out: string[] = [
    `<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(`${lines.length} series from ${formatTime(frame.startMs)} to ${formatTime(frame.endMs)}`)}">`,
    `<rect class="frame" x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}"/>`,
  ];
  const hasValues = lo <= hi;
  if (hasValues) {
    const yHi = y(hi);
    const yLo = y(lo);
    out.push(`<line class="grid" x1="${x0}" y1="${num(yHi)}" x2="${x1}" y2="${num(yHi)}"/>`, `<text class="axis max" x="${x0 - 6}" y="${num(yHi + 4)}" text-anchor="end">${escapeHtml(formatAxisValue(hi))}</text>`);
    if (hi !== lo) out.push(`<line class="grid" x1="${x0}" y1="${num(yLo)}" x2="${x1}" y2="${num(yLo)}"/>`, `<text class="axis min" x="${x0 - 6}" y="${num(yLo + 4)}" text-anchor="end">${escapeHtml(formatAxisValue(lo))}</text>`);
  } else {
    out.push(`<text class="empty" x="${(x0 + x1) / 2}" y="${(y0 + y1) / 2}" text-anchor="middle">no finite values in this range</text>`);
  }
  out.push(
    `<text class="axis start" x="${x0}" y="${y1 + 18}" text-anchor="start">${formatTime(frame.startMs)}</text>`,
    `<text class="axis end" x="${x1}" y="${y1 + 18}" text-anchor="end">${formatTime(frame.endMs)}</text>`,
  );
  lines.forEach((line, i) => {
    const { color, dashed } = lineStyle(i);
    out.push(`<g class="series" stroke="${color}" fill="${color}"${dashed ? ' stroke-dasharray="6 3"' : ''}><title>${escapeHtml(line.label)}</title>`);
    for (const run of runs(line, frame.stepMs)) {
      if (run.length === 1) out.push(`<circle cx="${num(x(run[0]![0]))}" cy="${num(y(run[0]![1]))}" r="2" stroke="none"/>`);
      else out.push(`<polyline fill="none" points="${run.map(([t, v]) => `${num(x(t))},${num(y(v))}`).join(' ')}"/>`);
    }
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('');
}

/** The line's unbroken runs of points: a gap of more than a step, or a value that is not finite, ends a run. */
function runs(line: PlotLine, stepMs: number): [number, number][][] {
  const out: [number, number][][] = [];
  let run: [number, number][] = [];
  let last = -Infinity;
  for (let i = 0; i < line.ts.length; i++) {
    const t = line.ts[i]!;
    const v = line.values[i]!;
    if (!Number.isFinite(v) || t - last > stepMs * 1.5) {
      if (run.length > 0) out.push(run);
      run = [];
    }
    if (Number.isFinite(v)) run.push([t, v]);
    last = t;
  }
  if (run.length > 0) out.push(run);
  return out;
}

function num(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}
