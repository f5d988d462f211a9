/**
 * The demo's story, pure: the acts of fixtures/workloads/demo-story.yaml (names and times), what
 * the scenario does in each (read from the scenario itself, so the two cannot drift apart) and
 * how an act's end is told: what happened, then what Sluice did (alerts fired and resolved,
 * quota decisions, notifications sent).
 */
import { fileURLToPath } from 'node:url';
import type { Scenario } from '../../workload/scenario.ts';

/** The scenario the demo plays unless `--scenario` names another. */
export const DEMO_STORY = fileURLToPath(new URL('../../../fixtures/workloads/demo-story.yaml', import.meta.url));

/** One act: a span of the story's scenario time, ms. */
export interface Act {
  readonly title: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** What Sluice is expected to do, for people reading along. */
  readonly watch: string;
}

/** The acts of demo-story.yaml. */
export const DEMO_ACTS: readonly Act[] = [
  { title: 'a noisy producer', fromMs: 0, toMs: 90_000, watch: 'a topic spike alert, a producer_byte_rate limit on clickstream only, removed once the burst is over' },
  { title: 'a stalled consumer', fromMs: 90_000, toMs: 160_000, watch: 'a lag alert on billing while it stalls, resolved once it catches up' },
  { title: 'a broker restart', fromMs: 160_000, toMs: 230_000, watch: 'broker down, offline and under-replicated partition alerts, all resolved once broker 2 is back in sync' },
  { title: 'calm', fromMs: 230_000, toMs: 290_000, watch: 'nothing firing, no quota moving' },
];

/** Something the scenario does at a moment of its time. */
export interface ScenarioEvent {
  readonly atMs: number;
  readonly text: string;
}

function rateText(bytesPerSec: number): string {
  return bytesPerSec >= 1024 * 1024 ? `${(bytesPerSec / 1024 / 1024).toFixed(1)} MiB/s` : `${Math.round(bytesPerSec / 1024)} KiB/s`;
}

/** Every spike, consumer action and fault of `scenario`, in time order. */
export function scenarioEvents(scenario: Scenario): ScenarioEvent[] {
  const events: ScenarioEvent[] = [];
  for (const p of scenario.producers) {
    const usual = p.rate * p.size;
    for (const s of p.spikes) {
      events.push({ atMs: s.at, text: `producer ${p.clientId ?? p.id} bursts to ${s.factor}× its rate (${rateText(usual * s.factor)} instead of ${rateText(usual)}) into ${p.topic}` });
      events.push({ atMs: s.at + s.for, text: `producer ${p.clientId ?? p.id} is back to its usual ${rateText(usual)}` });
    }
  }
  for (const c of scenario.consumers) {
    for (const a of c.actions) {
      const text = a.do === 'slow'
        ? (a.rate === 0 ? `consumer group ${c.group} reads at full speed again` : `consumer group ${c.group} stalls: its members stay in the group but read ${a.rate} msg/s`)
        : a.do === 'rewind' ? `consumer group ${c.group} rewinds` : `consumer group ${c.group} ${a.do === 'stop' ? 'stops' : 'starts'}`;
      events.push({ atMs: a.at, text });
    }
  }
  for (const f of scenario.faults) {
    const text = f.do === 'stop-broker' ? `broker ${f.broker} stops`
      : f.do === 'start-broker' ? `broker ${f.broker} starts again${f.wipe === true ? ' with empty logs' : ''}`
        : `broker ${f.broker}: ${f.do}`;
    events.push({ atMs: f.at, text });
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}

/** What Sluice did, as the narrator saw it. */
export type SluiceEvent =
  | { readonly kind: 'alert'; readonly atMs: number; readonly state: 'firing' | 'resolved'; readonly alertname: string; readonly subject: string }
  | { readonly kind: 'decision'; readonly atMs: number; readonly entity: string; readonly quota: string; readonly oldValue: number | undefined; readonly newValue: number | null | undefined; readonly status: string; readonly reason: string };

/** Seconds of story time, as the narration prints them. */
export function storyTime(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}

/** A quota value for people: `unset` for none. */
export function quotaText(value: number | null | undefined): string {
  return value === null || value === undefined ? 'unset' : rateText(value);
}

/** One line of "what Sluice did". */
export function sluiceEventText(e: SluiceEvent): string {
  if (e.kind === 'alert') return `alert ${e.alertname}${e.subject === '' ? '' : ` (${e.subject})`} ${e.state}`;
  const verb = e.status === 'pending' ? 'recommended' : e.status;
  return `quota ${e.entity} ${e.quota}: ${quotaText(e.oldValue)} → ${quotaText(e.newValue)} ${verb}; ${e.reason}`;
}

/** The labels that tell one alert of a rule from another, for people. */
export function alertSubject(labels: Readonly<Record<string, string>>): string {
  return ['topic', 'group', 'client_id', 'broker', 'kind']
    .filter((k) => labels[k] !== undefined && labels[k] !== '')
    .map((k) => `${k === 'client_id' ? 'client' : k} ${labels[k]}`)
    .join(', ');
}

/** The closing text of an act: a heading, what happened, what Sluice did. */
export function actSummary(input: {
  readonly index: number;
  readonly count: number;
  readonly act: Act;
  readonly happened: readonly ScenarioEvent[];
  readonly did: readonly SluiceEvent[];
  readonly notifications: { readonly mails: number; readonly webhooks: number } | undefined;
}): string {
  const { act } = input;
  const lines = [`── act ${input.index + 1}/${input.count}: ${act.title} (${storyTime(act.fromMs)}–${storyTime(act.toMs)}) ──`, '  what happened:'];
  if (input.happened.length === 0) lines.push('    nothing out of the ordinary: steady traffic');
  for (const e of input.happened) lines.push(`    ${storyTime(e.atMs).padStart(5)}  ${e.text}`);
  lines.push('  what Sluice did:');
  const did = [...input.did].sort((a, b) => a.atMs - b.atMs);
  const decisions = did.filter((e) => e.kind === 'decision');
  const alerts = did.filter((e) => e.kind === 'alert');
  if (did.length === 0) lines.push('    nothing: no alert fired or resolved and no quota changed');
  for (const e of did) lines.push(`    ${storyTime(e.atMs).padStart(5)}  ${sluiceEventText(e)}`);
  const firing = alerts.filter((e) => e.state === 'firing').length;
  const resolved = alerts.filter((e) => e.state === 'resolved').length;
  const n = input.notifications;
  lines.push(`  in short: ${firing} alert${firing === 1 ? '' : 's'} fired, ${resolved} resolved, ${decisions.length} quota decision${decisions.length === 1 ? '' : 's'}${n === undefined ? '' : `, ${n.mails} mail${n.mails === 1 ? '' : 's'} and ${n.webhooks} webhook post${n.webhooks === 1 ? '' : 's'} sent`}`);
  return `${lines.join('\n')}\n`;
}

/** The act playing at `atMs` of story time, or undefined once the story is over. */
export function actAt(acts: readonly Act[], atMs: number): number | undefined {
  const i = acts.findIndex((a) => atMs >= a.fromMs && atMs < a.toMs);
  return i === -1 ? undefined : i;
}
