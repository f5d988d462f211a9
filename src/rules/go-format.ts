/**
 * Go's number and printf formatting, as alert templates need it: `{{ $value }}` prints a float64
 * with `%v` (shortest digits, in exponent form from 1e+06 up and below 1e-04, as Go's strconv
 * does, not from 1e21 as JavaScript does), and Prometheus's humanize functions use `%.4g`.
 * https://pkg.go.dev/fmt
 */

/**
 * The exact decimal expansion of a finite |v| (every double has one): its digits without leading
 * or trailing zeros, and the position of the decimal point (value = 0.digits × 10^dp).
 */
function exactDecimal(v: number): { digits: string; dp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  if (exponent !== 0) mantissa |= 1n << 52n;
  const e = (exponent === 0 ? 1 : exponent) - 1075;
  if (mantissa === 0n) return { digits: '', dp: 0 };
  // m × 2^e: for e < 0 that is m × 5^-e / 10^-e.
  const text = e >= 0 ? (mantissa << BigInt(e)).toString() : (mantissa * 5n ** BigInt(-e)).toString();
  const dp = e >= 0 ? text.length : text.length + e;
  const trimmed = text.replace(/0+$/, '');
  const lead = trimmed.length - trimmed.replace(/^0+/, '').length;
  return { digits: trimmed.slice(lead), dp: dp - lead };
}

/** `d` rounded to its first `n` digits as Go's strconv does: half to even only on an exact half. */
function roundDigits(d: { digits: string; dp: number }, n: number): { digits: string; dp: number } {
  if (n < 0) return { digits: '', dp: d.dp };
  if (n >= d.digits.length) return d;
  const next = d.digits.charCodeAt(n) - 48;
  const exactHalf = next === 5 && n + 1 === d.digits.length;
  const up = next > 5 || (next === 5 && (!exactHalf || (n > 0 && (d.digits.charCodeAt(n - 1) - 48) % 2 === 1)));
  let digits = d.digits.slice(0, n);
  let dp = d.dp;
  if (up) {
    let i = digits.length - 1;
    while (i >= 0 && digits[i] === '9') i--;
    if (i < 0) {
      digits = '1';
      dp++;
    } else {
      digits = digits.slice(0, i) + String.fromCharCode(digits.charCodeAt(i) + 1);
    }
  }
  return { digits: digits.replace(/0+$/, ''), dp };
}

/** Digits (no trailing zeros) and decimal point position of `v` rounded to `prec` significant digits (-1: shortest). */
function decimal(v: number, prec: number): { digits: string; dp: number } {
  if (v === 0) return { digits: '', dp: 0 };
  if (prec >= 0) return roundDigits(exactDecimal(v), prec);
  const [mantissa, exp] = Math.abs(v).toExponential().split('e') as [string, string];
  return { digits: mantissa.replace('.', '').replace(/0+$/, ''), dp: Number(exp) + 1 };
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return undefined;
}

function fmtE(neg: boolean, digits: string, prec: number): string {
  const first = digits[0] ?? '0';
  let out = (neg ? '-' : '') + first;
  if (prec > 0) out += '.' + digits.slice(1, 1 + prec).padEnd(prec, '0');
  return out;
}

function expSuffix(dp: number, digits: string): string {
  const exp = digits === '' ? 0 : dp - 1;
  const abs = Math.abs(exp);
  return `e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

function fmtF(neg: boolean, digits: string, dp: number, prec: number): string {
  let out = neg ? '-' : '';
  if (dp > 0) out += digits.slice(0, dp).padEnd(dp, '0');
  else out += '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = dp + i - 1;
      out += j >= 0 && j < digits.length ? digits[j] : '0';
    }
  }
  return out;
}

/** Go's `%g` (`prec` -1: shortest, which is also `%v` for a float64). */
export function formatG(v: number, prec = -1): string {
  const s = special(v);
  if (s !== undefined) return s;
  const neg = v < 0 || Object.is(v, -0);
  if (prec === 0) prec = 1;
  const { digits, dp } = decimal(v, prec);
  const shortest = prec < 0;
  let p = shortest ? digits.length : prec;
  let eprec = p;
  if (eprec > digits.length && digits.length >= dp) eprec = digits.length;
  if (shortest) eprec = 6;
  const exp = dp - 1;
  if (digits !== '' && (exp < -4 || exp >= eprec)) {
    if (p > digits.length) p = digits.length;
    return fmtE(neg, digits, p - 1) + expSuffix(dp, digits);
  }
  if (p > dp) p = digits.length;
  return fmtF(neg, digits, dp, Math.max(p - dp, 0));
}

/** Go's `%.Nf`. */
export function formatF(v: number, prec = 6): string {
  const s = special(v);
  if (s !== undefined) return s;
  const exact = exactDecimal(v);
  const d = roundDigits(exact, exact.dp + prec);
  return fmtF(v < 0 || Object.is(v, -0), d.digits, d.digits === '' ? 0 : d.dp, prec);
}

/** Go's `%.Ne`. */
export function formatE(v: number, prec = 6): string {
  const s = special(v);
  if (s !== undefined) return s;
  const d = v === 0 ? { digits: '', dp: 1 } : roundDigits(exactDecimal(v), prec + 1);
  return fmtE(v < 0 || Object.is(v, -0), d.digits, prec) + expSuffix(d.dp, d.digits);
}

/** A value as Go's `%v` prints it. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') return formatG(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) return '<no value>';
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${formatValue(v)}`).join(' ')}]`;
  }
  return String(value);
}

const VERB = /%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g;

/** Go's `fmt.Sprintf` for the verbs templates use: %s %v %d %f %g %e %x %q %t %%, with flags, width and precision. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let next = 0;
  let out = format.replace(VERB, (_all, flags: string, width: string | undefined, precision: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[next++];
    const prec = precision === undefined ? undefined : Number(precision);
    let text = formatVerb(verb, arg, prec);
    if (flags.includes('+') && typeof arg === 'number' && arg >= 0 && 'dfgeFGE'.includes(verb)) text = '+' + text;
    if (width !== undefined && text.length < Number(width)) {
      const pad = Number(width) - text.length;
      if (flags.includes('-')) text = text + ' '.repeat(pad);
      else if (flags.includes('0') && typeof arg === 'number') text = text.startsWith('-') || text.startsWith('+') ? text[0] + '0'.repeat(pad) + text.slice(1) : '0'.repeat(pad) + text;
      else text = ' '.repeat(pad) + text;
    }
    return text;
  });
  if (next < args.length) out += `%!(EXTRA ${args.slice(next).map((a) => `${goType(a)}=${formatValue(a)}`).join(', ')})`;
  return out;
}

function goType(value: unknown): string {
  if (typeof value === 'number') return 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'object' && value !== null) return 'map[string]string';
  return '<nil>';
}

function formatVerb(verb: string, arg: unknown, prec: number | undefined): string {
  const bad = (): string => `%!${verb}(${goType(arg)}=${formatValue(arg)})`;
  switch (verb) {
    case 'v':
      return formatValue(arg);
    case 's':
      if (typeof arg === 'number') return bad();
      return prec === undefined ? formatValue(arg) : formatValue(arg).slice(0, prec);
    case 'q':
      return typeof arg === 'string' ? JSON.stringify(arg) : bad();
    case 't':
      return typeof arg === 'boolean' ? String(arg) : bad();
    case 'd':
      return typeof arg === 'number' && Number.isInteger(arg) ? String(arg) : bad();
    case 'x':
    case 'X': {
      if (typeof arg === 'number' && Number.isInteger(arg)) {
        const hex = (arg < 0 ? '-' : '') + Math.abs(arg).toString(16);
        return verb === 'X' ? hex.toUpperCase() : hex;
      }
      if (typeof arg === 'string') return Buffer.from(arg, 'utf8').toString('hex');
      return bad();
    }
    case 'f':
    case 'F':
      return typeof arg === 'number' ? formatF(arg, prec ?? 6) : bad();
    case 'e':
    case 'E': {
      if (typeof arg !== 'number') return bad();
      const text = formatE(arg, prec ?? 6);
      return verb === 'E' ? text.toUpperCase() : text;
    }
    case 'g':
    case 'G': {
      if (typeof arg !== 'number') return bad();
      const text = formatG(arg, prec ?? -1);
      return verb === 'G' ? text.toUpperCase() : text;
    }
    default:
      return bad();
  }
}
