/**
 * The oracle for consumer status: Debian's Burrow 1.2.1 (with Debian's ZooKeeper, which it needs
 * to start) and Sluice watch the same bundled 3-broker cluster, both reading commits from
 * `__consumer_offsets`, with windows of 3 commits. Three groups commit on `orders` while the log
 * grows 10 messages a step:
 *   consuming  commits the log end every step                 OK
 *   lagging    commits half the log end every step            WARN (lag 5, 10, 15, ... never falls)
 *   stopped    commits 2, 4, 6 in the first three steps, then nothing; once its silence outlasts
 *              its window's span                              partition STOP, group ERR
 * Each step waits until both have seen the new log end before anyone commits, and until both
 * hold the commits, so that the two windows hold the same commits with the same lags; then
 * Burrow's `/v3/kafka/test/consumer/{group}/lag` and Sluice's must be the same document (bar
 * Sluice's `commit_source`), `totallag` and statuses included.
 *
 * Skipped when /usr/bin/Burrow or ZooKeeper is absent (CI installs Debian's `burrow` and
 * `zookeeper` packages).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { buildApi, listenApi } from '../../src/api/server.ts';
import { burrowRoutes } from '../../src/api/routes/burrow.ts';
import { burrowCluster } from '../../src/api/burrow/source.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { offsetsPartitionFor } from '../../src/kafka/broker/offsets-log.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { TopicCollector } from '../../src/collect/topics.ts';
import { adminOptionsOf, parseCollectConfig } from '../../src/collect/config.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { bundledClusterEntry } from '../helpers/service.ts';
import { waitFor } from '../helpers/broker.ts';

const BURROW = '/usr/bin/Burrow';
const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
const NO_BURROW: string | false = existsSync(BURROW) && existsSync(ZOOKEEPER_JAR) ? false : `${BURROW} or ${ZOOKEEPER_JAR} is absent: install Debian's burrow and zookeeper packages to run the oracle`;
const INTERVALS = 3;

/**
 * `base`, or `base-n` for the first n that puts the group's commits in partition 0 or 1 of
 * __consumer_offsets. Burrow subscribes to the topic's 50 partitions one at a time, each waiting
 * for the fetch in flight (250 ms), so commits in partition 28 reach it 7 s after it starts.
 */
function groupNamed(base: string): string {
  for (let n = 0; ; n++) {
    const name = n === 0 ? base : `${base}-${n}`;
    if (offsetsPartitionFor(name) <= 1) return name;
  }
}
const WARMUP = groupNamed('warmup');
const CONSUMING = groupNamed('consuming');
const LAGGING = groupNamed('lagging');
const STOPPED = groupNamed('stopped');

let dir: string;
let zookeeper: ChildProcess | undefined;
let burrow: ChildProcess | undefined;
let burrowLog = '';
let running: RunningCluster;
let admin: KafkaAdmin;
let collector: TopicCollector;
let producer: Producer;
let api: FastifyInstance;
let sluiceUrl: string;
let burrowUrl: string;

async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

/**
 * Whether ZooKeeper serves (not only listens): it answers its `srvr` command, the one four-letter
 * command it allows by default, with its mode. Burrow connecting to a port that accepts but does
 * not serve yet fails ("cannot create root path") and never retries.
 */
function zooKeeperServes(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write('srvr'));
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString(); });
    socket.on('end', () => resolve(/^Mode: /m.test(answer)));
    socket.on('error', () => resolve(false));
  });
}

async function json(url: string): Promise<any> {
  const res = await fetch(url);
  return res.json();
}

/** Waits for `what`, failing with the end of Burrow's log. */
async function waitBoth(predicate: () => Promise<boolean>, what: string): Promise<void> {
  await waitFor(predicate, 15_000, what).catch((err: Error) => {
    throw new Error(`${err.message}; Burrow logged:\n${burrowLog.split('\n').slice(-15).join('\n')}`);
  });
}

before(async () => {
  if (NO_BURROW) return;
  dir = await mkdtemp(join(tmpdir(), 'sluice-burrow-'));
  const [zkPort, burrowPort] = await freePorts(2);
  burrowUrl = `http://127.0.0.1:${burrowPort}`;
  // ZooKeeper standalone, without its admin web server (it would take port 8080).
  zookeeper = spawn('java', ['-Dzookeeper.admin.enableServer=false', '-cp', ZOOKEEPER_JAR, 'org.apache.zookeeper.server.ZooKeeperServerMain', String(zkPort), join(dir, 'zk')], { stdio: 'ignore' });
  process.once('exit', () => zookeeper?.kill('SIGKILL'));
  running = await startCluster({ brokers: 3, host: '127.0.0.1', port: 0, logger: silentLogger(), topics: [{ name: 'orders', partitions: 1, replicationFactor: 3 }] });
  const bootstrap = running.bootstrap.split(',');
  const config = parseCollectConfig({ clusters: [bundledClusterEntry(running, 'test', { timeouts: { requestMs: 2000, connectMs: 1000, scrapeMs: 2000 } })] }).clusters[0]!;
  admin = new KafkaAdmin(adminOptionsOf(config));
  collector = new TopicCollector(config, new KafkaAdmin(adminOptionsOf(config)), { commitWindows: { intervals: INTERVALS } });
  producer = new Kafka({ brokers: bootstrap, clientId: 'burrow-oracle', logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  api = await buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, plugins: [(app) => burrowRoutes(app, { clusters: () => [burrowCluster(collector)] })] });
  sluiceUrl = await listenApi(api, 0);

  // Burrow's consumer module needs __consumer_offsets to exist when it starts: a first commit makes it.
  await admin.metadata();
  assert.deepEqual((await admin.commitOffsets(WARMUP, [{ topic: 'orders', partition: 0, offset: 0 }])).errors, []);
  await writeFile(join(dir, 'burrow.toml'), `
[general]
pidfile="${join(dir, 'burrow.pid')}"
[logging]
level="info"
[zookeeper]
servers=["127.0.0.1:${zkPort}"]
timeout=6
root-path="/burrow"
[client-profile.oracle]
client-id="burrow-oracle"
kafka-version="2.0.0"
[cluster.test]
class-name="kafka"
servers=${JSON.stringify(bootstrap)}
client-profile="oracle"
topic-refresh=1
offset-refresh=1
[consumer.test]
class-name="kafka"
cluster="test"
servers=${JSON.stringify(bootstrap)}
client-profile="oracle"
[storage.default]
class-name="inmemory"
intervals=${INTERVALS}
min-distance=0
[evaluator.default]
class-name="caching"
expire-cache=1
[httpserver.default]
address="127.0.0.1:${burrowPort}"
`);
  await waitFor(() => zooKeeperServes(zkPort!), 20_000, 'ZooKeeper to serve');
  burrow = spawn(BURROW, ['--config-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [burrow.stdout!, burrow.stderr!]) stream.on('data', (chunk: Buffer) => { burrowLog += chunk.toString(); });
  process.once('exit', () => burrow?.kill('SIGKILL'));

  await collector.collect({ nowMs: Date.now() });
  await waitBoth(async () => collector.commits.readerState?.lastReadMs !== undefined && (await json(`${burrowUrl}/v3/kafka/test/topic/orders`).catch(() => ({}))).offsets?.[0] === 0, 'both to read the cluster');
  // Burrow dropped the first commit (it had no log end yet); one more shows both read commits.
  await commit({ [WARMUP]: 0 });
});

after(async () => {
  await api?.close();
  await producer?.disconnect().catch(() => undefined);
  await collector?.close();
  await admin?.close();
  await running?.stop();
  // Killed outright: Burrow takes tens of seconds to stop on SIGTERM, and neither keeps anything.
  await Promise.all([burrow, zookeeper].map((child) => child && child.exitCode === null && new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGKILL');
  })));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Produces a step's 10 messages and waits until both have read the new log end. */
async function grow(end: number): Promise<void> {
  await producer.send({ topic: 'orders', messages: Array.from({ length: 10 }, (_, k) => ({ value: `m${end}-${k}` })) });
  await collector.collect({ nowMs: Date.now() });
  assert.equal(collector.commits.source, 'offsets-topic');
  await waitBoth(async () => (await json(`${burrowUrl}/v3/kafka/test/topic/orders`)).offsets?.[0] === end, `Burrow to read log end ${end}`);
}

/** Commits `offsets` by group and waits until both hold each as their newest commit. */
async function commit(offsets: Record<string, number>): Promise<void> {
  for (const [group, offset] of Object.entries(offsets)) {
    assert.deepEqual((await admin.commitOffsets(group, [{ topic: 'orders', partition: 0, offset }])).errors, []);
  }
  await waitBoth(async () => {
    for (const [group, offset] of Object.entries(offsets)) {
      if (collector.commits.windows.window(group, 'orders', 0)?.commits.at(-1)?.offset !== offset) return false;
      const detail = await json(`${burrowUrl}/v3/kafka/test/consumer/${group}`);
      if (detail.topics?.orders?.[0]?.offsets?.at(-1)?.offset !== offset) return false;
    }
    return true;
  }, `both to hold ${JSON.stringify(offsets)}`);
}

test('Burrow 1.2.1 and Sluice give the same /lag for a consuming, a lagging and a stopped group', { skip: NO_BURROW }, async () => {
  let step = 0;
  for (; step < INTERVALS; step++) {
    const end = 10 * (step + 1);
    await grow(end);
    await commit({ [CONSUMING]: end, [LAGGING]: end / 2, [STOPPED]: 2 * (step + 1) });
  }
  // The stopped group is silent from here on; the others go on until its silence, in Burrow's
  // whole seconds, is longer than its window spans (both evaluate later still, so both see it).
  const stoppedWindow = collector.commits.windows.window(STOPPED, 'orders', 0)!.commits;
  const last = stoppedWindow.at(-1)!.timestampMs;
  const span = last - stoppedWindow[0]!.timestampMs;
  while (Math.floor(Date.now() / 1000) * 1000 - last <= span) {
    const end = 10 * (step + 1);
    await grow(end);
    await commit({ [CONSUMING]: end, [LAGGING]: end / 2 });
    step++;
  }
  const end = 10 * step;

  const expected: Record<string, [string, string, number]> = {
    [CONSUMING]: ['OK', 'OK', 0],
    [LAGGING]: ['WARN', 'WARN', end / 2],
    [STOPPED]: ['ERR', 'STOP', end - 6],
  };
  for (const [group, [status, partitionStatus, totallag]] of Object.entries(expected)) {
    const theirs = (await json(`${burrowUrl}/v3/kafka/test/consumer/${group}/lag`)).status;
    const ours = (await json(`${sluiceUrl}/v3/kafka/test/consumer/${group}/lag`)).status;
    assert.deepEqual([theirs.status, theirs.partitions[0].status, theirs.totallag, theirs.complete], [status, partitionStatus, totallag, 1], `Burrow on ${group}: ${JSON.stringify(theirs)}`);
    assert.equal(ours.commit_source, 'offsets-topic');
    const { commit_source: _, ...comparable } = ours;
    assert.deepEqual(comparable, theirs, group);
  }
});
