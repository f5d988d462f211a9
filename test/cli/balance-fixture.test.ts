/**
 * `sluice balance plan --fixture FIXTURE`: the what-if on a recorded fixture, through the CLI as
 * a person runs it (a fixture directory on disk, the balance: section of a config file or the
 * defaults), with the per-broker load before and predicted after, as text and as JSON.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import { writeFixture } from '../../src/replay/write.ts';
import { captureContext } from '../helpers/cli.ts';
import { skewedFixture } from '../replay/balance-support.ts';

let dir: string;
let fixture: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-balance-fixture-'));
  fixture = join(dir, 'balance-skew');
  await writeFixture(fixture, skewedFixture());
});
after(() => rm(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = captureContext();
  const code = await runCli(['balance', 'plan', '--fixture', fixture, ...args], () => out.ctx);
  return { code, stdout: out.stdout.join(''), stderr: out.stderr.join('') };
}

test('--json: the plan on the fixture, every broker\'s load before and predicted after, the moves', async () => {
  const { code, stdout, stderr } = await run(['--json']);
  assert.equal(code, 0, stderr);
  const plan = JSON.parse(stdout);
  assert.deepEqual([plan.fixture, plan.cluster, plan.at, plan.mode], ['balance-skew', 'east', '2026-12-01T10:10:00.000Z', 'full']);
  assert.deepEqual(plan.brokers.map((b: { id: number; before: { bytesIn: number; disk: number }; after: { bytesIn: number; disk: number } }) => [b.id, b.before.bytesIn, b.after.bytesIn, b.before.disk, b.after.disk]), [
    [1, 1600, 1000, 10_560_000, 6_600_000],
    [2, 200, 400, 1_320_000, 2_640_000],
    [3, 200, 600, 1_320_000, 3_960_000],
  ]);
  assert.deepEqual(plan.reassignments.map((r: { topic: string; partition: number; replicasBefore: number[]; replicasAfter: number[] }) => `${r.topic}-${r.partition} ${r.replicasBefore} → ${r.replicasAfter}`), ['orders-1 1 → 3', 'orders-3 3 → 2']);
  assert.equal(plan.bytesMoved, 5_280_000);
});

test('text: the header says where the load was read, then the explained plan', async () => {
  const { code, stdout, stderr } = await run(['--mode', 'incremental']);
  assert.equal(code, 0, stderr);
  const lines = stdout.split('\n');
  assert.deepEqual(lines.slice(0, 2), [
    'What-if on fixture balance-skew (cluster east): 3 brokers, 4 partitions, load = p95 of the 24h up to 2026-12-01T10:10:00.000Z.',
    'Plan (incremental): 1 move, 3.8 MiB to copy, about 1s at 50.0 MiB/s per broker.',
  ]);
  const brokers = lines.slice(lines.indexOf('Brokers (before → predicted after):') + 1, lines.indexOf('Unmet:'));
  assert.deepEqual(brokers, [
    '  broker 1 (default): bytes in 1.6 KiB/s → 1000 B/s; bytes out 1.1 KiB/s → 500 B/s; disk 10.1 MiB → 6.3 MiB; leaders 2 → 1; replicas 2 → 1',
    '  broker 2 (default): bytes in 200 B/s → 200 B/s; bytes out 200 B/s → 200 B/s; disk 1.3 MiB → 1.3 MiB; leaders 1 → 1; replicas 1 → 1',
    '  broker 3 (default): bytes in 200 B/s → 800 B/s; bytes out 200 B/s → 800 B/s; disk 1.3 MiB → 5.0 MiB; leaders 1 → 2; replicas 1 → 2',
  ]);
});

test('--config supplies the balance: section; --at ends the window inside the fixture; drain moves everything off', async () => {
  const config = join(dir, 'sluice.yaml');
  await writeFile(config, 'clusters:\n  - name: east\n    bootstrap: ["127.0.0.1:1"]\nbalance:\n  peak: { statistic: max, window: 1h }\n');
  const { code, stdout, stderr } = await run(['--config', config, '--at', '+5m', '--mode', 'drain', '--brokers', '1', '--json']);
  assert.equal(code, 0, stderr);
  const plan = JSON.parse(stdout);
  assert.equal(plan.at, '2026-12-01T10:05:00.000Z');
  assert.deepEqual(plan.brokers.map((b: { id: number; drained: boolean; after: { bytesIn: number; disk: number } }) => [b.id, b.drained, b.after.bytesIn]), [[1, true, 0], [2, false, 1000], [3, false, 1000]]);
  // Disk read five minutes in: 105 minutes of messages retained.
  assert.deepEqual(plan.brokers.map((b: { before: { disk: number } }) => b.before.disk), [10_080_000, 1_260_000, 1_260_000]);
});

test('bad arguments are named', async () => {
  const save = await run(['--save']);
  assert.deepEqual([save.code, save.stderr], [2, 'sluice: SLUICE_ERR_CLI_ARGUMENT: --save: a plan on a fixture is a what-if and is not stored; leave out --save or --fixture\n']);
  const at = await run(['--at', '+1h']);
  assert.deepEqual([at.code, at.stderr], [2, 'sluice: SLUICE_ERR_CLI_ARGUMENT: --at: expected a time within the fixture, 2026-12-01T10:00:00.000Z to 2026-12-01T10:10:00.000Z, got 2026-12-01T11:00:00.000Z\n']);
  const cluster = await run(['--cluster', 'west']);
  assert.deepEqual([cluster.code, cluster.stderr], [2, 'sluice: SLUICE_ERR_CLI_ARGUMENT: --cluster: the fixture records cluster "east", got "west"\n']);
  const missing = captureContext();
  assert.equal(await runCli(['balance', 'plan', '--fixture', join(dir, 'nope')], () => missing.ctx), 2);
  assert.match(missing.stderr.join(''), /SLUICE_ERR_FIXTURE_FILE: .*nope\/fixture\.json: no such file/);
  const noConfig = captureContext();
  assert.equal(await runCli(['balance', 'plan'], () => noConfig.ctx), 2);
  assert.deepEqual(noConfig.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --config: name the service config (sluice.yaml), or give --fixture to plan on a recorded fixture\n']);
  const atLive = captureContext();
  assert.equal(await runCli(['balance', 'plan', '--config', 'x.yaml', '--at', '+5m'], () => atLive.ctx), 2);
  assert.deepEqual(atLive.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --at: only with --fixture (a live plan reads the load up to now)\n']);
});
