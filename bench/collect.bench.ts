/**
 * A full collection cycle (cluster, topic/group, client and host collectors once, concurrently,
 * as the scheduler runs them) against the bundled 3-broker cluster holding 20,000 partitions and
 * 2,000 consumer groups. Topics are created through the cluster API directly; groups by committing
 * offsets with OffsetCommit generation -1 through the admin client. The brokers run in this
 * process, so their request handling is part of the time measured. Samples go to a counting
 * sink: this measures collection, not ingest (see bench:ingest).
 *
 *   npm run bench:collect [-- --topics 2000 --partitions 10 --groups 2000 --cycles 3]
 */
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { startCluster } from '../src/kafka/broker/index.ts';
import { KafkaAdmin } from '../src/kafka/admin.ts';
import { buildCollectors, CollectScheduler, parseCollectConfig } from '../src/collect/index.ts';
import type { SampleSink } from '../src/store/types.ts';

const { values } = parseArgs({ options: {
  topics: { type: 'string', default: '2000' }, partitions: { type: 'string', default: '10' },
  groups: { type: 'string', default: '2000' }, cycles: { type: 'string', default: '3' }, rf: { type: 'string', default: '3' },
} });
const topics = Number(values.topics);
const perTopic = Number(values.partitions);
const groups = Number(values.groups);
const cycles = Number(values.cycles);

const running = await startCluster({ port: 0, brokers: 3, metricsPort: 0, autoLeaderRebalance: false });
let t = performance.now();
for (let i = 0; i < topics; i++) running.cluster.createTopic(`bench-${i}`, perTopic, Number(values.rf));
console.log(`created ${topics} topics × ${perTopic} partitions (RF ${values.rf}) in ${(performance.now() - t).toFixed(0)} ms`);

const nodes = running.cluster.nodes.filter((n) => n !== undefined);
const bootstrap = nodes.map((n) => `127.0.0.1:${n.port}`);
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
await admin.close();
console.log(`committed offsets of ${groups} groups in ${(performance.now() - t).toFixed(0)} ms`);

const endpoints = nodes.map((n) => `http://127.0.0.1:${n.metricsPort}/metrics`);
const config = parseCollectConfig({ clusters: [{
  name: 'bench', bootstrap,
  metrics: nodes.map((n, i) => ({ url: endpoints[i], broker: n.nodeId })),
  hosts: [endpoints[0]],
  timeouts: { requestMs: 30_000, scrapeMs: 30_000 },
}] });
let written = 0;
const sink: SampleSink = { write: async (batch) => { written += batch.length; } };
const scheduler = new CollectScheduler({ collectors: buildCollectors(config), sink, registry: new Registry(), jitter: 0 });

for (let c = 1; c <= cycles; c++) {
  written = 0;
  const started = performance.now();
  const results = await scheduler.runOnce();
  const total = (performance.now() - started) / 1000;
  const parts = results.map((r) => `${r.collector.name} ${(r.seconds * 1000).toFixed(0)} ms (${r.result?.samples.length ?? 0} samples, ${r.result?.errors.length ?? 0} errors)`);
  console.log(`cycle ${c}: total ${(total * 1000).toFixed(0)} ms, ${written} samples | ${parts.join(' | ')}`);
  if (c === cycles) console.log(`full cycle, ${topics * perTopic} partitions, ${groups} groups: ${(total * 1000).toFixed(0)} ms (goal < 1000 ms, ratio ${(total / 1).toFixed(2)} of the budget)`);
}
// Each collector alone, so that its own cost shows without the others sharing the event loop.
const alone: string[] = [];
for (const name of ['cluster', 'topics', 'clients', 'host']) {
  const [r] = await scheduler.runOnce([name]);
  alone.push(`${name} ${((r?.seconds ?? 0) * 1000).toFixed(0)} ms`);
}
console.log(`each collector alone: ${alone.join(' | ')}`);
await scheduler.stop();
await running.stop();
