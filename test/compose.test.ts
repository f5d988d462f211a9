/**
 * docker-compose.yml without a Docker engine: the services the stack needs, every file and
 * directory it mounts or builds from, and every host, port, credential and path that Sluice's
 * config (sluice.compose.yaml, validated by Sluice's own loader), Grafana's provisioning and the
 * JMX exporter rules name, checked against each other. The JMX exporter rules are applied, with
 * the exporter's matching and naming, to the MBeans Apache Kafka registers; the names they give
 * must be the very names the bundled broker exports, which are the names Sluice reads.
 */
import assert from 'node:assert/strict';
import { access, readFile, stat } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DCLinter } from 'dclint';
import { parse } from 'yaml';
import { loadSluiceConfig, type SluiceConfig } from '../src/app-config.ts';
import { KafkaAdmin } from '../src/kafka/admin.ts';
import { startCluster, type RunningCluster } from '../src/kafka/broker/index.ts';
import { silentLogger } from '../src/telemetry/logger.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  hostname?: string;
  healthcheck?: { test: string[] };
}
interface Compose { services: Record<string, Service>; volumes?: Record<string, unknown> }

const compose = parse(await readFile(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
const services = compose.services;
const KAFKA = ['kafka-1', 'kafka-2', 'kafka-3'];

/** `source:target[:mode]` of a service's mounts. */
function mounts(s: Service): { source: string; target: string }[] {
  return (s.volumes ?? []).map((v) => {
    const [source, target] = v.split(':') as [string, string];
    return { source, target };
  });
}

/** The container path a repository path is mounted at in `service`. */
function mountOf(service: string, repoPath: string): string {
  const m = mounts(services[service]!).find((x) => posix.normalize(x.source) === posix.normalize(repoPath));
  assert.ok(m !== undefined, `${service} does not mount ${repoPath}`);
  return m.target;
}

/** The value of `--flag` in a command. */
function flag(command: readonly string[], name: string): string {
  const i = command.indexOf(name);
  assert.ok(i >= 0 && i + 1 < command.length, `no ${name} in ${command.join(' ')}`);
  return command[i + 1]!;
}

/** Container-side ports a service publishes. */
function published(s: Service): number[] {
  return (s.ports ?? []).map((p) => Number(p.split(':').at(-1)));
}

let config: SluiceConfig;
before(async () => {
  // Without environment overrides: DATABASE_URL of the test run must not replace the file's store.url.
  config = await loadSluiceConfig(join(root, 'sluice.compose.yaml'), {});
});

test('the stack: three KRaft brokers of the official image, node_exporter, PostgreSQL, Grafana, a mail catcher and Sluice built here', () => {
  assert.deepEqual(Object.keys(services).sort(), ['grafana', 'jmx-agent', 'kafka-1', 'kafka-2', 'kafka-3', 'mailpit', 'node-exporter', 'postgres', 'sluice']);
  const voters: string[] = [];
  for (const [i, name] of KAFKA.entries()) {
    const k = services[name]!;
    assert.match(k.image ?? '', /^apache\/kafka:\d+\.\d+\.\d+$/);
    const env = k.environment!;
    assert.equal(env.KAFKA_NODE_ID, String(i + 1));
    assert.equal(env.KAFKA_PROCESS_ROLES, 'broker,controller');
    assert.equal(env.CLUSTER_ID, services['kafka-1']!.environment!.CLUSTER_ID);
    assert.match(env.KAFKA_ADVERTISED_LISTENERS!, new RegExp(`PLAINTEXT://${name}:9092`));
    voters.push(`${env.KAFKA_NODE_ID}@${name}:${/CONTROLLER:\/\/:(\d+)/.exec(env.KAFKA_LISTENERS!)![1]}`);
    assert.deepEqual(k.depends_on, { 'jmx-agent': { condition: 'service_completed_successfully' } });
    // The log dir is a volume of its own, so a broker's data survives a restart.
    const logDir = mounts(k).find((m) => m.target === env.KAFKA_LOG_DIRS);
    assert.ok(logDir !== undefined && !logDir.source.startsWith('.'), `${name}: ${env.KAFKA_LOG_DIRS} is not on a volume`);
  }
  assert.equal(services['kafka-1']!.environment!.KAFKA_CONTROLLER_QUORUM_VOTERS, voters.join(','));
  assert.match(services['node-exporter']!.image!, /^prom\/node-exporter:/);
  assert.match(services.postgres!.image!, /^postgres:\d+$/);
  assert.match(services.grafana!.image!, /^grafana\/grafana:\d+\.\d+\.\d+$/);
  assert.match(services.mailpit!.image!, /^axllent\/mailpit:/);
  assert.equal(services.sluice!.build, '.');
  const hostPorts = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => p.split(':').slice(0, -1).join(':')));
  assert.equal(new Set(hostPorts).size, hostPorts.length, `host ports used twice: ${hostPorts.join(', ')}`);
});

test('the file is valid against the Compose Specification schema and published ports stay on 127.0.0.1 (dclint)', () => {
  const linter = new DCLinter({
    quiet: true, debug: false, exclude: [],
    // A rule left out is on: the style rules (key and service order, quoting) and no-build-and-image
    // (the sluice service names the image it builds) are turned off.
    rules: {
      'no-duplicate-container-names': 2, 'no-duplicate-exported-ports': 2, 'no-unbound-port-interfaces': 2, 'no-version-field': 2,
      'require-project-name-field': 2, 'service-image-require-explicit-tag': 2, 'service-container-name-regex': 2,
      'no-build-and-image': 0, 'no-quotes-in-volumes': 0, 'require-quotes-in-ports': 0, 'service-dependencies-alphabetical-order': 0,
      'service-keys-order': 0, 'service-ports-alphabetical-order': 0, 'services-alphabetical-order': 0, 'top-level-properties-order': 0,
    },
  });
  const [result] = linter.lintFiles([join(root, 'docker-compose.yml')], false);
  assert.deepEqual(result!.messages.map((m: { rule: string; message: string }) => `${m.rule}: ${m.message}`), []);
});

test('every file and directory the stack mounts or builds from exists, and the image gets what it copies', async () => {
  for (const [name, s] of Object.entries(services)) {
    for (const m of mounts(s)) {
      if (m.source.startsWith('./')) await access(join(root, m.source)).catch(() => assert.fail(`${name} mounts ${m.source}, which does not exist`));
      else if (!m.source.startsWith('/')) assert.ok(compose.volumes !== undefined && m.source in compose.volumes, `${name}: volume ${m.source} is not declared`);
    }
  }
  const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
  const ignored = (await readFile(join(root, '.dockerignore'), 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const copied = [...dockerfile.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
  assert.ok(copied.length >= 5);
  for (const path of copied) {
    await stat(join(root, path));
    assert.ok(!ignored.some((i) => path === i || path.startsWith(`${i}/`)), `.dockerignore leaves out ${path}, which the Dockerfile copies`);
  }
  // What Sluice needs at run time is in the image: the entry point and the shipped rules.
  assert.match(dockerfile, /^ENTRYPOINT \["node", "bin\/sluice\.js"\]$/m);
  for (const path of ['bin', 'src', 'rules', 'package.json', 'package-lock.json']) assert.ok(copied.includes(path) || copied.includes(`./${path}`), `the image lacks ${path}`);
});

test('Sluice\'s config names the stack\'s brokers, exporters, database, mail catcher and ports', () => {
  const sluice = services.sluice!;
  const command = sluice.command as string[];
  assert.equal(command[0], 'start');
  assert.equal(mountOf('sluice', './sluice.compose.yaml'), flag(command, '--config'));

  const db = new URL(config.store.url!);
  const pgEnv = services.postgres!.environment!;
  assert.deepEqual([db.hostname, db.port, decodeURIComponent(db.username), decodeURIComponent(db.password), db.pathname.slice(1)], ['postgres', '5432', pgEnv.POSTGRES_USER, pgEnv.POSTGRES_PASSWORD, pgEnv.POSTGRES_DB]);
  assert.equal(sluice.depends_on?.postgres?.condition, 'service_healthy');
  // DATABASE_URL would override store.url.
  assert.equal(sluice.environment?.DATABASE_URL, undefined);

  const [cluster] = config.clusters;
  assert.equal(config.clusters.length, 1);
  assert.deepEqual(cluster!.bootstrap, KAFKA.map((k) => {
    const port = /PLAINTEXT:\/\/:(\d+)/.exec(services[k]!.environment!.KAFKA_LISTENERS!)![1];
    return `${k}:${port}`;
  }));
  assert.deepEqual(cluster!.metrics, KAFKA.map((k) => {
    const env = services[k]!.environment!;
    const port = /jmx_prometheus_javaagent\.jar=(\d+):/.exec(env.KAFKA_OPTS!)![1];
    return { url: `http://${k}:${port}/metrics`, broker: Number(env.KAFKA_NODE_ID) };
  }));
  for (const k of KAFKA) assert.equal(sluice.depends_on?.[k]?.condition, 'service_healthy');

  const nodeExporterPort = /--web\.listen-address=:(\d+)/.exec((services['node-exporter']!.command as string[]).join(' '))![1];
  assert.deepEqual(cluster!.hosts, [`http://node-exporter:${nodeExporterPort}/metrics`]);

  assert.equal(config.api?.host, '0.0.0.0');
  assert.ok(published(sluice).includes(config.api!.port), `the sluice service does not publish the API port ${config.api!.port}`);

  const email = config.notify!.receivers.flatMap((r) => r.email_configs);
  assert.ok(email.length > 0);
  // mailpit takes SMTP on 1025 and serves its web UI on 8025.
  for (const e of email) assert.equal(e.smarthost, 'mailpit:1025');
  assert.ok(published(services.mailpit!).includes(8025));
  assert.equal(config.throttle?.mode, 'recommend');
});

test('each broker runs the JMX exporter agent with the config mounted where KAFKA_OPTS names it', () => {
  const download = (services['jmx-agent']!.command as string[]).join(' ');
  const jar = /-o (\S+)/.exec(download)![1]!;
  const agentVolume = mounts(services['jmx-agent']!).find((m) => jar.startsWith(`${m.target}/`))!;
  assert.ok(agentVolume !== undefined, `the jar ${jar} is not written to a volume`);
  assert.match(download, /https:\/\/repo1\.maven\.org\/maven2\/io\/prometheus\/jmx\/jmx_prometheus_javaagent\/[\d.]+\/jmx_prometheus_javaagent-[\d.]+\.jar/);
  for (const k of KAFKA) {
    const [, agentPath, configPath] = /-javaagent:(\S+?)=\d+:(\S+)/.exec(services[k]!.environment!.KAFKA_OPTS!)!;
    const agentMount = mounts(services[k]!).find((m) => m.source === agentVolume.source)!;
    assert.equal(agentPath, posix.join(agentMount.target, posix.relative(agentVolume.target, jar)));
    assert.equal(mountOf(k, './docker/kafka/jmx-exporter.yaml'), configPath);
    // A Kafka tool run beside the broker must not start a second agent on the agent's port.
    const check = services[k]!.healthcheck!.test.join(' ');
    assert.match(check, /KAFKA_OPTS= \/opt\/kafka\/bin\/kafka-broker-api-versions\.sh --bootstrap-server localhost:9092/);
  }
});

test('Grafana gets the provisioning, the boards where the provider looks, and the database role the data source names', async () => {
  const grafana = services.grafana!;
  assert.equal(mountOf('grafana', './dashboards/provisioning'), '/etc/grafana/provisioning');
  const provider = (parse(await readFile(join(root, 'dashboards/provisioning/dashboards/sluice.yaml'), 'utf8')) as { providers: { type: string; options: { path: string } }[] }).providers[0]!;
  assert.equal(mountOf('grafana', './dashboards/json'), provider.options.path);
  const env = grafana.environment!;
  const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
  assert.ok(home.startsWith(`${provider.options.path}/`));
  await access(join(root, 'dashboards/json', posix.relative(provider.options.path, home)));

  const datasource = await readFile(join(root, 'dashboards/provisioning/datasources/sluice.yaml'), 'utf8');
  const used = [...new Set([...datasource.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))].sort();
  assert.deepEqual(used, ['SLUICE_DB_HOST', 'SLUICE_DB_NAME', 'SLUICE_DB_PASSWORD', 'SLUICE_DB_USER']);
  for (const name of used) assert.ok(env[name] !== undefined && env[name] !== '', `Grafana's environment lacks ${name}`);
  assert.equal(env.SLUICE_DB_HOST, 'postgres:5432');
  assert.equal(env.SLUICE_DB_NAME, services.postgres!.environment!.POSTGRES_DB);
  // The role the data source connects as is the read-only one the init script creates.
  const init = await readFile(join(root, mountSource('postgres', '/docker-entrypoint-initdb.d'), '01-grafana-reader.sql'), 'utf8');
  assert.match(init, new RegExp(`CREATE ROLE ${env.SLUICE_DB_USER} LOGIN PASSWORD '${env.SLUICE_DB_PASSWORD}'`));
  assert.match(init, new RegExp(`GRANT CONNECT ON DATABASE ${env.SLUICE_DB_NAME} TO ${env.SLUICE_DB_USER}`));
  assert.match(init, new RegExp(`FOR ROLE ${services.postgres!.environment!.POSTGRES_USER} IN SCHEMA public GRANT SELECT ON TABLES TO ${env.SLUICE_DB_USER}`));
  assert.equal(grafana.depends_on?.postgres?.condition, 'service_healthy');
});

test('Grafana gets the Prometheus variant of the boards, reading Sluice\'s Prometheus API on the port Sluice serves it', async () => {
  const provider = (parse(await readFile(join(root, 'dashboards/provisioning/dashboards/sluice-prometheus.yaml'), 'utf8')) as { providers: { options: { path: string } }[] }).providers[0]!;
  assert.equal(mountOf('grafana', './dashboards/json-prometheus'), provider.options.path);
  const datasource = await readFile(join(root, 'dashboards/provisioning/datasources/sluice-prometheus.yaml'), 'utf8');
  assert.deepEqual([...new Set([...datasource.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))], ['SLUICE_API_URL']);
  assert.equal(services.grafana!.environment!.SLUICE_API_URL, `http://sluice:${config.api.port}`);
  assert.equal(config.api.host, '0.0.0.0');
});

function mountSource(service: string, target: string): string {
  const m = mounts(services[service]!).find((x) => x.target === target);
  assert.ok(m !== undefined, `${service} mounts nothing at ${target}`);
  return m.source;
}

// --- The JMX exporter's rules, applied as the exporter applies them -----------------------------

interface JmxRule { pattern: string; name: string; labels?: Record<string, string> }
interface JmxConfig { lowercaseOutputName?: boolean; lowercaseOutputLabelNames?: boolean; includeObjectNames?: string[]; rules: JmxRule[] }

/** A name as the exporter makes it safe: characters outside [a-zA-Z0-9:_] become `_`, runs of `_` one. */
function safeName(name: string): string {
  return name.replace(/[^a-zA-Z0-9:_]/g, '_').replace(/__+/g, '_');
}

/** Whether an ObjectName pattern (`domain:key=value,*`) selects the bean `domain:key=value,...`. */
function objectNameMatches(pattern: string, bean: { domain: string; props: [string, string][] }): boolean {
  const [domain, keys] = pattern.split(':') as [string, string];
  if (domain !== bean.domain) return false;
  const wanted = keys.split(',').filter((k) => k !== '*').map((k) => k.split('=') as [string, string]);
  const props = new Map(bean.props);
  if (!keys.split(',').includes('*') && props.size !== wanted.length) return false;
  return wanted.every(([k, v]) => props.get(k) === v);
}

/** The series an MBean attribute becomes: the first rule whose anchored pattern matches `domain<k=v, ...><>attribute`. */
function exportAs(config: JmxConfig, domain: string, props: [string, string][], attribute: string): { name: string; labels: Record<string, string> } | undefined {
  if (config.includeObjectNames !== undefined && !config.includeObjectNames.some((p) => objectNameMatches(p, { domain, props }))) return undefined;
  const text = `${domain}<${props.map(([k, v]) => `${k}=${v}`).join(', ')}><>${attribute}`;
  for (const rule of config.rules) {
    const m = new RegExp(`^(?:${rule.pattern})$`).exec(text);
    if (m === null) continue;
    const fill = (s: string): string => s.replace(/\$(\d+)/g, (_, i: string) => m[Number(i)] ?? '');
    let name = safeName(fill(rule.name));
    if (config.lowercaseOutputName === true) name = name.toLowerCase();
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(rule.labels ?? {})) labels[config.lowercaseOutputLabelNames === true ? safeName(fill(k)).toLowerCase() : safeName(fill(k))] = fill(v);
    return { name, labels };
  }
  return undefined;
}

/** MBean attributes Apache Kafka registers for what Sluice reads (domain, key properties in Kafka's order, attribute). */
const KAFKA_MBEANS: readonly [string, [string, string][], string][] = [
  ...['BytesInPerSec', 'BytesOutPerSec', 'MessagesInPerSec', 'TotalProduceRequestsPerSec', 'TotalFetchRequestsPerSec', 'FailedProduceRequestsPerSec', 'FailedFetchRequestsPerSec']
    .flatMap((name): [string, [string, string][], string][] => [
      ['kafka.server', [['type', 'BrokerTopicMetrics'], ['name', name], ['topic', 'orders']], 'Count'],
      ['kafka.server', [['type', 'BrokerTopicMetrics'], ['name', name]], 'Count'],
    ]),
  ['kafka.server', [['type', 'BrokerTopicMetrics'], ['name', 'ReplicationBytesInPerSec']], 'Count'],
  ['kafka.server', [['type', 'BrokerTopicMetrics'], ['name', 'ReplicationBytesOutPerSec']], 'Count'],
  ...['UnderReplicatedPartitions', 'PartitionCount', 'LeaderCount', 'UnderMinIsrPartitionCount']
    .map((name): [string, [string, string][], string] => ['kafka.server', [['type', 'ReplicaManager'], ['name', name]], 'Value']),
  ['kafka.server', [['type', 'ReplicaManager'], ['name', 'IsrShrinksPerSec']], 'Count'],
  ['kafka.server', [['type', 'ReplicaManager'], ['name', 'IsrExpandsPerSec']], 'Count'],
  ...['ActiveControllerCount', 'OfflinePartitionsCount', 'PreferredReplicaImbalanceCount']
    .map((name): [string, [string, string][], string] => ['kafka.controller', [['type', 'KafkaController'], ['name', name]], 'Value']),
  ['kafka.controller', [['type', 'ControllerStats'], ['name', 'UncleanLeaderElectionsPerSec']], 'Count'],
  ['kafka.network', [['type', 'RequestMetrics'], ['name', 'RequestsPerSec'], ['request', 'Produce'], ['version', '9']], 'Count'],
  ...['TotalTimeMs', 'RequestQueueTimeMs', 'LocalTimeMs']
    .map((name): [string, [string, string][], string] => ['kafka.network', [['type', 'RequestMetrics'], ['name', name], ['request', 'Produce']], '99thPercentile']),
  ['kafka.server', [['type', 'KafkaRequestHandlerPool'], ['name', 'RequestHandlerAvgIdlePercent']], 'OneMinuteRate'],
  ['kafka.network', [['type', 'SocketServer'], ['name', 'NetworkProcessorAvgIdlePercent']], 'Value'],
  ['kafka.server', [['type', 'socket-server-metrics'], ['listener', 'PLAINTEXT'], ['networkProcessor', '0']], 'connection-count'],
  ['kafka.log', [['type', 'Log'], ['name', 'Size'], ['topic', 'orders'], ['partition', '0']], 'Value'],
  ...(['Produce', 'Fetch'] as const).flatMap((type): [string, [string, string][], string][] => ['byte-rate', 'throttle-time'].flatMap((attr): [string, [string, string][], string][] => [
    ['kafka.server', [['type', type], ['user', 'alice'], ['client-id', 'etl']], attr],
    ['kafka.server', [['type', type], ['client-id', 'etl']], attr],
  ])),
  ['kafka.server', [['type', 'Request'], ['user', 'alice'], ['client-id', 'etl']], 'request-time'],
  ['kafka.server', [['type', 'Request'], ['user', 'alice'], ['client-id', 'etl']], 'throttle-time'],
  ['kafka.server', [['type', 'LeaderReplication']], 'byte-rate'],
  ['kafka.server', [['type', 'FollowerReplication']], 'byte-rate'],
];

let bundled: RunningCluster;
after(async () => {
  await bundled?.stop();
});

test('the JMX exporter rules give Kafka\'s MBeans the names and labels the bundled broker exports and Sluice reads', async () => {
  const jmx = parse(await readFile(join(root, 'docker/kafka/jmx-exporter.yaml'), 'utf8')) as JmxConfig;
  const exported = KAFKA_MBEANS.map(([domain, props, attr]) => {
    const series = exportAs(jmx, domain, props, attr);
    assert.ok(series !== undefined, `no rule exports ${domain}<${props.map((p) => p.join('=')).join(', ')}><>${attr}`);
    return series;
  });
  // Exact names and labels of a few that rules and the throttle loop depend on.
  assert.deepEqual(exported[0], { name: 'kafka_server_brokertopicmetrics_bytesin_total', labels: { topic: 'orders' } });
  assert.deepEqual(exported[1], { name: 'kafka_server_brokertopicmetrics_bytesin_total', labels: {} });
  assert.deepEqual(exportAs(jmx, 'kafka.network', [['type', 'RequestMetrics'], ['name', 'TotalTimeMs'], ['request', 'Fetch']], '99thPercentile'),
    { name: 'kafka_network_requestmetrics_totaltimems', labels: { request: 'Fetch', quantile: '0.99' } });
  assert.deepEqual(exportAs(jmx, 'kafka.server', [['type', 'Produce'], ['user', 'alice'], ['client-id', 'etl']], 'byte-rate'),
    { name: 'kafka_server_produce_byte_rate', labels: { user: 'alice', client_id: 'etl' } });
  assert.deepEqual(exportAs(jmx, 'kafka.server', [['type', 'Fetch'], ['client-id', 'etl']], 'throttle-time'),
    { name: 'kafka_server_fetch_throttle_time', labels: { client_id: 'etl' } });
  // MBeans Sluice does not read stay out.
  assert.equal(exportAs(jmx, 'kafka.server', [['type', 'FetcherStats'], ['name', 'BytesPerSec'], ['clientId', 'x']], 'Count'), undefined);

  // The bundled broker exports the Strimzi/Confluent names: the same set must come out of Kafka.
  bundled = await startCluster({ port: 0, brokers: 1, metricsPort: 0, logger: silentLogger() });
  const node = bundled.cluster.nodes.find((n) => n !== undefined)!;
  // One request, so that the broker has request time series to export.
  const admin = new KafkaAdmin({ bootstrap: [bundled.bootstrap], clientId: 'compose-test' });
  try {
    await admin.metadata();
  } finally {
    await admin.close();
  }
  const text = await (await fetch(`http://127.0.0.1:${node.metricsPort}/metrics`)).text();
  const bundledNames = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!).filter((n) => n.startsWith('kafka_')));
  assert.deepEqual([...new Set(exported.map((s) => s.name))].sort(), [...bundledNames].sort());
  // Request time quantiles carry the labels the bundled broker gives them (Sluice reads quantile="0.99").
  const quantiles = (attrs: string[]): string[] => attrs.map((a) => exportAs(jmx, 'kafka.network', [['type', 'RequestMetrics'], ['name', 'TotalTimeMs'], ['request', 'Produce']], a)!.labels.quantile!);
  const bundledQuantiles = [...new Set([...text.matchAll(/^kafka_network_requestmetrics_totaltimems\{[^}]*quantile="([^"]+)"/gm)].map((m) => m[1]!))].sort();
  assert.ok(bundledQuantiles.length > 0, 'the bundled broker exported no request time quantiles');
  assert.deepEqual(quantiles(['50thPercentile', '75thPercentile', '95thPercentile', '98thPercentile', '99thPercentile', '999thPercentile']).sort(), bundledQuantiles);
});
