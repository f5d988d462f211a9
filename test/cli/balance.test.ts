/**
 * `sluice balance plan` reads the recorded series from the store (PostgreSQL at DATABASE_URL,
 * else PGlite) and prints the plan: per-partition load from log-end-offset growth, log sizes and
 * committed offsets, placement from the brokers' `kafka_log_log_size` series.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { runCli } from '../../src/cli/main.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { wallClock } from '../../src/clock.ts';
import { openStore, type Sample } from '../../src/store/index.ts';
import { captureContext } from '../helpers/cli.ts';
import { DATABASE_URL, uniqueSchema } from '../store/support.ts';

const MIN = 60_000;
let dir: string;
let config: string;
let liveConfig: string;
let running: RunningCluster;

/** Ten minutes of collection: orders-0 (10 msg/s) and orders-1 (1 msg/s) on broker 1, orders-2 (3 msg/s) on broker 2; 100-byte messages. */
function samples(end: number, cluster = 'east'): Sample[] {
  const out: Sample[] = [];
  const rates = [10, 1, 3];
  const home = ['1', '1', '2'];
  for (let i = 0; i <= 10; i++) {
    const ts = end - (10 - i) * MIN;
    for (const b of ['1', '2']) out.push({ metric: 'sluice_cluster_broker_up', labels: { cluster, broker: b }, ts, value: 1 });
    rates.forEach((rate, p) => {
      const labels = { cluster, topic: 'orders', partition: String(p) };
      const offset = rate * 60 * (i + 100);
      out.push({ metric: 'kafka_partition_latest_offset', labels, ts, value: offset });
      out.push({ metric: 'kafka_partition_earliest_offset', labels, ts, value: 0 });
      out.push({ metric: 'kafka_log_log_size', labels: { ...labels, broker: home[p]! }, ts, value: offset * 100 });
      // billing reads orders-0 at half its rate: it falls behind by 5 msg/s.
      if (p === 0) out.push({ metric: 'kafka_consumergroup_group_lag', labels: { ...labels, group: 'billing' }, ts, value: 300 * i });
    });
  }
  return out;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-balance-'));
  const schema = uniqueSchema();
  config = join(dir, 'sluice.yaml');
  await writeFile(config, `store:\n  dataDir: ${join(dir, 'data')}\n  schema: ${schema}\nclusters:\n  - name: east\n    bootstrap: ["127.0.0.1:1"]\nbalance:\n  peak: { statistic: max }\n`);
  const end = Date.now() - 30_000;
  const store = await openStore(DATABASE_URL === undefined ? { dataDir: join(dir, 'data'), schema } : { url: DATABASE_URL, schema }, { clock: { ...wallClock, now: () => end - 11 * MIN } });
  await store.writer.write(samples(end));
  await store.writer.write(samples(end, 'west'));
  await store.close();
  running = await startCluster({ brokers: 3, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), topics: [{ name: 'orders', partitions: 3, replicationFactor: 2 }] });
  liveConfig = join(dir, 'live.yaml');
  await writeFile(liveConfig, `store:\n  dataDir: ${join(dir, 'data')}\n  schema: ${schema}\nclusters:\n  - name: west\n    bootstrap: ["${running.bootstrap.split(',')[0]}"]\n`);
});
after(async () => {
  await running?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('plan from the store: measured per-partition load, one move off the hot broker', async () => {
  const out = captureContext();
  assert.equal(await runCli(['balance', 'plan', '--config', config, '--json'], () => out.ctx), 0, out.stderr.join(''));
  const plan = JSON.parse(out.stdout.join(''));
  assert.deepEqual(plan.brokers.map((b: { id: number; before: { bytesIn: number; bytesOut: number } }) => [b.id, Math.round(b.before.bytesIn), Math.round(b.before.bytesOut)]), [[1, 1100, 500], [2, 300, 0]]);
  assert.deepEqual(plan.reassignments.map((r: { topic: string; partition: number; replicasBefore: number[]; replicasAfter: number[] }) => `${r.topic}-${r.partition} ${r.replicasBefore} → ${r.replicasAfter}`), ['orders-1 1 → 2']);
  const text = captureContext();
  assert.equal(await runCli(['balance', 'plan', '--config', config], () => text.ctx), 0, text.stderr.join(''));
  assert.equal(text.stdout.join('').split('\n')[0], 'Plan (full): 1 move, 644.5 KiB to copy, about 1s at 50.0 MiB/s per broker.');
});

test('bad arguments are named', async () => {
  const mode = captureContext();
  assert.equal(await runCli(['balance', 'plan', '--config', config, '--mode', 'sideways'], () => mode.ctx), 2);
  assert.deepEqual(mode.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --mode: expected one of full, incremental, add, drain, leaders, got "sideways"\n']);
  const drain = captureContext();
  assert.equal(await runCli(['balance', 'plan', '--config', config, '--mode', 'drain'], () => drain.ctx), 2);
  assert.deepEqual(drain.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --brokers: the drain mode needs the brokers to drain\n']);
  const brokers = captureContext();
  assert.equal(await runCli(['balance', 'plan', '--config', config, '--mode', 'add', '--brokers', '3;rm'], () => brokers.ctx), 2);
  assert.deepEqual(brokers.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --brokers: expected broker ids separated by commas such as 1,2, got "3;rm"\n']);
});

test('--from-cluster takes placement and leaders from the cluster\'s Metadata, load from the store', async () => {
  const admin = new KafkaAdmin({ bootstrap: running.bootstrap.split(',') });
  const meta = await admin.metadata();
  await admin.close();
  const placed = meta.topics.get('orders')!.partitions;
  const rate = [1000, 100, 300];
  const expected = [0, 1, 2].map((b) => ({
    bytesIn: placed.filter((p) => p.replicas.includes(b)).reduce((a, p) => a + rate[p.partition]!, 0),
    leaders: placed.filter((p) => p.leader === b).length,
    replicas: placed.filter((p) => p.replicas.includes(b)).length,
  }));
  const out = captureContext();
  assert.equal(await runCli(['balance', 'plan', '--config', liveConfig, '--from-cluster', '--json', '--mode', 'incremental'], () => out.ctx), 0, out.stderr.join(''));
  const plan = JSON.parse(out.stdout.join(''));
  assert.deepEqual(plan.brokers.map((b: { id: number }) => b.id), [0, 1, 2]);
  assert.deepEqual(plan.brokers.map((b: { before: { bytesIn: number; leaders: number; replicas: number } }) => ({ bytesIn: Math.round(b.before.bytesIn), leaders: b.before.leaders, replicas: b.before.replicas })), expected);
  for (const r of plan.reassignments) assert.deepEqual(r.replicasBefore, placed[r.partition]!.replicas);
});
