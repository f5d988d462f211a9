/**
 * The reference documentation, made from the code itself: every key of sluice.yaml from its
 * schema (type, default, allowed values) with what it does, and the help of every `sluice`
 * command as the program prints it. `npm run gen:docs` writes docs/configuration.md and
 * docs/cli.md; a test keeps them current and every key described.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import * as z from 'zod';
import { SHIPPED_RULES_DIR, sluiceConfigSchema } from '../app-config.ts';
import type { CliContext } from './context.ts';
import { buildProgram } from './main.ts';

/** This checkout's root, with a trailing slash. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What each key does. The keys are the schema's paths; `[]` stands for an element of a list. */
export const CONFIG_DESCRIPTIONS: Readonly<Record<string, string>> = {
  store: 'Where samples, alerts, notifications and quota decisions are kept: PostgreSQL at `url`, else embedded PGlite.',
  'store.url': 'PostgreSQL URL (`postgres://user:password@host:5432/db`). `DATABASE_URL` overrides it. Absent: embedded PGlite.',
  'store.dataDir': 'PGlite data directory, or `memory` (the default: data is lost at exit).',
  'store.schema': 'PostgreSQL schema for Sluice\'s tables, created if missing and made the only one on the connections\' search path (default: the server\'s search path).',
  'store.maxConnections': 'PostgreSQL connection pool size (default 4).',
  'store.headWindowMs': 'How much recent data is kept in memory for rules and the quota loop, ms (default 2 h); older windows are read from PostgreSQL.',
  'store.retention': 'Days each table keeps data; older partitions are dropped whole.',
  'store.retention.rawDays': 'Raw samples (default 7).',
  'store.retention.minuteDays': '1-minute rollups `samples_1m` (default 30).',
  'store.retention.hourDays': '1-hour rollups `samples_1h` (default 400).',
  'store.partitionsAheadDays': 'Days of daily partitions created ahead of time (default 2).',
  'store.maintenanceIntervalMs': 'Time between maintenance runs: partitions, rollups, retention (default 60 s).',
  'store.writer': 'The sample writer: batching into COPY, and buffering while PostgreSQL is unreachable.',
  'store.writer.batchSamples': 'Samples per COPY batch (default 50,000).',
  'store.writer.flushIntervalMs': 'Longest a sample waits before its batch is written (default 1 s).',
  'store.writer.maxQueuedSamples': 'Queue bound while the database is reachable; beyond it writes wait (default 200,000).',
  'store.writer.maxBufferedSamples': 'Samples kept while the database is unreachable; beyond it the oldest are dropped and counted (default `bufferSeconds` × the observed rate).',
  'store.writer.bufferSeconds': 'Seconds of samples to buffer through an outage when `maxBufferedSamples` is not set (default 600).',
  'store.writer.retryMinMs': 'First retry delay after a failed write (default 250 ms), doubling up to `retryMaxMs`.',
  'store.writer.retryMaxMs': 'Longest retry delay (default 10 s).',
  clusters: 'The Kafka clusters to watch; at least one.',
  'clusters[].name': 'The cluster\'s name, written as the `cluster` label of every series; unique.',
  'clusters[].bootstrap': 'Bootstrap servers, `host:port`.',
  'clusters[].sasl': 'SASL/PLAIN credentials for the admin client.',
  'clusters[].sasl.mechanism': 'Only `PLAIN`.',
  'clusters[].sasl.username': 'SASL user.',
  'clusters[].sasl.password': 'SASL password.',
  'clusters[].metrics': 'Broker exporter endpoints (Prometheus text, JMX exporter names): a URL, or `{ url, broker }` to give the series a `broker` label.',
  'clusters[].hosts': 'node_exporter endpoints of the broker hosts.',
  'clusters[].intervals': 'Seconds between cycles of each collector.',
  'clusters[].intervals.host': 'node_exporter scrapes.',
  'clusters[].intervals.cluster': 'Brokers, controller, partitions and replicas (Metadata), broker exporter scrapes.',
  'clusters[].intervals.topics': 'Topic offsets, consumer group offsets and lag.',
  'clusters[].intervals.clients': 'Per-client rates, throttle times and quota utilization.',
  'clusters[].forgetRemovedBrokersAfter': 'Seconds a known broker keeps reading as down once the cluster neither lists it nor assigns it a replica (drained and removed); a broker that is down while it holds replicas is never forgotten. `sluice brokers forget` drops one at once.',
  'clusters[].timeLag': 'How lag in seconds (`kafka_consumergroup_group_lag_seconds`) is found: read from the message at each committed offset that is behind the log end, else interpolated (docs/consumer-lag.md).',
  'clusters[].timeLag.recordReadsPerCycle': 'Most messages read per topics cycle (one small Fetch each) for their timestamps (default 1000); partitions beyond it are interpolated that cycle and read first the next. 0: always interpolate.',
  'clusters[].timeouts': 'Timeouts, ms.',
  'clusters[].timeouts.requestMs': 'Kafka request timeout.',
  'clusters[].timeouts.connectMs': 'Kafka connect timeout.',
  'clusters[].timeouts.scrapeMs': 'Metrics endpoint scrape timeout.',
  api: 'The HTTP API (health, metrics, alerts, silences, rules, throttle, replay, the status page, and Prometheus\'s query API: see docs/prometheus-api.md).',
  'api.port': 'Port to listen on; 0 picks a free one. `--api-port` overrides it.',
  'api.host': 'Interface to listen on.',
  'api.token': 'Bearer token of the mutating endpoints (silences, apply, replay); without one they are disabled. `SLUICE_API_TOKEN` overrides it.',
  'api.queryTimeout': 'Seconds a PromQL query of the Prometheus API (`/api/v1/query`, `/api/v1/query_range`) may run at most; a request\'s `timeout` can only shorten it. Longer: `timeout` error (503).',
  'api.queryMaxSamples': 'Most samples one PromQL query may hold at once (Prometheus\'s `query.max-samples`); more: `execution` error (422).',
  log: 'Logging (JSON lines on stderr).',
  'log.level': 'Least severe level written.',
  rules: 'Alerting and recording rules in Prometheus\'s rule file format.',
  'rules.files': 'Rule files, or directories of `*.yaml` / `*.yml`, relative to the config file.',
  'rules.interval': 'Seconds between evaluations of groups that set no `interval`.',
  'rules.externalLabels': 'Labels added to every alert (and to recorded series without a `cluster`).',
  'rules.externalUrl': 'Base of the alerts\' `generatorURL`, `<base>/graph?g0.expr=…`: a Prometheus or another Sluice that reads the same series (default the API\'s own URL, whose `/graph` page shows the expression\'s result now and over the last hour).',
  notify: 'Where alerts go, in Alertmanager\'s configuration format; absent: alerts are evaluated and listed, not sent.',
  'notify.route': 'The routing tree: `receiver`, `matchers`, `continue`, `group_by`, `group_wait`, `group_interval`, `repeat_interval`, child `routes`.',
  'notify.receivers': 'Receivers by name, each with its integrations.',
  'notify.receivers[].name': 'The name routes refer to.',
  'notify.receivers[].email_configs': 'Email over SMTP (text and HTML bodies).',
  'notify.receivers[].email_configs[].to': 'Recipient(s).',
  'notify.receivers[].email_configs[].from': 'Sender.',
  'notify.receivers[].email_configs[].smarthost': 'SMTP server, `host:port`.',
  'notify.receivers[].email_configs[].auth_username': 'SMTP user.',
  'notify.receivers[].email_configs[].auth_password': 'SMTP password.',
  'notify.receivers[].email_configs[].require_tls': 'Refuse to send without STARTTLS.',
  'notify.receivers[].email_configs[].send_resolved': 'Also notify when alerts resolve.',
  'notify.receivers[].email_configs[].headers': 'Extra headers (`Subject` among them).',
  'notify.receivers[].email_configs[].html': 'HTML body template (default: the alerts listed with links).',
  'notify.receivers[].email_configs[].text': 'Text body template.',
  'notify.receivers[].webhook_configs': 'Webhooks receiving Alertmanager\'s version-4 JSON payload.',
  'notify.receivers[].webhook_configs[].url': 'Where to POST.',
  'notify.receivers[].webhook_configs[].send_resolved': 'Also notify when alerts resolve.',
  'notify.receivers[].webhook_configs[].max_alerts': 'Most alerts per payload; 0 for all.',
  'notify.receivers[].webhook_configs[].hmac_secret': 'Secret of the `X-Sluice-Signature: sha256=…` HMAC header.',
  'notify.receivers[].webhook_configs[].timeout': 'Request timeout (a duration such as `10s`).',
  'notify.receivers[].alertmanager_configs': 'Forwarding to an Alertmanager (`POST /api/v2/alerts`).',
  'notify.receivers[].alertmanager_configs[].url': 'The Alertmanager\'s base URL.',
  'notify.receivers[].alertmanager_configs[].timeout': 'Request timeout.',
  'notify.inhibit_rules': 'Inhibition: alerts matching `target_matchers` are muted while one matching `source_matchers` fires with the same `equal` labels.',
  'notify.inhibit_rules[].source_matchers': 'Matchers of the inhibiting alert.',
  'notify.inhibit_rules[].target_matchers': 'Matchers of the muted alerts.',
  'notify.inhibit_rules[].equal': 'Labels that must be equal on both.',
  'notify.external_url': 'Sluice\'s URL as notifications link to it.',
  throttle: 'The closed-loop client quota tuning, per cluster: diagnose, analyze, adjust.',
  'throttle.mode': '`off`: no loop; `recommend`: decide and explain, push nothing; `auto`: push through the guardrails.',
  'throttle.interval': 'Seconds between rounds.',
  'throttle.target': 'Utilization the loop steers the busiest broker to.',
  'throttle.window': 'Seconds of history behind load model fits and demand estimates.',
  'throttle.rateWindow': "Seconds of counter history behind each rate the loop reads; at least two collection intervals, and a whole multiple of the brokers' client quota window (quota.window.num × quota.window.size.seconds, 11 s by default), or five of them or more: a throttled client's traffic repeats with that window's period and averages to its quota over whole ones. The loop reads the window from the brokers and warns otherwise.",
  'throttle.brokerCapacity': 'Network capacity of each broker, for brokers that do not export `sluice_broker_network_capacity_bytes_per_second` (Apache Kafka does not; the bundled brokers do): the NIC\'s rate, or what Kafka may use of it.',
  'throttle.brokerCapacity.bytesInPerSec': 'Bytes in per second (default 1 GiB/s).',
  'throttle.brokerCapacity.bytesOutPerSec': 'Bytes out per second (default 1 GiB/s).',
  'throttle.groups': 'Business groups, matched in order; a client belongs to the first that matches. Rates are bytes per second per broker.',
  'throttle.groups[].name': 'The group\'s name, shown in decisions.',
  'throttle.groups[].priority': 'Higher priorities are served first, after every floor.',
  'throttle.groups[].weight': 'Share within a priority (weighted max-min fairness).',
  'throttle.groups[].floor': 'Least quota any client of the group gets.',
  'throttle.groups[].ceiling': 'Most quota any client of the group gets.',
  'throttle.groups[].match': 'Patterns on user and client-id (`*` any run, `?` one character); any pattern matching puts a client in the group.',
  'throttle.groups[].match[].user': 'Kafka user (principal name).',
  'throttle.groups[].match[].clientId': 'Client id.',
  'throttle.exempt': "Clients the loop never limits, whatever group they match (same patterns as a group's `match`). Default: Sluice's own clients (`sluice-collect-<cluster>`, `sluice-throttle-<cluster>`, …), so that the loop never slows the collectors it reads the brokers through.",
  'throttle.exempt[].user': 'Kafka user (principal name).',
  'throttle.exempt[].clientId': 'Client id.',
  'throttle.diagnosis': 'Thresholds of the diagnosis.',
  'throttle.diagnosis.overload': 'Utilization from which the cluster is overloaded (tighten now).',
  'throttle.diagnosis.headroomFraction': 'Below this fraction of the target the cluster has headroom (quotas may be relaxed).',
  'throttle.diagnosis.minIdle': 'Request handler idle below this is pressure.',
  'throttle.diagnosis.maxQueueMs': 'Request queue time p99 above this is pressure, ms.',
  'throttle.diagnosis.maxLatencyMs': 'Produce/fetch latency p99 above this is pressure, ms.',
  'throttle.diagnosis.confirmRounds': 'Rounds a new state must be seen in a row before the loop acts on it (hysteresis).',
  'throttle.diagnosis.pressureAlerts': 'Alert names whose firing counts as pressure on the brokers. Default none: only broker load does; a lagging consumer or a topic spike is not by itself a reason to slow other clients.',
  'throttle.guardrails': 'Limits on every change.',
  'throttle.guardrails.cooldown': 'Seconds between two changes of one entity.',
  'throttle.guardrails.maxDecrease': 'A round lowers a quota to no less than this fraction of it.',
  'throttle.guardrails.maxIncrease': 'A round raises a quota to no more than this multiple of it.',
  'throttle.guardrails.minChange': 'Changes smaller than this fraction are skipped.',
  'throttle.guardrails.minR2': 'No change while the handler fit that sets a direction\'s capacity fits worse than this R² (network bounds are exact and not held to it).',
  'throttle.guardrails.maxChangesPerEpisode': 'Changes to one client\'s quota from its first change until the operator\'s setting is back; the last is kept for taking the quota off, which happens once the cluster has headroom.',
  'throttle.guardrails.maxModelError': 'A broker\'s fitted handler model is not used while its mean one-round-ahead error over the last 5 rounds is above this (utilization, 0..1); the network alone bounds that broker.',
  balance: 'Partition balancing within resource groups: `sluice balance plan` makes an explained reassignment plan from the measured per-partition load.',
  'balance.mode': '`off`: no planning or execution; `recommend`: plans are made and explained, and executed when a person asks (`sluice balance execute`, the API); `auto`: the service also executes stored plans by itself.',
  'balance.groups': 'Resource groups: brokers reserved for some topics. Placement never crosses groups; brokers in no group form the group `default`, which holds the topics no group names.',
  'balance.groups[].name': 'The group\'s name (lowercase; not `default`).',
  'balance.groups[].brokers': 'Broker ids of the group; a broker is in one group at most.',
  'balance.groups[].topics': 'Topic names or globs (`*` any run, `?` one character); a topic belongs to the first group that matches it.',
  'balance.capacity': 'What each broker may carry; no plan puts a broker above capacity × `utilization`.',
  'balance.capacity.bytesInPerSec': 'Network in, bytes/s, produce and replication together (default 1 GiB/s).',
  'balance.capacity.bytesOutPerSec': 'Network out, bytes/s, consumers and replication together (default 1 GiB/s).',
  'balance.capacity.diskBytes': 'Disk for partition logs, bytes (default 1 TiB).',
  'balance.capacity.utilization': 'Fraction of each capacity a plan may use (default 0.8).',
  'balance.peak': 'The statistic each partition\'s load is planned on.',
  'balance.peak.statistic': '`p<N>` (such as `p95`, the default), `max` or `mean` of the per-step rates over the window.',
  'balance.peak.window': 'History the statistic is taken over (default `24h`, so that the daily peak counts).',
  'balance.peak.step': 'Step of the per-partition rates the statistic is taken on (default `1m`).',
  'balance.budget': 'Most one plan may move.',
  'balance.budget.maxMoves': 'Actions (replica moves and leadership changes) per plan (default 200).',
  'balance.budget.maxBytes': 'Bytes copied per plan (default no limit).',
  'balance.balancedRatio': 'A group is balanced on a byte resource when max/min per broker is at most this (default 1.1).',
  'balance.throttleBytesPerSec': 'Replication throttle rate per broker, bytes/s, at which a plan\'s expected duration is computed (default 50 MiB/s).',
  'balance.execution': 'How plans are executed: batches, guardrails, the replication throttle (docs/balance.md).',
  'balance.execution.perBroker': 'Moves in flight that copy from or to one broker (its leader replica or a new replica) (default 2).',
  'balance.execution.maxInFlight': 'Moves in flight in all (default 20).',
  'balance.execution.maxMovesPerHour': 'Moves started in any hour, at most (default 120).',
  'balance.execution.blackout': 'Times no batch starts, in UTC: `HH:MM-HH:MM` or a five-field cron expression such as `* 9-17 * * 1-5`.',
  'balance.execution.pollInterval': 'Seconds between rounds of an execution (default 5).',
  'balance.execution.throttle': 'The replication throttle: each broker\'s headroom (capacity × utilization − measured client traffic) within floor and ceiling.',
  'balance.execution.throttle.ceiling': 'Most bytes/s a broker\'s throttle is set to (default 100 MiB/s).',
  'balance.execution.throttle.floor': 'Least bytes/s, so that a move always progresses (default 1 MiB/s).',
  'balance.execution.throttle.rateWindow': 'Seconds of client traffic the headroom is measured over (default 300).',
  'balance.execution.throttle.surgeWindow': 'Seconds of recent client traffic also measured; the higher rate counts, so a move yields to a surge at the next poll (default 30; at most the rate window).',
  'balance.execution.electLeaders': 'Elect the moved partitions\' preferred leaders once every move is done (default true).',
  'balance.execution.onRecovery': 'What a process that takes over an execution left by a stopped one does: `continue` (default) or `cancel`.',
  'balance.execution.takeOverAfter': 'Seconds without a heartbeat from the process running an execution after which another takes it over (default 60).',
};

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  minItems?: number;
  pattern?: string;
  required?: string[];
}

/** One documented key. */
export interface ConfigKey {
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly default: string;
  readonly allowed: string;
}

function typeOf(s: JsonSchema): string {
  if (s.enum !== undefined) return 'string';
  if (s.const !== undefined) return typeof s.const;
  if (s.type === 'array') return `list of ${s.items === undefined ? 'any' : typeOf(s.items)}`;
  if (Array.isArray(s.type)) return s.type.join(' or ');
  if (s.type !== undefined) return s.type === 'object' && s.properties === undefined ? 'map' : s.type;
  const alts = s.anyOf ?? s.oneOf;
  if (alts !== undefined) return [...new Set(alts.map(typeOf))].join(' or ');
  return 'object';
}

function allowedOf(s: JsonSchema): string {
  const out: string[] = [];
  if (s.enum !== undefined) out.push(s.enum.map((v) => `\`${String(v)}\``).join(', '));
  if (s.const !== undefined) out.push(`\`${String(s.const)}\``);
  const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
  if (s.minimum !== undefined && max !== undefined) out.push(`${s.minimum} to ${max}`);
  else if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  else if (max !== undefined) out.push(`≤ ${max}`);
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.exclusiveMaximum !== undefined) out.push(`< ${s.exclusiveMaximum}`);
  if (s.minLength !== undefined && s.minLength > 1) out.push(`at least ${s.minLength} characters`);
  if (s.minItems !== undefined) out.push(`at least ${s.minItems}`);
  if (s.pattern !== undefined) out.push(`matching \`${s.pattern}\``);
  if (s.type === 'array' && s.items !== undefined && out.length === 0) return allowedOf(s.items);
  return out.join('; ');
}

function defaultOf(s: JsonSchema): string {
  if (s.default === undefined) return '';
  if (Array.isArray(s.default) && s.default.length === 1 && s.default[0] === SHIPPED_RULES_DIR) return 'the shipped `rules/`';
  const text = JSON.stringify(s.default);
  return text === '{}' ? '' : `\`${text}\``;
}

/** Every key of sluice.yaml, in schema order. */
export function configKeys(): ConfigKey[] {
  const root = z.toJSONSchema(sluiceConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out: ConfigKey[] = [];
  const walk = (s: JsonSchema, prefix: string): void => {
    for (const [name, child] of Object.entries(s.properties ?? {})) {
      const path = `${prefix}${name}`;
      out.push({ path, type: typeOf(child), required: (s.required ?? []).includes(name) && child.default === undefined, default: defaultOf(child), allowed: allowedOf(child) });
      if (child.properties !== undefined) walk(child, `${path}.`);
      else if (child.type === 'array' && child.items?.properties !== undefined) walk(child.items, `${path}[].`);
    }
  };
  walk(root, '');
  return out;
}

/** docs/configuration.md. */
export function configReference(): string {
  const keys = configKeys();
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const lines = [
    '# sluice.yaml reference',
    '',
    'Generated from the config schema by `npm run gen:docs`; do not edit. Every key, its type, default and',
    'allowed values. A bad key or value is reported as `file:line:col: path: what was expected`. See',
    '`sluice.example.yaml` for a complete file.',
    '',
    '| key | type | default | allowed | what it does |',
    '| --- | --- | --- | --- | --- |',
    ...keys.map((k) => `| \`${k.path}\`${k.required ? ' (required)' : ''} | ${cell(k.type)} | ${cell(k.default)} | ${cell(k.allowed)} | ${cell(CONFIG_DESCRIPTIONS[k.path] ?? '')} |`),
    '',
  ];
  return lines.join('\n');
}

/** docs/cli.md: the help of `sluice` and of every command under it. */
export function cliReference(): string {
  const ctx: CliContext = {
    stdout: () => {},
    stderr: () => {},
    logger: undefined as never,
    startCluster: () => Promise.reject(new Error('not used')),
    shutdownRequested: () => new Promise(() => {}),
  } as CliContext;
  const program = buildProgram(ctx);
  const sections: string[] = ['# `sluice` command reference', '', 'Generated from the program\'s own help by `npm run gen:docs`; do not edit.', ''];
  const visit = (cmd: Command, names: string[]): void => {
    const full = names.join(' ');
    // No wrapping: the help wraps to the terminal otherwise, and the defaults that are paths in
    // this checkout are made relative to it below (their length would move the wrapping).
    cmd.configureHelp({ helpWidth: 10_000 });
    sections.push(`## \`${full}\``, '', '```text', cmd.helpInformation().split(ROOT).join('').trimEnd(), '```', '');
    for (const sub of cmd.commands) visit(sub, [...names, sub.name()]);
  };
  visit(program, ['sluice']);
  return sections.join('\n');
}
