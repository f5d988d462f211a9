/**
 * A full collection cycle (cluster, topic/group, client and host collectors once, concurrently,
 * as the scheduler runs them) against the bundled 3-broker cluster holding 20,000 partitions and
 * 2,000 consumer groups. The cluster runs in a child process (`sluice broker`), as brokers do in
 * production: the collectors never share their event loop with the brokers. Topics are created
 * through the Kafka protocol (CreateTopics, in batches); groups by committing offsets with
 * OffsetCommit generation -1 through the admin client. Samples go to a counting sink: this
 * measures collection, not ingest (see bench:ingest).
 *
 *   npm run bench:collect [-- --topics 2000 --partitions 10 --groups 2000 --cycles 7]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Admin } from '@platformatic/kafka';
import { Registry } from 'prom-client';
import { KafkaAdmin } from '../src/kafka/admin.ts';
import { buildCollectors, CollectScheduler, parseCollectConfig } from '../src/collect/index.ts';
import type { SampleSink } from '../src/store/types.ts';

const { values } = parseArgs({ options: {
  topics: { type: 'string', default: '2000' }, partitions: { type: 'string', default: '10' },
  groups: { type: 'string', default: '2000' }, cycles: { type: 'string', default: '7' }, rf: { type: 'string', default: '3' },
} });
const topics = Number(values.topics);
const perTopic = Number(values.partitions);
const groups = Number(values.groups);
const cycles = Number(values.cycles);
const brokerCount = 3;

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

  const admin = new KafkaAdmin({ bootstrap });
  await admin.metadata();
  t = performance.now();
  for (let start = 0; start < groups; start += 100) {
    await Promise.all(Array.from({ length: Math.min(100, groups - start) }, async (_, k) => {
      const g = start + k;
      const topic = `bench-${g % topics}`;
      const r = await admin.commitOffsets(`group-${g}`, Array.from({ length: perTopic }, (_, p) => ({ topic, partition: p, offset: 0 })));
      if (r.errors.length > 0) throw new Error(JSON.stringify(r.errors));
    }));
  }
  console.log(`committed offsets of ${groups} groups in ${(performance.now() - t).toFixed(0)} ms`);

  await admin.close();

  const endpoints = ids.map((id) => brokers.metrics.get(id)!);
  const config = parseCollectConfig({ clusters: [{
    name: 'bench', bootstrap,
    metrics: ids.map((id, i) => ({ url: endpoints[i]!, broker: id })),
    hosts: [endpoints[0]!],
    timeouts: { requestMs: 30_000, scrapeMs: 30_000 },
  }] });
  let written = 0;
  const sink: SampleSink = { write: async (batch) => { written += batch.length; } };
  const scheduler = new CollectScheduler({ collectors: buildCollectors(config), sink, registry: new Registry(), jitter: 0 });

  const totals: number[] = [];
  for (let c = 1; c <= cycles; c++) {
    written = 0;
    const started = performance.now();
    const results = await scheduler.runOnce();
    const total = performance.now() - started;
    totals.push(total);
    const parts = results.map((r) => `${r.collector.name} ${(r.seconds * 1000).toFixed(0)} ms (${r.result?.samples.length ?? 0} samples, ${r.result?.errors.length ?? 0} errors)`);
    console.log(`cycle ${c}: total ${total.toFixed(0)} ms, ${written} samples | ${parts.join(' | ')}`);
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
  await scheduler.stop();
} finally {
  await brokers.stop();
}
