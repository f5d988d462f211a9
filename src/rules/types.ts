/**
 * The rules stage's own types: rule groups as loaded from Prometheus rule files, and the
 * `AlertSink` seam through which alerts leave for the notifier. An `OutgoingAlert` is exactly
 * what Alertmanager's `POST /api/v2/alerts` takes, so a sink may forward it unchanged.
 * https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/
 */
import type { Expr } from './promql/index.ts';

/** A recording rule: `record` gets the value of `expr` at every evaluation. */
export interface RecordingRuleSpec {
  readonly kind: 'recording';
  /** The metric name written. */
  readonly name: string;
  /** The expression as written in the file. */
  readonly exprText: string;
  readonly expr: Expr;
  readonly labels: Readonly<Record<string, string>>;
}

/** An alerting rule: one alert per series `expr` returns. */
export interface AlertingRuleSpec {
  readonly kind: 'alerting';
  /** The `alertname`. */
  readonly name: string;
  readonly exprText: string;
  readonly expr: Expr;
  /** How long a series must be returned before the alert fires (`for`), ms. */
  readonly forMs: number;
  /** How long the alert keeps firing after the series is gone (`keep_firing_for`), ms. */
  readonly keepFiringForMs: number;
  /** Templates, expanded each evaluation. */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** Either kind of rule. */
export type RuleSpec = RecordingRuleSpec | AlertingRuleSpec;

/** One `groups[]` entry of a rule file. */
export interface RuleGroupSpec {
  readonly name: string;
  /** The file it came from, as given. */
  readonly file: string;
  /** Evaluation interval, ms; undefined means the manager's default. */
  readonly intervalMs: number | undefined;
  /** Most series a rule may return (0: no limit); more fails the rule's evaluation. */
  readonly limit: number;
  readonly rules: readonly RuleSpec[];
}

/** An alert as Alertmanager's `POST /api/v2/alerts` takes it. */
export interface OutgoingAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  /** ISO time the alert started firing. */
  readonly startsAt: string;
  /** ISO time: the resolution time once resolved, else a time after which it expires unless re-sent. */
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly status?: 'firing' | 'resolved';
}

/**
 * Where alerts go. The contract: `send` is called after each group evaluation with the alerts
 * due (new firing ones, firing ones due for a re-send, resolved ones); it may reject, and a
 * rejected batch is not retried by the rules stage (the next re-send carries the same alerts).
 */
export interface AlertSink {
  send(alerts: readonly OutgoingAlert[]): Promise<void>;
  /**
   * Called once after start, when every group has been evaluated (and its due alerts sent) once:
   * a notifier that restored its groups may flush them from then on.
   */
  settled?(): void;
}
