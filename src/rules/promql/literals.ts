/**
 * PromQL literals: numbers (decimal, hex, Inf, NaN, durations as seconds), durations such as
 * `1h30m` (read by src/duration.ts, shared with the rest of Sluice), and Go-style quoted strings
 * ("…" and '…' with escapes, `…` raw).
 * https://prometheus.io/docs/prometheus/latest/querying/basics/#literals
 */
import { parseDuration } from '../../duration.ts';

/** The value of a number literal, undefined when `text` is not one. */
export function parseNumber(text: string): number | undefined {
  let sign = 1;
  let body = text;
  if (body.startsWith('-') || body.startsWith('+')) {
    sign = body.startsWith('-') ? -1 : 1;
    body = body.slice(1);
  }
  const lower = body.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') return sign * Infinity;
  if (lower === 'nan') return NaN;
  if (/^0x[0-9a-f]+$/.test(lower)) return sign * parseInt(lower.slice(2), 16);
  if (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(lower)) return sign * Number(lower);
  const ms = parseDuration(body);
  return ms === undefined ? undefined : (sign * ms) / 1000;
}

/** The value of a quoted string literal; throws a plain Error naming the bad escape. */
export function unquote(text: string): string {
  const quote = text[0];
  if (text.length < 2 || text[text.length - 1] !== quote) throw new Error('unterminated quoted string');
  const body = text.slice(1, -1);
  if (quote === '`') return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case "'": out += "'"; break;
      case 'x':
      case 'u':
      case 'U': {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new Error(`invalid escape sequence \\${e}${hex}`);
        out += String.fromCodePoint(parseInt(hex, 16));
        i += len;
        break;
      }
      default: {
        const oct = body.slice(i, i + 3);
        if (e === undefined) throw new Error('escape sequence not terminated');
        if (!/^[0-7]{3}$/.test(oct)) throw new Error(`unknown escape sequence U+${e.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${e}'`);
        out += String.fromCharCode(parseInt(oct, 8));
        i += 2;
      }
    }
  }
  return out;
}

/** A string as a double-quoted PromQL literal. */
export function quote(value: string): string {
  return JSON.stringify(value);
}
