/**
 * The demo's narrator: watches the running service once a second (alerts of the rules manager,
 * rounds of the quota loop, the local receivers' counts), keeps what Sluice did on a timeline of
 * story time, announces each act as it begins and tells its end (story.ts), and gives the
 * one-line status: brokers up, clients seen, alerts firing, the last quota decision.
 */
import type { StatusSource } from '../../api/status-page/view.ts';
import type { RuleManager } from '../../rules/manager.ts';
import type { ThrottleLoop } from '../../throttle/loop.ts';
import { actAt, actSummary, alertSubject, quotaText, scenarioEvents, storyTime, type Act, type ScenarioEvent, type SluiceEvent } from './story.ts';
import type { Scenario } from '../../workload/scenario.ts';

/** What the narrator watches. */
export interface NarratorOptions {
  readonly rules: RuleManager | undefined;
  readonly throttle: ThrottleLoop | undefined;
  readonly status: StatusSource;
  /** The story's acts and its scenario; no acts: only the status line. */
  readonly acts: readonly Act[];
  readonly scenario: Scenario | undefined;
  /** Wall time of story time 0 (the workload's start), ms. */
  readonly startedAtMs: number;
  readonly notifications?: () => { mails: number; webhooks: number };
  readonly now?: () => number;
}

/** The story so far. */
export class Narrator {
  private readonly now: () => number;
  private readonly events: SluiceEvent[] = [];
  private readonly happened: readonly ScenarioEvent[];
  private readonly firing = new Map<string, { alertname: string; subject: string }>();
  private lastRoundAt: number | undefined;
  /** Index of the act being played (acts before it are told). */
  private act = 0;
  private announced = -1;
  private notifiedAtActStart = { mails: 0, webhooks: 0 };

  constructor(private readonly options: NarratorOptions) {
    this.now = options.now ?? Date.now;
    this.happened = options.scenario === undefined ? [] : scenarioEvents(options.scenario);
  }

  /** Story time now, ms. */
  get storyMs(): number {
    return this.now() - this.options.startedAtMs;
  }

  /** What Sluice did so far. */
  get timeline(): readonly SluiceEvent[] {
    return this.events;
  }

  /** Reads the service once; returns the texts to print (act openings and endings), if any. */
  observe(): string[] {
    const at = this.storyMs;
    this.watchAlerts(at);
    this.watchDecisions();
    const out: string[] = [];
    const { acts } = this.options;
    while (this.act < acts.length && at >= acts[this.act]!.toMs) {
      out.push(this.tell(this.act));
      this.act += 1;
    }
    const playing = actAt(acts, at);
    if (playing !== undefined && playing > this.announced) {
      const a = acts[playing]!;
      this.announced = playing;
      out.push(`▶ act ${playing + 1}/${acts.length}: ${a.title} (${storyTime(a.fromMs)}–${storyTime(a.toMs)}); watch for ${a.watch}\n`);
    }
    if (acts.length > 0 && this.act === acts.length && this.announced < acts.length) {
      this.announced = acts.length;
      out.push(`the story is over after ${storyTime(acts.at(-1)!.toMs)}: traffic stays calm until Ctrl-C; the page and the API keep running\n`);
    }
    return out;
  }

  private tell(index: number): string {
    const act = this.options.acts[index]!;
    const inAct = (ms: number) => ms >= act.fromMs && ms < act.toMs;
    const counts = this.options.notifications?.();
    const notifications = counts === undefined ? undefined : { mails: counts.mails - this.notifiedAtActStart.mails, webhooks: counts.webhooks - this.notifiedAtActStart.webhooks };
    if (counts !== undefined) this.notifiedAtActStart = counts;
    return actSummary({
      index, count: this.options.acts.length, act,
      happened: this.happened.filter((e) => inAct(e.atMs)),
      did: this.events.filter((e) => inAct(e.atMs)),
      notifications,
    });
  }

  private watchAlerts(at: number): void {
    const alerts = this.options.rules?.alerts() ?? [];
    const seen = new Set<string>();
    for (const a of alerts) {
      if (a.state !== 'firing') continue;
      const key = JSON.stringify(Object.entries(a.labels).sort(([x], [y]) => (x < y ? -1 : 1)));
      seen.add(key);
      if (this.firing.has(key)) continue;
      const alertname = a.labels.alertname ?? '';
      const subject = alertSubject(a.labels);
      this.firing.set(key, { alertname, subject });
      const firedAt = a.firedAt === undefined ? at : Date.parse(a.firedAt) - this.options.startedAtMs;
      this.events.push({ kind: 'alert', atMs: firedAt, state: 'firing', alertname, subject });
    }
    for (const [key, a] of this.firing) {
      if (seen.has(key)) continue;
      this.firing.delete(key);
      this.events.push({ kind: 'alert', atMs: at, state: 'resolved', alertname: a.alertname, subject: a.subject });
    }
  }

  private watchDecisions(): void {
    const round = this.options.throttle?.lastRound;
    if (round === undefined || round.at === this.lastRoundAt) return;
    this.lastRoundAt = round.at;
    for (const d of [...round.rolledBack, ...round.decisions]) {
      if (d.status === 'skipped') continue;
      this.events.push({
        kind: 'decision', atMs: d.ts - this.options.startedAtMs, entity: d.entityKey, quota: d.quotaKey,
        oldValue: d.oldValue, newValue: d.newValue, status: d.status, reason: d.reason,
      });
    }
  }

  /** The one-line status. */
  async statusLine(): Promise<string> {
    const view = await this.options.status.status();
    const brokers = view.clusters.map((c) => `${c.brokersUp}/${c.brokers.length} brokers up`).join(', ');
    const clients = new Set(view.clusters.flatMap((c) => c.topClients.map((x) => `${c.name}\0${x.user}\0${x.clientId}`))).size;
    const firing = view.alerts.firing;
    const names = [...new Set(firing.map((a) => a.name))];
    const decision = [...this.events].reverse().find((e) => e.kind === 'decision');
    const playing = actAt(this.options.acts, this.storyMs);
    const act = playing === undefined ? '' : ` act ${playing + 1}/${this.options.acts.length} ${this.options.acts[playing]!.title}:`;
    const last = decision === undefined ? 'no quota decision yet'
      : `last decision at ${storyTime(decision.atMs)}: ${decision.entity} ${decision.quota} ${quotaText(decision.oldValue)} → ${quotaText(decision.newValue)} (${decision.status})`;
    return `sluice demo: ${storyTime(Math.max(0, this.storyMs))}${act} ${brokers}, ${clients} client${clients === 1 ? '' : 's'}, `
      + `${firing.length} alert${firing.length === 1 ? '' : 's'} firing${names.length === 0 ? '' : ` (${names.join(', ')})`}, ${last}`;
  }
}
