/** `sluice quotas list` and `reset` against the bundled broker, with the audit in a PGlite data directory. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { captureContext } from '../helpers/cli.ts';
import { runCli } from '../../src/cli/main.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { migrate, openDb } from '../../src/store/index.ts';
import { DecisionStore } from '../../src/throttle/audit.ts';
import { DATABASE_URL, uniqueSchema } from '../store/support.ts';

let dir: string;
let running: RunningCluster;
let config: string;

const context = captureContext;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-quotas-'));
  running = await startCluster({ brokers: 1, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
  config = join(dir, 'sluice.yaml');
  // The CLI reads the store as the service would: DATABASE_URL (when set) over the file's store.
  const schema = uniqueSchema();
  await writeFile(config, `store:\n  dataDir: ${join(dir, 'data')}\n  schema: ${schema}\nclusters:\n  - name: east\n    bootstrap: ["${running.bootstrap.split(',')[0]}"]\n`);
  // The operator set alice at 8 MB/s; the quota loop lowered her to 2 MB/s and remembered the 8.
  const admin = new KafkaAdmin({ bootstrap: running.bootstrap.split(',') });
  const alice = [{ entityType: 'user' as const, entityName: 'alice' }];
  await admin.alterClientQuotas([{ entity: alice, key: 'producer_byte_rate', value: 2_000_000 }]);
  await admin.close();
  const db = await openDb(DATABASE_URL === undefined ? { dataDir: join(dir, 'data'), schema } : { url: DATABASE_URL, schema });
  await migrate(db);
  await new DecisionStore(db).rememberBaseline('east', alice, 'user=alice', 'producer_byte_rate', 8_000_000, Date.now());
  await db.close();
});
after(async () => {
  await running.stop();
  await rm(dir, { recursive: true, force: true });
});

test('list shows each quota with the operator baseline; reset restores it; a second reset has nothing to do', async () => {
  const list = context();
  assert.equal(await runCli(['quotas', 'list', '--config', config], () => list.ctx), 0, list.stderr.join(''));
  assert.deepEqual(list.stdout, ['ENTITY      QUOTA               VALUE    OPERATOR_BASELINE\n', 'user=alice  producer_byte_rate  2000000  8000000\n']);
  const reset = context();
  assert.equal(await runCli(['quotas', 'reset', '--config', config], () => reset.ctx), 0, reset.stderr.join(''));
  assert.deepEqual(reset.stdout, ['sluice quotas reset: east: user=alice producer_byte_rate restored to 8000000\n']);
  const again = context();
  assert.equal(await runCli(['quotas', 'reset', '--config', config], () => again.ctx), 0);
  assert.deepEqual(again.stdout, ['sluice quotas reset: east: nothing to restore\n']);
  const after = context();
  await runCli(['quotas', 'list', '--config', config], () => after.ctx);
  assert.deepEqual(after.stdout.slice(1), ['user=alice  producer_byte_rate  8000000  -\n']);
  const bad = context();
  assert.equal(await runCli(['quotas', 'list', '--config', config, '--cluster', 'west'], () => bad.ctx), 2);
  assert.deepEqual(bad.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --cluster: no cluster "west" in the config; clusters are east\n']);
});
