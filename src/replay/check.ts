/**
 * `--check`: a timeline against expected.yaml, as a list of differences a person can read
 * (`- missing alert …`, `+ unexpected alert …`), and `--compare`: two timelines of the same
 * fixture side by side (what fired earlier, later, or in one only). Pure: data in, data out.
 */
import type { Expected } from './expected.ts';
import { alertLabel, offsetLabel, type DecisionEvent, type Timeline } from './timeline.ts';

/** One difference between the replay and expected.yaml. */
export interface Difference {
  /** `missing` (expected, not seen), `unexpected` (seen, not allowed), `mistimed` (seen outside its window). */
  readonly kind: 'missing' | 'unexpected' | 'mistimed';
  readonly text: string;
}

function matchesLabels(labels: Readonly<Record<string, string>>, want: Readonly<Record<string, string>>): boolean {
  return Object.entries(want).every(([k, v]) => labels[k] === v);
}

function windowText(earliest: number | undefined, latest: number | undefined): string {
  const f = (ms: number): string => offsetLabel(ms, 0);
  if (earliest === undefined && latest === undefined) return 'at some time';
  if (earliest === undefined) return `by ${f(latest!)}`;
  if (latest === undefined) return `at ${f(earliest)} or later`;
  return `between ${f(earliest)} and ${f(latest)}`;
}

function decisionText(d: DecisionEvent, base: number): string {
  return `${d.change} ${d.entity} ${d.quotaKey} at ${offsetLabel(d.at, base)} (${d.status})`;
}

/** Decisions that count: those applied (to the dry-run actuator) or recommended; skipped and expired ones do not. */
export function effectiveDecisions(t: Timeline): DecisionEvent[] {
  return t.decisions.filter((d) => d.status === 'applied' || d.status === 'pending');
}

/** The differences between `timeline` and `expected`; none when the replay is as expected. */
export function checkTimeline(timeline: Timeline, expected: Expected): Difference[] {
  const base = timeline.fixture.incidentStart;
  const firing = timeline.alerts.filter((a) => a.state === 'firing');
  const out: Difference[] = [];
  for (const want of expected.fire) {
    const name = alertLabel(want.alertname, want.labels);
    const seen = firing.filter((a) => a.alertname === want.alertname && matchesLabels(a.labels, want.labels));
    const inWindow = seen.filter((a) => (want.earliest === undefined || a.at - base >= want.earliest) && (want.latest === undefined || a.at - base <= want.latest));
    if (seen.length === 0) out.push({ kind: 'missing', text: `missing alert: ${name} should fire ${windowText(want.earliest, want.latest)}; it never fired` });
    else if (inWindow.length === 0) {
      out.push({ kind: 'mistimed', text: `mistimed alert: ${name} should fire ${windowText(want.earliest, want.latest)}; it fired at ${seen.map((a) => offsetLabel(a.at, base)).join(', ')}` });
    }
  }
  expected.notFire.forEach((no, i) => {
    for (const a of firing) {
      if (no.alertname !== undefined && a.alertname !== no.alertname) continue;
      if (!matchesLabels(a.labels, no.labels)) continue;
      out.push({ kind: 'unexpected', text: `unexpected alert: ${alertLabel(a.alertname, a.labels)} fired at ${offsetLabel(a.at, base)} (notFire[${i}]: ${no.alertname ?? ''}${Object.keys(no.labels).length > 0 ? JSON.stringify(no.labels) : ''})` });
    }
  });
  const decisions = effectiveDecisions(timeline);
  const used = new Set<DecisionEvent>();
  for (const want of expected.decisions) {
    const match = (d: DecisionEvent): boolean => d.entity === want.entity && (want.direction === undefined || d.direction === want.direction) && (want.change === undefined || d.change === want.change);
    const seen = decisions.filter(match);
    const inWindow = seen.filter((d) => (want.earliest === undefined || d.at - base >= want.earliest) && (want.latest === undefined || d.at - base <= want.latest));
    for (const d of seen) used.add(d);
    const what = `${want.change ?? 'change'} of ${want.entity}${want.direction === undefined ? '' : ` (${want.direction})`}`;
    if (seen.length === 0) out.push({ kind: 'missing', text: `missing decision: ${what} ${windowText(want.earliest, want.latest)}; none was made` });
    else if (inWindow.length === 0) out.push({ kind: 'mistimed', text: `mistimed decision: ${what} should come ${windowText(want.earliest, want.latest)}; made at ${seen.map((d) => offsetLabel(d.at, base)).join(', ')}` });
  }
  if (expected.onlyListedDecisions) {
    for (const d of decisions) if (!used.has(d)) out.push({ kind: 'unexpected', text: `unexpected decision: ${decisionText(d, base)}: ${d.reason}` });
  }
  return out;
}

/** The report of `--check`: `ok …` or the differences, one a line. */
export function checkReport(name: string, differences: readonly Difference[]): string {
  if (differences.length === 0) return `ok ${name}: the replay matches expected.yaml\n`;
  const sign = { missing: '-', mistimed: '~', unexpected: '+' } as const;
  return `FAILED ${name}: ${differences.length} difference${differences.length === 1 ? '' : 's'} from expected.yaml\n${differences.map((d) => `  ${sign[d.kind]} ${d.text}\n`).join('')}`;
}

/** One row of a comparison: an alert firing (its k-th time) or a decision, in A and in B. */
export interface CompareRow {
  readonly what: string;
  readonly a: number | undefined;
  readonly b: number | undefined;
  /** `same`, `earlier in B`, `later in B`, `only in A`, `only in B`. */
  readonly verdict: string;
}

function occurrences<T>(items: readonly T[], key: (x: T) => string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const x of items) {
    const k = key(x);
    out.set(k, [...(out.get(k) ?? []), (x as { at: number }).at]);
  }
  return out;
}

/** What fired (and which decisions came) earlier, later or only in one of two replays of the same fixture. */
export function compareTimelines(a: Timeline, b: Timeline): CompareRow[] {
  const rows: CompareRow[] = [];
  const add = (ka: Map<string, number[]>, kb: Map<string, number[]>): void => {
    const keys = [...new Set([...ka.keys(), ...kb.keys()])];
    const part: CompareRow[] = [];
    for (const k of keys) {
      const xa = ka.get(k) ?? [];
      const xb = kb.get(k) ?? [];
      for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
        const ta = xa[i];
        const tb = xb[i];
        const verdict = ta === undefined ? 'only in B' : tb === undefined ? 'only in A' : ta === tb ? 'same' : tb < ta ? `earlier in B by ${(ta - tb) / 1000} s` : `later in B by ${(tb - ta) / 1000} s`;
        part.push({ what: i === 0 ? k : `${k} (#${i + 1})`, a: ta, b: tb, verdict });
      }
    }
    part.sort((x, y) => Math.min(x.a ?? Infinity, x.b ?? Infinity) - Math.min(y.a ?? Infinity, y.b ?? Infinity) || (x.what < y.what ? -1 : x.what > y.what ? 1 : 0));
    rows.push(...part);
  };
  const alertKey = (x: { alertname: string; labels: Readonly<Record<string, string>> }) => `alert ${alertLabel(x.alertname, x.labels)}`;
  add(occurrences(a.alerts.filter((x) => x.state === 'firing'), alertKey), occurrences(b.alerts.filter((x) => x.state === 'firing'), alertKey));
  const decisionKey = (d: DecisionEvent) => `quota ${d.change} ${d.entity} ${d.quotaKey}`;
  add(occurrences(effectiveDecisions(a), decisionKey), occurrences(effectiveDecisions(b), decisionKey));
  return rows;
}

/** The comparison as a table for people. */
export function compareReport(labelA: string, labelB: string, a: Timeline, rows: readonly CompareRow[]): string {
  const base = a.fixture.incidentStart;
  const cell = (t: number | undefined): string => (t === undefined ? '-' : offsetLabel(t, base));
  const table = [['', 'A', 'B', ''], ...rows.map((r) => [r.what, cell(r.a), cell(r.b), r.verdict])];
  const widths = [0, 1, 2].map((i) => Math.max(...table.map((r) => r[i]!.length)));
  const same = rows.filter((r) => r.verdict === 'same').length;
  return [
    `compare on ${a.fixture.name}: A = ${labelA}, B = ${labelB} (times from the incident start)`,
    `${rows.length} rows: ${same} the same, ${rows.length - same} different`,
    '',
    ...table.map((r) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padEnd(widths[2]!)}  ${r[3]}`.trimEnd()),
  ].join('\n') + '\n';
}
