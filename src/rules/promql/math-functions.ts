/**
 * The functions that map each sample's value on its own: math (abs … sqrt, trigonometry) and
 * the calendar functions of a timestamp in seconds, in UTC.
 * https://prometheus.io/docs/prometheus/latest/querying/functions/
 */

/** Value-by-value math functions by name. */
export const MATH_FUNCTIONS: Readonly<Record<string, (v: number) => number>> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sqrt: Math.sqrt,
  sgn: (v) => (v > 0 ? 1 : v < 0 ? -1 : v),
  acos: Math.acos,
  acosh: Math.acosh,
  asin: Math.asin,
  asinh: Math.asinh,
  atan: Math.atan,
  atanh: Math.atanh,
  cos: Math.cos,
  cosh: Math.cosh,
  sin: Math.sin,
  sinh: Math.sinh,
  tan: Math.tan,
  tanh: Math.tanh,
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
};

function utc(seconds: number): Date {
  return new Date(Math.trunc(seconds) * 1000);
}

/** Calendar functions of a timestamp in seconds, by name (UTC). */
export const DATE_FUNCTIONS: Readonly<Record<string, (v: number) => number>> = {
  day_of_month: (v) => utc(v).getUTCDate(),
  day_of_week: (v) => utc(v).getUTCDay(),
  day_of_year: (v) => {
    const d = utc(v);
    return Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  },
  days_in_month: (v) => {
    const d = utc(v);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  },
  hour: (v) => utc(v).getUTCHours(),
  minute: (v) => utc(v).getUTCMinutes(),
  month: (v) => utc(v).getUTCMonth() + 1,
  year: (v) => utc(v).getUTCFullYear(),
};
