/**
 * Reading the lezer syntax tree, and selector keys: the first syntax error as a PromQLError,
 * child nodes, whether a matcher matches the empty string, the canonical key of a matcher set.
 */
import type { SyntaxNode } from '@lezer/common';
import { compileRegex } from '../../regex.ts';
import type { Matcher } from '../../store/types.ts';
import { PromQLError } from './errors.ts';

/** Throws for the first error node of the tree, naming an unknown function when that is the cause. */
export function reportSyntaxErrors(text: string, top: SyntaxNode): void {
  let first: SyntaxNode | undefined;
  top.cursor().iterate((n) => {
    if (first !== undefined) return false;
    if (n.type.isError) first = n.node;
    return undefined;
  });
  if (first === undefined) return;
  const at = first.from;
  const before = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$/.exec(text.slice(0, at));
  if (text[at] === '(' && before !== null) throw new PromQLError(text, before.index, `unknown function "${before[1]}"`);
  const found = text.slice(at, Math.max(first.to, at + 1)).trim();
  throw new PromQLError(text, at, found === '' ? 'unexpected end of input' : `unexpected ${JSON.stringify(found)}`);
}

/** The child nodes of `node`, in order. */
export function childNodes(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c !== null; c = c.nextSibling) out.push(c);
  return out;
}

/** True when the matcher selects series that lack the label (a missing label reads as ''). */
export function matchesEmpty(m: Matcher): boolean {
  switch (m.type) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return compileRegex(m.value).matchesWhole('');
    case '!~':
      return !compileRegex(m.value).matchesWhole('');
  }
}

/** A canonical text for a set of matchers: equal sets select the same series. */
export function selectorKey(matchers: readonly Matcher[]): string {
  return matchers.map((m) => `${m.name}\u0000${m.type}\u0000${m.value}`).sort().join('\u0001');
}

/**
 * Function names Prometheus 2.x knows and the lezer grammar (written for Prometheus 3) does not,
 * each with a name of the same length that the grammar reads as a function, so that the tree
 * keeps the text's positions. The converter reads names from the original text.
 */
const GRAMMAR_STAND_INS: Readonly<Record<string, string>> = { holt_winters: 'day_of_month' };

/**
 * `text` rewritten, at the same length and positions, into what the lezer grammar reads as
 * Prometheus's own lexer reads the original: a number ending in a dot (`2.`, `5./6.`, `1.e3`)
 * loses the dot, and a function the grammar lacks (see GRAMMAR_STAND_INS) gets a stand-in name.
 * Quoted strings and comments are left alone.
 */
export function forGrammar(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' && c !== '`' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '#') {
      const end = text.indexOf('\n', i);
      const j = end < 0 ? text.length : end;
      out += text.slice(i, j);
      i = j;
    } else if (/[A-Za-z_:]/.test(c)) {
      const word = match(WORD, text, i);
      const standIn = Object.hasOwn(GRAMMAR_STAND_INS, word) && match(OPEN_PAREN, text, i + word.length) !== '' ? GRAMMAR_STAND_INS[word] : undefined;
      out += standIn ?? word;
      i += word.length;
    } else if (/[0-9]/.test(c)) {
      // A trailing dot: `2.` reads as `2 `; `2.e5` as `2e05`, `2.e+5` as `2e+05` (same value).
      const word = match(NUMBER_WORD, text, i);
      TRAILING_DOT.lastIndex = i;
      const m = /^0[xX]/.test(word) ? null : TRAILING_DOT.exec(text);
      if (m !== null) {
        out += m[2] === undefined ? `${m[1]} ` : `${m[1]}${m[2]}${m[3]}0${m[4]}`;
        i += m[0].length;
      } else {
        out += word;
        i += word.length;
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const WORD = /[A-Za-z0-9_:]+/y;
const OPEN_PAREN = /\s*\(/y;
const NUMBER_WORD = /[0-9A-Za-z_.]+/y;
const TRAILING_DOT = /(\d+)\.(?![0-9])(?:([eE])([+-]?)(\d+))?/y;

/** What the sticky `re` matches at `at` in `text`, '' when nothing. */
function match(re: RegExp, text: string, at: number): string {
  re.lastIndex = at;
  return re.exec(text)?.[0] ?? '';
}
