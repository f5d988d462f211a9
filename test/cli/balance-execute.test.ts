/**
 * `sluice balance plan --save`, `execute`, `status` and `cancel` against a bundled 3-broker
 * cluster, the store in a PGlite data directory (PostgreSQL at DATABASE_URL when set): a saved
 * plan is executed to its exact targets with no throttle left; status shows it; cancel carries out
 * the cancellation itself when no process runs the execution.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import type { RunningCluster } from '../../src/kafka/broker/index.ts';
import { BalanceStore } from '../../src/balance/execute/store.ts';
import { migrate, openDb } from '../../src/store/index.ts';
import { captureContext } from '../helpers/cli.ts';
import { DATABASE_URL, uniqueSchema } from '../store/support.ts';
import { clusterWith, move, planOf } from '../balance/execute/support.ts';

let dir: string;
let config: string;
let running: RunningCluster;
let location: { dataDir: string; schema: string } | { url: string; schema: string };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-balance-exec-'));
  const schema = uniqueSchema();
  location = DATABASE_URL === undefined ? { dataDir: join(dir, 'data'), schema } : { url: DATABASE_URL, schema };
  running = await clusterWith(3, 'orders', [[0, 1], [0, 1], [0, 1]]);
  config = join(dir, 'sluice.yaml');
  await writeFile(config, `store:\n  dataDir: ${join(dir, 'data')}\n  schema: ${schema}\nclusters:\n  - name: east\n    bootstrap: ["${running.address(0)}"]\nbalance:\n  execution: { pollInterval: 0.1 }\n`);
});
after(async () => {
  await running.stop();
  await rm(dir, { recursive: true, force: true });
});

test('plan --save stores a plan from the current placement; execute runs it to its exact targets, removes every throttle; status shows it', async () => {
  const planned = captureContext();
  assert.equal(await runCli(['balance', 'plan', '--config', config, '--save', '--json'], () => planned.ctx), 0, planned.stderr.join(''));
  const plan = JSON.parse(planned.stdout.join('')) as { id: number; reassignments: { topic: string; partition: number; replicasBefore: number[]; replicasAfter: number[] }[] };
  assert.equal(plan.id, 1);
  // No load is recorded: the plan evens out replicas and leaders, all on brokers 0 and 1 now.
  assert.ok(plan.reassignments.length > 0, 'the plan moves something');
  for (const r of plan.reassignments) assert.deepEqual(r.replicasBefore, [0, 1]);

  const executed = captureContext();
  assert.equal(await runCli(['balance', 'execute', '--config', config, '--plan', '1'], () => executed.ctx), 0, executed.stderr.join(''));
  const n = plan.reassignments.length;
  assert.deepEqual(executed.stdout, [`execution 1 of plan 1: done; moves ${n} done, 0 in flight, 0 pending, 0 cancelled, 0 failed; throttle sized from headroom\n`]);
  assert.equal(executed.stderr[0], `sluice balance execute: execution 1 of plan 1: ${n} moves\n`);

  const admin = new KafkaAdmin({ bootstrap: [running.address(0)] });
  const meta = await admin.metadata();
  await admin.close();
  const replicas = meta.topics.get('orders')!.partitions.map((p) => p.replicas);
  for (const r of plan.reassignments) assert.deepEqual(replicas[r.partition], r.replicasAfter);
  assert.deepEqual(running.cluster.nodes.map((node) => node!.dynamicConfigs.size), [0, 0, 0], 'no broker keeps a throttle rate');
  assert.equal(running.cluster.topics.get('orders')!.configs.size, 0, 'the topic keeps no throttled-replicas list');

  const status = captureContext();
  assert.equal(await runCli(['balance', 'status', '--config', config], () => status.ctx), 0, status.stderr.join(''));
  assert.equal(status.stdout[0], executed.stdout[0]);
  assert.deepEqual(status.stdout.slice(1, 1 + n), plan.reassignments.map((r) => `  orders-${r.partition} 0,1 -> ${r.replicasAfter.join(',')}: done\n`));

  const again = captureContext();
  assert.equal(await runCli(['balance', 'execute', '--config', config, '--plan', '1'], () => again.ctx), 2);
  assert.deepEqual(again.stderr, ['sluice: SLUICE_ERR_BALANCE_STATE: plan 1 is executed; only a planned plan can be executed (make a new plan)\n']);
  const bad = captureContext();
  assert.equal(await runCli(['balance', 'execute', '--config', config, '--plan', 'one'], () => bad.ctx), 2);
  assert.deepEqual(bad.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --plan: expected a positive integer, got "one"\n']);
});

test('cancel with no process running the execution cancels it here', async () => {
  const admin = new KafkaAdmin({ bootstrap: [running.address(0)] });
  const now = (await admin.metadata()).topics.get('orders')!.partitions[2]!.replicas;
  await admin.close();
  const db = await openDb(location);
  await migrate(db);
  const store = new BalanceStore(db);
  const planId = await store.savePlan({ cluster: 'east', createdAt: Date.now(), createdBy: 'test', mode: 'full', plan: planOf([move('orders', 2, [...now], [...now].reverse())]), evidence: {}, explanation: '' });
  const e = await store.createExecution(planId, 'east', 'test', Date.now());
  await db.close();

  const cancel = captureContext();
  assert.equal(await runCli(['balance', 'cancel', '--config', config], () => cancel.ctx), 0, cancel.stderr.join(''));
  assert.deepEqual(cancel.stdout, [`execution ${e.id} of plan ${planId}: cancelled; moves 0 done, 0 in flight, 0 pending, 1 cancelled, 0 failed; throttle sized from headroom\n`]);
  const none = captureContext();
  assert.equal(await runCli(['balance', 'cancel', '--config', config], () => none.ctx), 2);
  assert.deepEqual(none.stderr, ['sluice: SLUICE_ERR_BALANCE_NOT_FOUND: cancel: cluster "east" has no unfinished execution\n']);
});
