/**
 * What the HTTP API reads and changes, as narrow interfaces: the API never reaches into the
 * modules behind them. The service (src/app.ts) adapts the rules manager, the notifier and the
 * store to these; tests hand in the real modules the same way. Rule status is the one shape the
 * API takes from a stage as is (the rules stage owns it, as Prometheus's /api/v1/rules shows it).
 */
import type { RuleGroupStatus, RuleStatusView } from '../rules/status.ts';
import type { Matcher, Querier } from '../store/types.ts';

/** One readiness check and its outcome. */
export interface ReadinessCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
  /**
   * Set on a failing check the service keeps serving through (a cluster it watches does not
   * answer, samples are not being stored while rules still run on the in-memory head): /readyz
   * then answers 200 with status `degraded`, not 503, so that an orchestrator does not take away
   * the alerts and API exactly when they are needed.
   */
  readonly degraded?: boolean;
}

/** Whether the service can do its job: database reachable, collectors running, and the like. */
export interface ReadinessSource {
  checks(): Promise<readonly ReadinessCheck[]>;
}

/** A matcher as the API shows and takes it (Alertmanager's v2 silence shape). */
export interface ApiMatcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  readonly isEqual: boolean;
}

/** An alert as the API lists it. */
export interface ApiAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly state: 'pending' | 'firing' | 'resolved';
  readonly activeAt: string;
  readonly value: number;
  /** Silence ids that mute it, and alert names that inhibit it (empty when it would notify). */
  readonly silencedBy: readonly string[];
  readonly inhibitedBy: readonly string[];
}

/** Where the API reads alerts from. */
export interface AlertsSource {
  alerts(): Promise<readonly ApiAlert[]> | readonly ApiAlert[];
}

/** A silence as the API shows it. */
export interface ApiSilence {
  readonly id: string;
  readonly matchers: readonly ApiMatcher[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
  readonly status: 'pending' | 'active' | 'expired';
}

/** A silence to create. */
export interface NewSilence {
  readonly matchers: readonly ApiMatcher[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
}

/** Where silences live. `create` throws SLUICE_ERR_SILENCE_INVALID (with `path`) for a bad one. */
export interface SilencesSource {
  list(): Promise<readonly ApiSilence[]>;
  get(id: string): Promise<ApiSilence | undefined>;
  create(silence: NewSilence): Promise<string>;
  /** Expires a silence now; false when there is no such silence. */
  expire(id: string): Promise<boolean>;
}

/** One rule as the API lists it: the rules stage's own status view, served as is. */
export type ApiRule = RuleStatusView;

/** One rule group as the API lists it (Prometheus's /api/v1/rules shape), as the rules stage reports it. */
export type ApiRuleGroup = RuleGroupStatus;

/** Where the API reads rule groups from. */
export interface RulesSource {
  groups(): readonly ApiRuleGroup[];
}

/**
 * Where the Prometheus-compatible API reads series: a Querier over any time range (the service
 * hands in the store's, which reads the in-memory head and PostgreSQL for older ranges), and
 * the label sets of matching series without their samples, for /series and the label look-ups.
 */
export interface SeriesSource extends Querier {
  /** The labels (with `__name__`) of every series matching all `matchers` with a sample in [from, to] (ms; ±Infinity for open ends). */
  series(matchers: readonly Matcher[], from: number, to: number): Promise<readonly Readonly<Record<string, string>>[]>;
}
