import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster, type RunningCluster } from '../../../../src/kafka/broker/index.ts';

const require = createRequire(import.meta.url);
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => { name: string; type: string; metrics: { labels?: Record<string, string>; value?: string }[] }[];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scrape(c: RunningCluster, id: number): Promise<{ text: string; value(name: string, labels?: Record<string, string>): number | undefined; names: Set<string> }> {
  const res = await fetch(`http://127.0.0.1:${c.cluster.nodes[id]!.metricsPort}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  const families = parsePrometheus(text);
  const names = new Set(families.map((f) => f.name));
  return {
    text,
    names,
    value(name, labels = {}) {
      const f = families.find((x) => x.name === name);
      const m = f?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v) && Object.keys(s.labels ?? {}).length === Object.keys(labels).length);
      return m?.value === undefined ? undefined : Number(m.value);
    },
  };
}

test('every listed series is exported and correct in a scripted situation', async () => {
  const c = await startCluster({
    port: 0, brokers: 3, metricsPort: 0, replicaLagTimeMaxMs: 400, autoLeaderRebalance: false,
    topics: [{ name: 'orders', partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }, { name: 'solo', partitions: 1, replicationFactor: 2 }],
  });
  const kafka = new Kafka({ brokers: [c.address(0)], clientId: 'metrics-probe', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  try {
    await producer.connect();
    // 30 messages of 100 bytes to orders partition 0 (led by broker 0), in 3 requests of 10.
    for (let i = 0; i < 3; i++) {
      await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 10 }, () => ({ value: Buffer.alloc(100, 1), partition: 0 })) });
    }
    const admin = kafka.admin();
    await admin.connect();
    await admin.fetchTopicOffsets('orders');
    await admin.disconnect();

    const s0 = await scrape(c, 0);
    const p0 = c.cluster.topics.partition('orders', 0)!;
    const log0 = p0.copies.get(0)!.log;
    assert.equal(s0.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'orders' }), 30);
    assert.equal(s0.value('kafka_server_brokertopicmetrics_messagesin_total'), 30);
    assert.equal(s0.value('kafka_server_brokertopicmetrics_totalproducerequests_total', { topic: 'orders' }), 3);
    assert.equal(s0.value('kafka_server_brokertopicmetrics_failedproducerequests_total', { topic: 'orders' }), 0);
    assert.equal(s0.value('kafka_server_brokertopicmetrics_bytesin_total', { topic: 'orders' }), log0.size);
    assert.equal(s0.value('kafka_log_log_size', { topic: 'orders', partition: '0' }), log0.size);
    assert.equal(s0.value('kafka_server_replicamanager_partitioncount'), 4 - (p0.replicas.includes(0) ? 0 : 1) - (c.cluster.topics.partition('solo', 0)!.replicas.includes(0) ? 0 : 1));
    assert.equal(s0.value('kafka_server_replicamanager_leadercount'), [...c.cluster.allPartitions()].filter((p) => p.leader === 0).length);
    assert.equal(s0.value('kafka_controller_kafkacontroller_activecontrollercount'), 1);
    assert.equal((await scrape(c, 1)).value('kafka_controller_kafkacontroller_activecontrollercount'), 0);
    assert.ok((s0.value('kafka_network_requestmetrics_requests_total', { request: 'Produce', version: '7' }) ?? 0) >= 3);
    assert.ok((s0.value('kafka_network_requestmetrics_totaltimems', { request: 'Produce', quantile: '0.99' }) ?? -1) >= 0);
    assert.notEqual(s0.value('kafka_network_requestmetrics_requestqueuetimems', { request: 'Produce', quantile: '0.5' }), undefined);
    assert.notEqual(s0.value('kafka_network_requestmetrics_localtimems', { request: 'Produce', quantile: '0.999' }), undefined);
    const idle = s0.value('kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent')!;
    assert.ok(idle > 0.9 && idle <= 1, `idle ${idle}`);
    assert.ok(s0.value('kafka_network_socketserver_networkprocessoravgidle_percent')! > 0.9);
    assert.ok(s0.value('kafka_server_socket_server_metrics_connection_count', { listener: 'PLAINTEXT' })! >= 1);
    assert.equal(s0.value('kafka_server_produce_byte_rate', { user: 'ANONYMOUS', client_id: 'metrics-probe' })! > 0, true);
    assert.equal(s0.value('kafka_server_produce_throttle_time', { user: 'ANONYMOUS', client_id: 'metrics-probe' }), 0);
    assert.notEqual(s0.value('kafka_server_request_request_time', { user: 'ANONYMOUS', client_id: 'metrics-probe' }), undefined);
    // Host series in node_exporter names.
    for (const name of ['node_cpu_seconds_total', 'node_memory_MemAvailable_bytes', 'node_filesystem_size_bytes', 'node_filesystem_avail_bytes', 'node_network_receive_bytes_total', 'node_network_transmit_bytes_total', 'node_load1']) {
      assert.ok(s0.names.has(name), `${name} exported`);
    }
    assert.ok(s0.value('node_cpu_seconds_total', { cpu: '0', mode: 'idle' })! > 0);

    // Cut broker 2's replication: partitions led by 0 and 1 with a replica on 2 become under-replicated.
    c.cluster.nodes[2]!.replicationCut = true;
    await producer.send({ topic: 'orders', acks: 1, messages: [{ value: 'x', partition: 0 }] });
    await sleep(900);
    const urp0 = (await scrape(c, 0)).value('kafka_server_replicamanager_underreplicatedpartitions')!;
    assert.equal(urp0, [...c.cluster.allPartitions()].filter((p) => p.leader === 0 && p.replicas.includes(2)).length);
    assert.ok(urp0 >= 1);
    assert.ok((await scrape(c, 0)).value('kafka_server_replicamanager_isrshrinks_total')! >= 1);
    c.cluster.nodes[2]!.replicationCut = false;
    await sleep(400);
    const restored = await scrape(c, 0);
    assert.equal(restored.value('kafka_server_replicamanager_underreplicatedpartitions'), 0);
    assert.ok(restored.value('kafka_server_replicamanager_isrexpands_total')! >= 1);

    // Stop both replicas of 'solo': one offline partition, counted by the controller.
    const solo = c.cluster.topics.partition('solo', 0)!;
    for (const b of solo.replicas) await c.cluster.stopBroker(b);
    const alive = c.cluster.liveNodes()[0]!.nodeId;
    const ctl = await scrape(c, alive);
    assert.equal(ctl.value('kafka_controller_kafkacontroller_activecontrollercount'), 1);
    assert.equal(ctl.value('kafka_controller_kafkacontroller_offlinepartitionscount'), 1);
    assert.ok(ctl.value('kafka_controller_kafkacontroller_preferredreplicaimbalancecount')! >= 1);
    assert.equal(ctl.value('kafka_controller_controllerstats_uncleanleaderelections_total'), 0);

    // promtool (Debian package prometheus, installed by CI) parses the text; its only lint findings
    // are about names that Kafka's JMX exporter and node_exporter use themselves, kept on purpose.
    let promtool = true;
    try { execFileSync('promtool', ['--version'], { stdio: 'ignore' }); } catch { promtool = false; }
    if (promtool) {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-metrics-'));
      writeFileSync(join(dir, 'm.prom'), ctl.text);
      const out = execFileSync('sh', ['-c', `promtool check metrics < ${join(dir, 'm.prom')} 2>&1 || true`]).toString();
      const findings = [...new Set(out.split('\n').filter((l) => l.trim() !== ''))].sort();
      assert.deepEqual(findings, [
        'kafka_network_requestmetrics_localtimems non-summary metrics should not have "quantile" label',
        'kafka_network_requestmetrics_requestqueuetimems non-summary metrics should not have "quantile" label',
        'kafka_network_requestmetrics_totaltimems non-summary metrics should not have "quantile" label',
        'kafka_server_socket_server_metrics_connection_count non-histogram and non-summary metrics should not have "_count" suffix',
        "node_memory_MemAvailable_bytes metric names should be written in 'snake_case' not 'camelCase'",
        "node_memory_MemTotal_bytes metric names should be written in 'snake_case' not 'camelCase'",
      ]);
    }
  } finally {
    await producer.disconnect().catch(() => {});
    await c.stop();
  }
});
