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
