/**
 * Label sets: fingerprints (how an alert is identified) and the text form used in group keys
 * and subjects. The fingerprint is Alertmanager's: FNV-1a 64 over sorted names and values, each
 * followed by the byte 0xff, so the same alert gets the same id in Sluice and in Alertmanager.
 */
import type { Labels } from './types.ts';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const SEPARATOR = 0xff;
const encoder = new TextEncoder();

/** The label names of `labels`, sorted as Go sorts strings (by UTF-16 code units here). */
export function sortedNames(labels: Labels): string[] {
  return Object.keys(labels).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The alert's fingerprint as 16 lower-case hex digits, as Alertmanager's API shows it. */
export function fingerprint(labels: Labels): string {
  let hash = FNV_OFFSET;
  const add = (byte: number): void => {
    hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK;
  };
  for (const name of sortedNames(labels)) {
    for (const byte of encoder.encode(name)) add(byte);
    add(SEPARATOR);
    for (const byte of encoder.encode(labels[name]!)) add(byte);
    add(SEPARATOR);
  }
  return hash.toString(16).padStart(16, '0');
}

/** `{a="1", b="2"}`: names sorted, values quoted, as Alertmanager prints a label set. */
export function formatLabels(labels: Labels): string {
  return `{${sortedNames(labels).map((name) => `${name}=${JSON.stringify(labels[name])}`).join(', ')}}`;
}

/** The labels present with the same value in every set; empty for no sets. */
export function commonLabels(sets: readonly Labels[]): Record<string, string> {
  if (sets.length === 0) return {};
  const common: Record<string, string> = { ...sets[0] };
  for (const set of sets.slice(1)) {
    for (const name of Object.keys(common)) if (set[name] !== common[name]) delete common[name];
  }
  return sortLabels(common);
}

/** The same labels with keys in sorted order, so JSON output is stable. */
export function sortLabels(labels: Labels): Record<string, string> {
  return Object.fromEntries(sortedNames(labels).map((name) => [name, labels[name]!]));
}
