/**
 * Rule evaluation cost: every shipped rule (rules/*.yaml) over 100,000 series of a large cluster
 * held in the in-memory head, as the service evaluates them (RuleManager.evaluateAll, recording
 * outputs written back to the head before later rules read them). Prints ms per full evaluation
 * (goal < 200 ms). Then runs the shipped rule unit tests with `sluice rules test` and, when
 * installed, `promtool test rules` on the same files, and prints the time ratio.
 *
 *   npm run bench:rules [-- --topics 2000 --partitions 10 --groups 1000 --rounds 5 --evaluation-only]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { VirtualClock } from '../src/clock.ts';
import { RuleManager } from '../src/rules/manager.ts';
import { Head } from '../src/store/head.ts';
import { SeriesCache } from '../src/store/series-cache.ts';
import { TieredQuerier } from '../src/store/tiered-querier.ts';
import type { Sample, SampleSink } from '../src/store/types.ts';

const { values } = parseArgs({ options: {
  topics: { type: 'string', default: '2000' }, partitions: { type: 'string', default: '10' },
  groups: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' },
  'evaluation-only': { type: 'boolean', default: false },
} });
const topics = Number(values.topics);
const perTopic = Number(values.partitions);
const groupCount = Number(values.groups);
const rounds = Number(values.rounds);
const root = fileURLToPath(new URL('..', import.meta.url));
const SCRAPE_MS = 30_000;
const HISTORY = 40; // 20 minutes of history at the scrape interval
const t0 = Date.UTC(2026, 0, 1);

const head = new Head();
const cache = new SeriesCache();
const sink: SampleSink = { write: async (batch: readonly Sample[]) => { for (const s of batch) head.append(cache.ref(s.metric, s.labels), s.ts, s.value); } };

/** Every generated series, to scrape again before each round. */
const scraped: { ref: ReturnType<SeriesCache['ref']>; value: (i: number) => number }[] = [];

/** Appends HISTORY samples of one series, value(i) at each scrape. */
function series(metric: string, labels: Record<string, string>, value: (i: number) => number): void {
  const ref = cache.ref(metric, { cluster: 'bench', ...labels });
  for (let i = 0; i < HISTORY; i++) head.append(ref, t0 + i * SCRAPE_MS, value(i));
  scraped.push({ ref, value });
}

let made = performance.now();
const brokers = ['0', '1', '2'];
for (let t = 0; t < topics; t++) {
  const topic = `topic-${t}`;
  for (const broker of brokers) {
    series('kafka_server_brokertopicmetrics_bytesin_total', { broker, topic }, (i) => i * 30 * (1000 + t));
    series('kafka_server_brokertopicmetrics_bytesout_total', { broker, topic }, (i) => i * 60 * (1000 + t));
    series('kafka_server_brokertopicmetrics_messagesin_total', { broker, topic }, (i) => i * 30 * (1 + (t % 50)));
  }
  for (let p = 0; p < perTopic; p++) {
    for (const broker of brokers) series('kafka_log_log_size', { broker, topic, partition: String(p) }, (i) => 1e9 + i * 1e5 + p * 1e6);
  }
}
for (let g = 0; g < groupCount; g++) {
  const group = `group-${g}`;
  const topic = `topic-${g % topics}`;
  for (let p = 0; p < perTopic; p++) {
    series('kafka_consumergroup_group_lag', { group, topic, partition: String(p) }, (i) => (g % 10 === 0 ? i * 100 : 5));
    series('kafka_consumergroup_group_lag_seconds', { group, topic, partition: String(p) }, (i) => (g % 10 === 0 ? i * 30 : 1));
  }
  series('kafka_consumergroup_group_sum_lag', { group }, (i) => (g % 10 === 0 ? i * 1000 : 50));
  series('kafka_consumergroup_group_max_lag_seconds', { group }, (i) => (g % 10 === 0 ? i * 30 : 1));
  series('sluice_consumergroup_status', { group }, () => (g % 10 === 0 ? 3 : 1));
}
for (let c = 0; c < 200; c++) {
  const labels = { user: `user-${c}`, client_id: `client-${c}` };
  series('sluice_client_produce_throttle_time_ms', labels, () => (c % 20 === 0 ? 200 : 0));
  series('sluice_client_fetch_throttle_time_ms', labels, () => 0);
  series('sluice_client_request_throttle_time_ms', labels, () => 0);
  series('sluice_client_quota_utilization', { ...labels, quota: 'producer_byte_rate' }, () => (c % 20 === 0 ? 0.95 : 0.3));
}
for (const broker of brokers) {
  series('kafka_server_brokertopicmetrics_bytesin_total', { broker }, (i) => i * 3e7);
  for (const name of ['kafka_controller_kafkacontroller_offlinepartitionscount', 'kafka_server_replicamanager_underreplicatedpartitions', 'kafka_server_replicamanager_underminisrpartitioncount', 'kafka_controller_kafkacontroller_preferredreplicaimbalancecount', 'kafka_controller_controllerstats_uncleanleaderelections_total', 'kafka_server_replicamanager_isrshrinks_total']) {
    series(name, { broker }, () => 0);
  }
  series('kafka_controller_kafkacontroller_activecontrollercount', { broker }, () => (broker === '0' ? 1 : 0));
  series('kafka_server_replicamanager_leadercount', { broker }, () => (topics * perTopic) / 3);
  series('sluice_cluster_broker_up', { broker }, () => 1);
  for (const mode of ['idle', 'user', 'system', 'iowait']) series('node_cpu_seconds_total', { instance: `b${broker}:9100`, cpu: '0', mode }, (i) => i * (mode === 'idle' ? 20 : 3));
  series('node_filesystem_avail_bytes', { instance: `b${broker}:9100`, mountpoint: '/var/lib/kafka', fstype: 'ext4', device: '/dev/sda1' }, (i) => 5e11 - i * 1e6);
  series('node_filesystem_size_bytes', { instance: `b${broker}:9100`, mountpoint: '/var/lib/kafka', fstype: 'ext4', device: '/dev/sda1' }, () => 1e12);
}
for (const collector of ['cluster', 'topics', 'clients', 'host']) {
  series('sluice_collector_errors_total', { collector }, () => 0);
  series('sluice_collector_skipped_total', { collector }, () => 0);
}
console.log(`${head.seriesCount} series, ${head.sampleCount} samples in the head, built in ${(performance.now() - made).toFixed(0)} ms`);

const files = readdirSync(`${root}rules`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${root}rules/${f}`);
const clock = new VirtualClock(t0 + (HISTORY - 1) * SCRAPE_MS);
// As the service reads: through the tiered querier, whose database part no shipped rule reaches.
const querier = new TieredQuerier(head, { select: async () => { throw new Error('a shipped rule reads past the head'); } }, () => clock.now());
const manager = new RuleManager({ querier, sink, clock, registry: new Registry() });
const loaded = await manager.reload(files);
const ruleCount = loaded.reduce((n, f) => n + f.groups.reduce((m, g) => m + g.rules.length, 0), 0);
const times: number[] = [];
for (let r = 0; r < rounds; r++) {
  const started = performance.now();
  await manager.evaluateAll(clock.now());
  times.push(performance.now() - started);
  // One more scrape of every series before the next round, as the collectors would do.
  clock.advance(SCRAPE_MS);
  const i = HISTORY + r;
  for (const s of scraped) head.append(s.ref, t0 + i * SCRAPE_MS, s.value(i));
}
const firing = manager.alerts().filter((a) => a.state === 'firing' || a.state === 'pending').length;
// The first round pays for compilation and for creating every recorded series; the later ones
// are what a running service sees every interval.
const later = times.slice(1).sort((a, b) => a - b);
const median = later[Math.floor((later.length - 1) / 2)]!;
console.log(`${ruleCount} shipped rules in ${loaded.length} files, ${rounds} rounds: ${times.map((t) => t.toFixed(0)).join(', ')} ms; first ${times[0]!.toFixed(0)} ms, later rounds median ${median.toFixed(0)} ms (goal < 200 ms, ratio ${(median / 200).toFixed(2)} of the budget); ${firing} alerts pending or firing`);
// Where the time goes in the last round: the slowest rules.
const slowest = manager.groups().flatMap((g) => g.rules.map((r) => ({ name: `${g.name}/${r.name}`, ms: r.evaluationMs ?? 0 }))).sort((a, b) => b.ms - a.ms).slice(0, 8);
console.log(`slowest rules in the last round: ${slowest.map((r) => `${r.name} ${r.ms.toFixed(1)} ms`).join(', ')}`);
const failing = manager.groups().flatMap((g) => g.rules.filter((r) => r.health === 'err').map((r) => `${g.name}/${r.name}: ${r.lastError}`));
if (failing.length > 0) console.log(`rules with errors: ${failing.join('; ')}`);

// sluice rules test vs promtool test rules on the shipped tests.
if (values['evaluation-only']) process.exit(0);
const tests = readdirSync(`${root}rules/tests`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${root}rules/tests/${f}`);
const timeIt = (cmd: string, args: string[]): number => {
  const started = performance.now();
  execFileSync(cmd, args, { stdio: 'pipe', cwd: root });
  return performance.now() - started;
};
const ours = timeIt(process.execPath, ['--import', 'tsx', `${root}src/cli/main.ts`, 'rules', 'test', ...tests]);
if (existsSync('/usr/bin/promtool')) {
  const theirs = timeIt('/usr/bin/promtool', ['test', 'rules', ...tests]);
  console.log(`rule unit tests (${tests.length} files): sluice rules test ${ours.toFixed(0)} ms, promtool test rules ${theirs.toFixed(0)} ms, ratio ${(ours / theirs).toFixed(2)} (sluice's includes starting Node and loading TypeScript)`);
} else {
  console.log(`rule unit tests (${tests.length} files): sluice rules test ${ours.toFixed(0)} ms; promtool not installed`);
}
