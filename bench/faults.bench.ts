/**
 * The fault campaign: `sluice start` (a child process, collecting from a bundled 3-broker cluster
 * into PostgreSQL through a proxy that can be cut, notifying a webhook) is put through what an
 * attacker and an operator with bad luck send it, and the campaign counts what it lost:
 *
 *   1. replay over HTTP without a token, and absolute server paths in its answer;
 *   2. a replay whose rule holds a regex that backtracking engines take exponential time on;
 *   3. a producer whose client.id and a group whose id hold a NUL byte;
 *   4. SIGKILL and restart with an alert group holding a firing alert already sent and one that
 *      resolved recently (twice);
 *   5. a broker down across those restarts;
 *   6. the database password in a query parameter (and the other URL forms, through migrate);
 *   7. a missing rule file;
 *   then a 60 s PostgreSQL cut and a whole-cluster outage.
 *
 * It prints samples lost (collection cycles of sluice_cluster_broker_up missing from PostgreSQL
 * while Sluice ran), notifications duplicated or lost (and resolved too early), outages missed
 * and the longest /healthz stall, and a line per case. Goal: 0, 0, 0 and a stall under 1 s.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:faults [-- --json]
 *
 * Takes about 11 minutes; needs PostgreSQL (a SIGKILLed PGlite loses its data directory).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster } from '../src/kafka/broker/index.ts';
import { openDb } from '../src/store/db.ts';
import { silentLogger } from '../src/telemetry/logger.ts';
import { PgProxy } from '../test/store/proxy.ts';
import { countNotifications, missingCycles, type Condition, type Expected } from './faults/count.ts';
import { freePort, HealthProber, ROOT, sleep, SluiceProcess, until, WebhookLog } from './faults/parts.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
const DATABASE_URL = process.env.DATABASE_URL;
if (DATABASE_URL === undefined || DATABASE_URL === '') {
  console.error('bench:faults needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
  process.exit(2);
}
const say = (text: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);

const TOKEN = 'fault-campaign-token-0123456789';
const SECRET = 'campaign-Pa55word';
const INTERVAL_S = 2;
const REPEAT_MS = 3_600_000;
const BROKER_DOWN_FOR_MS = 120_000; // KafkaBrokerDown's `for` in the shipped pack
const schema = `sluice_faults_${Date.now().toString(36)}`;
const admin = await openDb({ url: DATABASE_URL });
const dir = await mkdtemp(join(tmpdir(), 'sluice-faults-'));
const cases: { name: string; ok: boolean; detail: string }[] = [];
const note = (name: string, ok: boolean, detail: string): void => {
  cases.push({ name, ok, detail });
  say(`${ok ? 'held' : 'FAILED'}: ${name}: ${detail}`);
};
const outagesMissed: string[] = [];

const cluster = await startCluster({ brokers: 3, port: 0, metricsPort: 0, host: '127.0.0.1', logger: silentLogger(), topics: [{ name: 'orders', partitions: 6 }] });
const nodes = cluster.cluster.nodes.filter((n) => n !== undefined);
const bootstrap = nodes.map((n) => `127.0.0.1:${n.port}`);
const pgUrl = new URL(DATABASE_URL);
const proxy = await PgProxy.start({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
const hook = await WebhookLog.start();
const apiPort = await freePort();
const api = `http://127.0.0.1:${apiPort}`;
const proxiedUrl = `postgres://${pgUrl.username || 'postgres'}@127.0.0.1:${proxy.port}${pgUrl.pathname}?password=${SECRET}`;

const config = (rules: string): string => `
store: { url: "${proxiedUrl}", schema: ${schema}, writer: { flushIntervalMs: 500, retryMaxMs: 2000 } }
clusters:
  - name: faults
    bootstrap: [${bootstrap.map((b) => `"${b}"`).join(', ')}]
    metrics: [${nodes.map((n) => `{ url: "http://127.0.0.1:${n.metricsPort}/metrics", broker: ${n.nodeId} }`).join(', ')}]
    intervals: { cluster: ${INTERVAL_S}, topics: ${INTERVAL_S}, clients: ${INTERVAL_S} }
    timeouts: { connectMs: 1000, requestMs: 2000, scrapeMs: 1000 }
api: { port: ${apiPort}, token: ${TOKEN} }
log: { level: warn }
rules: { interval: ${INTERVAL_S}${rules} }
notify:
  route: { receiver: hook, group_by: [alertname, cluster], group_wait: 2s, group_interval: 10s, repeat_interval: 1h }
  receivers:
    - name: hook
      webhook_configs: [{ url: "${hook.url}", send_resolved: true }]
throttle: { mode: off }
`;
const configPath = join(dir, 'sluice.yaml');
await writeFile(configPath, config(''));
const sluice = new SluiceProcess(['start', '--config', configPath]);
let up = false;
const prober = new HealthProber(() => (up ? api : undefined));
prober.start();
const ready = (): Promise<boolean> => until(async () => (await fetch(`${api}/readyz`)).ok, 60_000);
const startSluice = async (): Promise<void> => {
  sluice.start();
  if (!(await ready())) throw new Error(`sluice start did not become ready:\n${sluice.output.slice(-2000)}`);
  up = true;
};
const killSluice = async (): Promise<void> => {
  up = false;
  prober.forget();
  await sluice.kill();
};
const brokerDown: Condition[] = [];
const down = (broker: number): Condition & { to: number } => {
  const c = { name: 'KafkaBrokerDown', match: { broker: String(broker) }, from: Date.now(), to: Number.POSITIVE_INFINITY };
  brokerDown.push(c);
  return c;
};
const expected: Expected[] = [];

try {
  // 7. A missing rule file: exit 2 naming rules.files[0], with nothing opened.
  {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, config(', files: [missing.yaml]').replace(`schema: ${schema}`, `schema: ${schema}_bad`));
    const p = new SluiceProcess(['start', '--config', bad]);
    p.start();
    const code = await p.exited(60_000);
    const opened = (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [`${schema}_bad`])).rows[0]!.n;
    note('7 missing rule file', code === 2 && p.output.includes('rules.files[0]') && opened === 0, `exit ${code}, names rules.files[0]: ${p.output.includes('rules.files[0]')}, schema created: ${opened === 1}`);
  }
  // 6. The other URL forms, through migrate against an address nothing listens on.
  {
    const dead = await freePort();
    const forms = [`postgres://:${SECRET}@127.0.0.1:${dead}/x`, `postgres://u:${SECRET}@x@127.0.0.1:${dead}/x`, `postgres://u:${SECRET}@[bad/x`, `host=127.0.0.1 port=${dead} password=${SECRET}`];
    let leaked = 0;
    for (const url of forms) {
      const p = new SluiceProcess(['migrate', '--database-url', url]);
      p.start();
      await p.exited(30_000);
      if (p.output.includes(SECRET)) leaked++;
    }
    note('6 password in unreachable-URL errors', leaked === 0, `${leaked} of ${forms.length} URL forms printed the password`);
  }

  say(`starting sluice (schema ${schema})`);
  await startSluice();
  const kafka = new Kafka({ brokers: bootstrap, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  let producing = true;
  const steady = (async () => {
    while (producing) {
      await producer.send({ topic: 'orders', messages: [{ value: 'x'.repeat(200) }] }).catch(() => undefined);
      await sleep(50);
    }
  })();
  await sleep(10_000);

  // 1. Replay over HTTP.
  {
    const body = JSON.stringify({ fixture: 'broker-down' });
    const open = await fetch(`${api}/api/v1/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const authed = await fetch(`${api}/api/v1/replay`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
    const text = await authed.text();
    const paths = [...new Set(text.match(/\/[^"\s]*\/[^"\s]*\.ya?ml/g) ?? [])].filter((p) => p.startsWith('/') || p.includes(ROOT));
    note('1 replay needs the token', open.status === 401 || open.status === 403, `without token: ${open.status}; with token: ${authed.status}`);
    note('1 no absolute server paths', paths.length === 0, paths.length === 0 ? 'none in the replay answer' : `${paths.length}, e.g. ${paths[0]}`);
  }
  // 2. The regex that backtracks exponentially, in a replayed rule.
  {
    const before = prober.longestMs;
    const rule = 'groups:\n  - name: evil\n    rules:\n      - alert: Evil\n        expr: count({__name__=~"([a-z_]|[a-z_]){0,28}X"}) > 0\n';
    const t0 = Date.now();
    const res = await fetch(`${api}/api/v1/replay`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ fixture: 'broker-down', rules: { 'evil.yaml': rule } }), signal: AbortSignal.timeout(600_000),
    });
    await res.text();
    note('2 pathological regex', prober.longestMs < 1000, `replay answered ${res.status} after ${Date.now() - t0} ms; longest /healthz stall so far ${prober.longestMs} ms (before: ${before} ms)`);
  }
  // 3. NUL bytes in a client id and a group id.
  {
    const evil = new Kafka({ brokers: bootstrap, clientId: 'evil\u0000id', logLevel: logLevel.NOTHING });
    const p = evil.producer();
    await p.connect();
    for (let i = 0; i < 20; i++) await p.send({ topic: 'orders', messages: [{ value: 'nul' }] });
    await p.disconnect();
    const a = kafka.admin();
    await a.connect();
    await a.setOffsets({ groupId: 'grp\u0000evil', topic: 'orders', partitions: [{ partition: 0, offset: '1' }] });
    await a.disconnect();
    await sleep(8 * INTERVAL_S * 1000);
    const refused = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.samples WHERE ts > now() - interval '5 seconds'`);
    note('3 NUL in client and group ids', refused.rows[0]!.n > 0, `${refused.rows[0]!.n} samples stored in the last 5 s after the NUL ids appeared`);
  }

  // 4 and 5. Brokers 1 and 2 down; both page; broker 1 comes back (resolved); then SIGKILL and
  // restart twice while broker 2 stays down.
  say('brokers 1 and 2 down');
  await cluster.cluster.stopBroker(1);
  const b1 = down(1);
  await cluster.cluster.stopBroker(2);
  const b2 = down(2);
  expected.push({ what: 'broker 1 down', name: 'KafkaBrokerDown', status: 'firing', match: { broker: '1' }, after: b1.from, before: b1.from + BROKER_DOWN_FOR_MS + 60_000 });
  expected.push({ what: 'broker 2 down', name: 'KafkaBrokerDown', status: 'firing', match: { broker: '2' }, after: b2.from, before: b2.from + BROKER_DOWN_FOR_MS + 60_000 });
  await until(() => hook.find('KafkaBrokerDown', 'firing', { broker: '2' }).length > 0 && hook.find('KafkaBrokerDown', 'firing', { broker: '1' }).length > 0, BROKER_DOWN_FOR_MS + 60_000);
  say('broker 1 back');
  await cluster.cluster.startBroker(1);
  b1.to = Date.now();
  expected.push({ what: 'broker 1 back', name: 'KafkaBrokerDown', status: 'resolved', match: { broker: '1' }, after: b1.to, before: b1.to + 60_000 });
  await until(() => hook.find('KafkaBrokerDown', 'resolved', { broker: '1' }).length > 0, 60_000);
  for (const wait of [3_000, 70_000]) {
    await sleep(wait);
    say('SIGKILL');
    await killSluice();
    await startSluice();
  }
  await sleep(70_000);
  const b2Samples = await admin.query<{ v: number; n: number }>(
    `SELECT s.value AS v, count(*)::int AS n FROM ${schema}.samples s JOIN ${schema}.series r ON r.id = s.series_id JOIN ${schema}.metric m ON m.id = r.metric_id
      WHERE m.name = 'sluice_cluster_broker_up' AND r.labels->>'broker' = '2' AND s.ts > to_timestamp($1 / 1000.0) GROUP BY s.value`, [sluice.runs.at(-1)!.start + 5000]);
  const zeros = b2Samples.rows.find((r) => r.v === 0)?.n ?? 0;
  if (zeros === 0) outagesMissed.push('broker 2, down across a restart, got no broker_up 0 after it');
  note('5 broker down across restarts', zeros > 0, `broker_up{broker="2"} 0 written ${zeros} times after the last restart`);
  say('broker 2 back');
  await cluster.cluster.startBroker(2);
  b2.to = Date.now();
  expected.push({ what: 'broker 2 back', name: 'KafkaBrokerDown', status: 'resolved', match: { broker: '2' }, after: b2.to, before: b2.to + 60_000 });
  await sleep(30_000);

  // A 60 s PostgreSQL cut.
  say('PostgreSQL cut for 60 s');
  proxy.cut();
  await sleep(60_000);
  proxy.restore();
  await sleep(20_000);

  // The whole cluster unreachable.
  say('whole cluster down');
  producing = false;
  await steady;
  await producer.disconnect().catch(() => undefined);
  const all = [0, 1, 2].map((b) => down(b));
  for (const b of [0, 1, 2]) await cluster.cluster.stopBroker(b);
  const outageStart = Date.now();
  let degraded = false;
  const watchReady = until(async () => {
    const res = await fetch(`${api}/readyz`);
    degraded ||= !res.ok || JSON.stringify(await res.json()).includes('"ok":false');
    return false;
  }, BROKER_DOWN_FOR_MS + 30_000);
  expected.push({ what: 'whole cluster down', name: 'KafkaBrokerDown', status: 'firing', match: { broker: '0' }, after: outageStart, before: outageStart + BROKER_DOWN_FOR_MS + 60_000 });
  await watchReady;
  const unreachable = hook.received.some((n) => n.at >= outageStart && n.alerts.some((a) => a.status === 'firing' && /Unreachable/.test(a.labels.alertname ?? '')));
  if (!degraded) outagesMissed.push('/readyz stayed ready while every broker was unreachable');
  if (!unreachable) outagesMissed.push('no cluster-unreachable alert was sent while every broker was unreachable');
  if (hook.find('KafkaBrokerDown', 'firing', { broker: '0' }).every((n) => n.at < outageStart)) outagesMissed.push('broker 0 (down with the whole cluster) was not paged');
  note('whole-cluster outage', degraded && unreachable, `readyz degraded: ${degraded}; unreachable alert sent: ${unreachable}`);
  for (const b of [0, 1, 2]) await cluster.cluster.startBroker(b);
  for (const c of all) c.to = Date.now();
  await sleep(40_000);
  up = false;
  await sluice.stop();

  // The counts.
  const stored = await admin.query<{ broker: string; ts: Date }>(
    `SELECT r.labels->>'broker' AS broker, s.ts FROM ${schema}.samples s JOIN ${schema}.series r ON r.id = s.series_id JOIN ${schema}.metric m ON m.id = r.metric_id
      WHERE m.name = 'sluice_cluster_broker_up' ORDER BY s.ts`);
  // Windows in which a cycle was due: from 5 s after each start to 3 s before each kill (what the
  // killed process held in memory is the kill's, not a fault's).
  const windows = sluice.runs.map((r) => ({ from: r.start + 8_000, to: (r.end ?? Date.now()) - 3_000 }));
  let lost = 0;
  for (const broker of ['0', '1', '2']) lost += missingCycles(stored.rows.filter((r) => r.broker === broker).map((r) => r.ts.getTime()), windows, INTERVAL_S * 1000);
  const n = countNotifications(hook.received, expected, brokerDown, REPEAT_MS);
  if (sluice.output.includes(SECRET)) note('6 password in the running service output', false, 'the password appears in sluice start output');
  else note('6 password in the running service output', true, 'not in stdout, stderr or logs');
  const figures = {
    samplesLost: lost,
    notificationsDuplicated: n.duplicated.length + n.premature.length,
    notificationsLost: n.lost.length,
    outagesMissed: outagesMissed.length,
    longestHealthzStallMs: prober.longestMs,
    healthzAnswers: prober.answered,
    kills: sluice.runs.filter((r) => r.killed).length,
    notificationsReceived: hook.received.length,
  };
  const detail = [...n.duplicated.map((d) => `duplicate: ${d}`), ...n.premature.map((d) => `premature: ${d}`), ...n.lost.map((d) => `lost: ${d}`), ...outagesMissed.map((d) => `outage missed: ${d}`)];
  if (values.json) console.log(JSON.stringify({ figures, cases, detail }, null, 2));
  else {
    console.log('fault campaign against sluice start (3 bundled brokers, PostgreSQL through a cuttable proxy)');
    for (const c of cases) console.log(`  ${c.ok ? 'held  ' : 'FAILED'} ${c.name}: ${c.detail}`);
    for (const d of detail) console.log(`  ${d}`);
    console.log(`samples lost (broker_up cycles missing while running): ${figures.samplesLost}`);
    console.log(`notifications duplicated or resolved early: ${figures.notificationsDuplicated}; lost: ${figures.notificationsLost} (of ${figures.notificationsReceived} received)`);
    console.log(`outages missed: ${figures.outagesMissed}`);
    console.log(`longest /healthz stall: ${figures.longestHealthzStallMs} ms (${figures.healthzAnswers} answers, ${figures.kills} SIGKILLs)`);
  }
} finally {
  prober.stop();
  await killSluice().catch(() => undefined);
  await hook.close();
  await proxy.close();
  await cluster.stop();
  for (const s of [schema, `${schema}_bad`]) await admin.exec(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
  await admin.close();
  await rm(dir, { recursive: true, force: true });
}
