/**
 * A full collection cycle (cluster, topic/group, client and host collectors once, concurrently,
 * as the scheduler runs them) against the bundled 3-broker cluster holding 20,000 partitions and
 * 2,000 consumer groups. The cluster runs in a child process (`sluice broker`), as brokers do in
 * production: the collectors never share their event loop with the brokers. Topics are created
 * through the Kafka protocol (CreateTopics, in batches); groups by committing offsets with
 * OffsetCommit generation -1 through the admin client. Samples go to a counting sink: this
 * measures collection, not ingest (see bench:ingest).
 *
 * Group g commits on topic g mod topics, `--commits` times before the cycles, so that Burrow's
 * windows are full (10 commits: Burrow's default) when the timed cycles evaluate them; commits
 * are read from `__consumer_offsets`. The first `--lagging` topics hold one message per partition
 * more than their groups committed, and before each cycle one more message is produced and those
 * groups commit one further: every cycle their partitions want a new record read for lag in
 * seconds (bounded by the budget, 1000 reads a cycle by default). One more group, `wide`, commits
 * on the 1,000 partitions of the first 100 topics. Printed besides the cycle: the Burrow
 * evaluation of every group alone, and `GET /v3/kafka/bench/consumer/wide/lag` over real HTTP.
 *
 *   npm run bench:collect [-- --topics 2000 --partitions 10 --groups 2000 --cycles 7 --commits 10 --lagging 200 --api-calls 50]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import { Registry } from 'prom-client';
import { KafkaAdmin } from '../src/kafka/admin.ts';
import { buildCollectors, CollectScheduler, parseCollectConfig, TopicCollector } from '../src/collect/index.ts';
import { evaluateGroup } from '../src/collect/lag/burrow.ts';
import { buildApi, listenApi } from '../src/api/server.ts';
import { burrowRoutes } from '../src/api/routes/burrow.ts';
import { burrowCluster } from '../src/api/burrow/source.ts';
import type { SampleSink } from '../src/store/types.ts';

const { values } = parseArgs({ options: {
  topics: { type: 'string', default: '2000' }, partitions: { type: 'string', default: '10' },
  groups: { type: 'string', default: '2000' }, cycles: { type: 'string', default: '7' }, rf: { type: 'string', default: '3' },
  commits: { type: 'string', default: '10' }, lagging: { type: 'string', default: '200' }, 'api-calls': { type: 'string', default: '50' },
} });
const topics = Number(values.topics);
const perTopic = Number(values.partitions);
const groups = Number(values.groups);
const cycles = Number(values.cycles);
const commitRounds = Number(values.commits);
const laggingTopics = Math.min(Number(values.lagging), topics);
const apiCalls = Number(values['api-calls']);
const wideTopics = Math.min(100, topics);
const brokerCount = 3;

/** Median and 99th percentile (nearest rank) of `values`. */
function percentiles(values: readonly number[]): { median: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { median: sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2, p99: rank(0.99) };
}

/** Starts `sluice broker` in a child process; resolves with its listeners and metrics URLs. */
async function startBrokers(): Promise<{ listeners: Map<number, string>; metrics: Map<number, string>; stop: () => Promise<void> }> {
  const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
  // Profiling flags given to the bench (`node --cpu-prof --cpu-prof-dir=DIR ...`) profile the brokers too.
  const profiling = process.execArgv.filter((a) => a.startsWith('--cpu-prof'));
  const child = spawn(process.execPath, [
    ...profiling, '--import', 'tsx', main, 'broker', '--port', '0', '--brokers', String(brokerCount),
    '--metrics-port', '0', '--control-port', '0', '--no-auto-leader-rebalance',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  // The broker's log goes to stderr; keep its tail for the error message if it dies early.
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { log = (log + chunk).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const listeners = new Map<number, string>();
  const metrics = new Map<number, string>();
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`sluice broker exited (${code ?? signal}) before it was ready:\n${log}`)));
      child.once('error', reject);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let m = /^sluice broker (\d+) listening on (\S+)$/.exec(line);
        if (m) listeners.set(Number(m[1]), m[2]!);
        m = /^sluice broker (\d+) metrics on (\S+)$/.exec(line);
        if (m) metrics.set(Number(m[1]), m[2]!);
        if (listeners.size === brokerCount && metrics.size === brokerCount) resolve();
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { listeners, metrics, stop };
}

const brokers = await startBrokers();
try {
  const ids = [...brokers.listeners.keys()].sort((a, b) => a - b);
  const bootstrap = ids.map((id) => brokers.listeners.get(id)!);
  let t = performance.now();
  const creator = new Admin({ clientId: 'sluice-bench', bootstrapBrokers: bootstrap });
  try {
    for (let start = 0; start < topics; start += 200) {
      const batch = Array.from({ length: Math.min(200, topics - start) }, (_, k) => `bench-${start + k}`);
      await creator.createTopics({ topics: batch, partitions: perTopic, replicas: Number(values.rf) });
    }
  } finally {
    await creator.close();
  }
  console.log(`created ${topics} topics × ${perTopic} partitions (RF ${values.rf}) in ${(performance.now() - t).toFixed(0)} ms`);

  // The lagging topics: `ends` messages in each partition, groups one behind.
  const producer = new Producer({ clientId: 'sluice-bench', bootstrapBrokers: bootstrap, acks: ProduceAcks.LEADER });
  let ends = 0;
  const produceRound = async (): Promise<void> => {
    const messages = [];
    for (let i = 0; i < laggingTopics; i++) for (let p = 0; p < perTopic; p++) messages.push({ topic: `bench-${i}`, partition: p, value: Buffer.from('x') });
    for (let i = 0; i < messages.length; i += 1000) await producer.send({ messages: messages.slice(i, i + 1000) });
    ends++;
  };
  const admin = new KafkaAdmin({ bootstrap });
  await admin.metadata();
  const commit = async (group: string, topicsOf: readonly number[], offset: number): Promise<void> => {
    const r = await admin.commitOffsets(group, topicsOf.flatMap((i) => Array.from({ length: perTopic }, (_, p) => ({ topic: `bench-${i}`, partition: p, offset }))));
    if (r.errors.length > 0) throw new Error(JSON.stringify(r.errors));
  };
  /** One commit of every group: the lagging ones one behind the log end. */
  const commitRound = async (onlyLagging: boolean): Promise<void> => {
    const count = onlyLagging ? Math.min(groups, laggingTopics) : groups;
    for (let start = 0; start < count; start += 100) {
      await Promise.all(Array.from({ length: Math.min(100, count - start) }, (_, k) => {
        const g = start + k;
        return commit(`group-${g}`, [g % topics], g % topics < laggingTopics ? ends - 1 : 0);
      }));
    }
  };
  t = performance.now();
  if (laggingTopics > 0) await produceRound();
  for (let r = 0; r < commitRounds; r++) {
    await commitRound(false);
    await commit('wide', Array.from({ length: wideTopics }, (_, i) => i), 0);
  }
  console.log(`${commitRounds} commits of ${groups} groups and of wide (${wideTopics * perTopic} partitions); ${laggingTopics * perTopic} partitions lagging, in ${(performance.now() - t).toFixed(0)} ms`);

  const endpoints = ids.map((id) => brokers.metrics.get(id)!);
  const config = parseCollectConfig({ clusters: [{
    name: 'bench', bootstrap,
    metrics: ids.map((id, i) => ({ url: endpoints[i]!, broker: id })),
    hosts: [endpoints[0]!],
    timeouts: { requestMs: 30_000, scrapeMs: 30_000 },
  }] });
  let written = 0;
  const sink: SampleSink = { write: async (batch) => { written += batch.length; } };
  const collectors = buildCollectors(config);
  const topicCollector = collectors.find((c): c is TopicCollector => c instanceof TopicCollector)!;
  const scheduler = new CollectScheduler({ collectors, sink, registry: new Registry(), jitter: 0 });

  // A first cycle learns the log end offsets and starts reading __consumer_offsets; the timed
  // cycles begin once every commit made so far has been read into the windows.
  await scheduler.runOnce(['topics']);
  t = performance.now();
  const expected = commitRounds * (groups + wideTopics) * perTopic;
  while ((topicCollector.commits.readerState?.records ?? 0) < expected) {
    if (performance.now() - t > 300_000) throw new Error(`__consumer_offsets: ${topicCollector.commits.readerState?.records} of ${expected} commits read after 5 min`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  console.log(`__consumer_offsets read (${topicCollector.commits.readerState?.records} records) ${(performance.now() - t).toFixed(0)} ms after the first cycle`);

  const totals: number[] = [];
  const gauge = (samples: readonly { metric: string; value: number }[] | undefined, metric: string) => samples?.find((x) => x.metric === metric)?.value ?? 0;
  for (let c = 1; c <= cycles; c++) {
    // Untimed: the lagging partitions grow by one message and their groups commit one further.
    if (laggingTopics > 0) {
      await produceRound();
      await commitRound(true);
    }
    written = 0;
    const started = performance.now();
    const results = await scheduler.runOnce();
    const total = performance.now() - started;
    totals.push(total);
    const parts = results.map((r) => `${r.collector.name} ${(r.seconds * 1000).toFixed(0)} ms (${r.result?.samples.length ?? 0} samples, ${r.result?.errors.length ?? 0} errors)`);
    const topicSamples = results.find((r) => r.collector === topicCollector)?.result?.samples;
    const reads = `record reads ${gauge(topicSamples, 'sluice_lag_seconds_record_reads')}, deferred ${gauge(topicSamples, 'sluice_lag_seconds_reads_deferred')}`;
    console.log(`cycle ${c}: total ${total.toFixed(0)} ms, ${written} samples | ${parts.join(' | ')} | ${reads}`);
  }
  // The first cycle of a process pays for connections, API version discovery and compilation;
  // the later ones are what a running service sees every interval.
  const later = totals.slice(1).sort((a, b) => a - b);
  const median = later.length === 0 ? NaN : later[Math.floor((later.length - 1) / 2)]!;
  console.log(`full cycle, ${topics * perTopic} partitions, ${groups} groups: first ${totals[0]!.toFixed(0)} ms; later cycles median ${median.toFixed(0)} ms (min ${later[0]?.toFixed(0)}, max ${later.at(-1)?.toFixed(0)}); goal < 1000 ms: first ${(totals[0]! / 1000).toFixed(2)}, median ${(median / 1000).toFixed(2)} of the budget`);
  // Each collector alone, so that its own cost shows without the others sharing the event loop.
  const alone: string[] = [];
  for (const name of ['cluster', 'topics', 'clients', 'host']) {
    // Past the shared scrape cache's lifetime, so that no collector reuses another's scrape.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const [r] = await scheduler.runOnce([name]);
    alone.push(`${name} ${((r?.seconds ?? 0) * 1000).toFixed(0)} ms`);
  }
  console.log(`each collector alone: ${alone.join(' | ')}`);

  // Burrow's evaluation of every group, as each topics cycle runs it (and each /status or /lag).
  const windows = topicCollector.commits.windows;
  const names = windows.groups();
  let partitionsJudged = 0;
  let commitsJudged = 0;
  for (const g of names) for (const w of windows.groupWindows(g)) {
    partitionsJudged++;
    commitsJudged += w.window.commits.length;
  }
  const evaluations: number[] = [];
  for (let r = 0; r < 7; r++) {
    const started = performance.now();
    const statuses = new Map<string, number>();
    for (const g of names) {
      const status = evaluateGroup(windows.groupWindows(g), Date.now(), topicCollector.evaluator).status;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    evaluations.push(performance.now() - started);
    if (r === 0) console.log(`Burrow statuses: ${[...statuses].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  const evaluation = percentiles(evaluations).median;
  console.log(`Burrow evaluation of ${names.length} groups (${partitionsJudged} partitions, ${commitsJudged} commits in their windows, source ${topicCollector.commits.source}): median ${evaluation.toFixed(1)} ms of 7, ${(evaluation / median * 100).toFixed(1)}% of the median full cycle`);

  // Record reads for lag in seconds alone: the first message of up to 1,000 lagging partitions.
  if (laggingTopics > 0) {
    const meta = await admin.metadata();
    const targets = [...meta.topics].filter(([name]) => /^bench-\d+$/.test(name) && Number(name.slice(6)) < laggingTopics)
      .flatMap(([, t]) => t.partitions.map((p) => ({ topic: p.topic, topicId: t.id, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, offset: 0 })))
      .slice(0, 1000);
    const readTimes: number[] = [];
    for (let r = 0; r < 5; r++) {
      const started = performance.now();
      const got = await admin.readRecordTimes(targets);
      readTimes.push(performance.now() - started);
      if (got.errors.length > 0 || got.value.length !== targets.length) throw new Error(`record reads: ${got.value.length} of ${targets.length}, ${JSON.stringify(got.errors.slice(0, 3))}`);
    }
    console.log(`${targets.length} record reads (one Fetch each, 32 in flight) alone: median ${percentiles(readTimes).median.toFixed(0)} ms of 5`);
  }

  // The Burrow API over real HTTP: /lag of the group with 1,000 partitions.
  const api = await buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, plugins: [(app) => burrowRoutes(app, { clusters: () => [burrowCluster(topicCollector)] })] });
  try {
    const url = `${await listenApi(api, 0)}/v3/kafka/bench/consumer/wide/lag`;
    const call = async (): Promise<{ ms: number; body: any; bytes: number }> => {
      const started = performance.now();
      const res = await fetch(url);
      const text = await res.text();
      const ms = performance.now() - started;
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 200)}`);
      return { ms, body: JSON.parse(text), bytes: text.length };
    };
    const first = await call();
    const times: number[] = [];
    // CPU time of this process (server and client both) per call: what the call costs however busy the machine is.
    const cpu = process.cpuUsage();
    for (let i = 0; i < apiCalls; i++) times.push((await call()).ms);
    const used = process.cpuUsage(cpu);
    const { median: apiMedian, p99 } = percentiles(times);
    const status = first.body.status;
    console.log(`GET /v3/kafka/bench/consumer/wide/lag (${status.partition_count} partitions, ${status.status}, totallag ${status.totallag}, ${first.bytes} bytes): first ${first.ms.toFixed(1)} ms; ${apiCalls} calls median ${apiMedian.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms, CPU ${((used.user + used.system) / 1000 / apiCalls).toFixed(1)} ms a call; goal < 50 ms: median ${(apiMedian / 50).toFixed(2)}, p99 ${(p99 / 50).toFixed(2)} of the budget`);
  } finally {
    await api.close();
  }
  await scheduler.stop();
  await admin.close();
  await producer.close();
} finally {
  await brokers.stop();
}
