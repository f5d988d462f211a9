/**
 * The rules stage: Prometheus rule files loaded into groups, evaluated on a clock with the PromQL
 * engine, alert lifecycle and notifications, alert state kept in the database, and rule unit
 * tests in promtool's format.
 */
export { alertSeries, dueForSending, fingerprint, RESOLVED_RETENTION_MS, restoreActiveAt, stepAlerts, type Alert, type AlertCandidate, type AlertState, type RestoreContext, type RuleOutput } from './alert-state.ts';
export { DEFAULT_OUTAGE_TOLERANCE_MS, loadGroupAlerts, saveGroupAlerts, type StoredAlert } from './alert-store.ts';
export { expandRuleFiles, loadConfiguredRuleFiles, loadRuleFile, loadRuleFiles, parseRuleFile, ruleCount, ruleFilesError, type LoadedRuleFile } from './file.ts';
export { groupKey, RuleGroup, type EvalTarget, type GroupContext, type RuleStatus } from './group.ts';
export { DEFAULT_EVALUATION_INTERVAL_MS, DEFAULT_RESEND_DELAY_MS, RuleManager, type RuleManagerOptions } from './manager.ts';
export { activeAlerts, generatorURL, groupStatus, toOutgoing, type ActiveAlert, type RuleGroupStatus, type RuleStatusView } from './status.ts';
export { expandTemplate, parseTemplate, type QuerySample, type Template, type TemplateData } from './template.ts';
export type { AlertingRuleSpec, AlertSink, OutgoingAlert, RecordingRuleSpec, RuleGroupSpec, RuleSpec } from './types.ts';
export { runUnitTestFile, runUnitTests, type UnitTestResult } from './unit-test.ts';
export { formatFileProblem, type FileProblem } from './yaml-source.ts';
