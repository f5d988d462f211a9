import { Counter, Gauge, Registry } from 'prom-client';
import type { BrokerNode } from '../node.ts';
import { sampleHost } from './host.ts';

/**
 * The Prometheus endpoint of one bundled broker: the series the Prometheus JMX exporter gives
 * Apache Kafka under the common Strimzi/Confluent rules, node_exporter series for the host, and
 * sluice_broker_* series for what only the bundled broker knows (log-dir and network capacity).
 * Values are read from the broker's state at scrape time; nothing is computed on the hot path.
 */

type Labels = Record<string, string>;
type Series = readonly (readonly [Labels, number])[];

const QUANTILES = [0.5, 0.75, 0.95, 0.98, 0.99, 0.999] as const;

function gauge(reg: Registry, name: string, help: string, labelNames: string[], read: () => Series): void {
  new Gauge({
    name, help, labelNames, registers: [reg],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.set(labels, v);
    },
  });
}

function counter(reg: Registry, name: string, help: string, labelNames: string[], read: () => Series): void {
  new Counter({
    name, help, labelNames, registers: [reg],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.inc(labels, Math.max(0, v));
    },
  });
}

/**
 * A gauge of many series (one per partition replica) whose label sets are distinct by
 * construction: it hands prom-client its values as they are read, in order, instead of storing
 * each one through `set` (a label hash per series). prom-client renders it as any other gauge.
 */
function largeGauge(reg: Registry, name: string, help: string, labelNames: string[], read: () => { labels: Labels; value: number }[]): void {
  const g = new Gauge({ name, help, labelNames, registers: [reg] });
  const aggregator = (g as unknown as { aggregator: string }).aggregator;
  (g as unknown as { get: () => Promise<unknown> }).get = async () => ({ help, name, type: 'gauge', values: read(), aggregator });
}

const TOPIC_COUNTERS = {
  bytesin: 'bytesIn', bytesout: 'bytesOut', messagesin: 'messagesIn',
  totalproducerequests: 'totalProduceRequests', totalfetchrequests: 'totalFetchRequests',
  failedproducerequests: 'failedProduceRequests', failedfetchrequests: 'failedFetchRequests',
} as const;

/** What the partition series of one scrape are computed from, read in one pass over the partitions. */
interface PartitionCounts {
  led: number;
  hosted: number;
  underReplicated: number;
  underMinIsr: number;
  offline: number;
  preferredImbalance: number;
  readonly logSizes: { labels: Labels; value: number }[];
}

/**
 * The partition counts of `node`, read once per scrape: every series of one scrape is collected
 * in the same synchronous turn, so the counts are computed on first use and dropped at the end
 * of that turn (the next scrape reads the state afresh).
 */
function partitionView(node: BrokerNode): () => PartitionCounts {
  let current: PartitionCounts | null = null;
  return () => {
    if (current !== null) return current;
    const cluster = node.cluster;
    const id = node.nodeId;
    const c: PartitionCounts = { led: 0, hosted: 0, underReplicated: 0, underMinIsr: 0, offline: 0, preferredImbalance: 0, logSizes: [] };
    const minIsr = new Map<string, number>();
    for (const p of cluster.allPartitions()) {
      if (p.leader < 0) c.offline++;
      else if (p.leader !== p.preferred) c.preferredImbalance++;
      const r = p.copies.get(id);
      if (r) {
        c.hosted++;
        c.logSizes.push({ labels: { topic: p.topic, partition: String(p.index) }, value: r.log.size });
      }
      if (p.leader !== id) continue;
      c.led++;
      if (p.underReplicated) c.underReplicated++;
      let min = minIsr.get(p.topic);
      if (min === undefined) {
        const t = cluster.topics.get(p.topic);
        min = t === undefined ? -1 : cluster.topics.numericConfig(t, 'min.insync.replicas');
        minIsr.set(p.topic, min);
      }
      if (p.isr.length < min) c.underMinIsr++;
    }
    current = c;
    queueMicrotask(() => { current = null; });
    return c;
  };
}

/** Builds the registry of one broker's metrics endpoint. */
export function brokerRegistry(node: BrokerNode): Registry {
  const reg = new Registry();
  const cluster = node.cluster;
  const isController = () => cluster.controllerId === node.nodeId;
  const partitions = partitionView(node);

  for (const [suffix, field] of Object.entries(TOPIC_COUNTERS)) {
    counter(reg, `kafka_server_brokertopicmetrics_${suffix}_total`, `BrokerTopicMetrics ${suffix}, per topic and for all topics (no topic label)`, ['topic'], () => {
      let all = 0;
      const out: [Labels, number][] = [];
      for (const [topic, c] of node.stats.topics) {
        out.push([{ topic }, c[field]]);
        all += c[field];
      }
      out.push([{}, all]);
      return out;
    });
  }
  counter(reg, 'kafka_server_brokertopicmetrics_replicationbytesin_total', 'Bytes replicated into this broker as a follower', [], () => [[{}, node.stats.replicationBytesIn]]);
  counter(reg, 'kafka_server_brokertopicmetrics_replicationbytesout_total', 'Bytes replicated out of this broker as a leader', [], () => [[{}, node.stats.replicationBytesOut]]);

  gauge(reg, 'kafka_server_leaderreplication_byte_rate', 'Bytes/s this broker served as a leader to throttled replicas (KIP-73), over the quota window', [], () => [[{}, node.replicationQuotas.leader.byteRate(Date.now())]]);
  gauge(reg, 'kafka_server_followerreplication_byte_rate', 'Bytes/s this broker fetched as a follower for throttled replicas (KIP-73), over the quota window', [], () => [[{}, node.replicationQuotas.follower.byteRate(Date.now())]]);
  gauge(reg, 'kafka_server_replicamanager_underreplicatedpartitions', 'Partitions led here whose ISR is smaller than the replica set', [], () => [[{}, partitions().underReplicated]]);
  gauge(reg, 'kafka_server_replicamanager_partitioncount', 'Replicas hosted by this broker', [], () => [[{}, partitions().hosted]]);
  gauge(reg, 'kafka_server_replicamanager_leadercount', 'Partitions led by this broker', [], () => [[{}, partitions().led]]);
  gauge(reg, 'kafka_server_replicamanager_underminisrpartitioncount', 'Partitions led here whose ISR is below min.insync.replicas', [], () => [[{}, partitions().underMinIsr]]);
  counter(reg, 'kafka_server_replicamanager_isrshrinks_total', 'ISR shrinks of partitions led here', [], () => [[{}, node.stats.isrShrinks]]);
  counter(reg, 'kafka_server_replicamanager_isrexpands_total', 'ISR expansions of partitions led here', [], () => [[{}, node.stats.isrExpands]]);

  gauge(reg, 'kafka_controller_kafkacontroller_activecontrollercount', '1 on the active controller', [], () => [[{}, isController() ? 1 : 0]]);
  gauge(reg, 'kafka_controller_kafkacontroller_offlinepartitionscount', 'Partitions without a leader (reported by the controller)', [], () => [[{}, isController() ? partitions().offline : 0]]);
  gauge(reg, 'kafka_controller_kafkacontroller_preferredreplicaimbalancecount', 'Partitions not led by their preferred replica (reported by the controller)', [], () => [[{}, isController() ? partitions().preferredImbalance : 0]]);
  counter(reg, 'kafka_controller_controllerstats_uncleanleaderelections_total', 'Unclean leader elections (reported by the controller)', [], () => [[{}, isController() ? cluster.stats.uncleanElections : 0]]);

  counter(reg, 'kafka_network_requestmetrics_requests_total', 'Requests by API and version', ['request', 'version'], () => {
    const out: [Labels, number][] = [];
    for (const [request, r] of node.stats.requests) for (const [version, n] of r.byVersion) out.push([{ request, version: String(version) }, n]);
    return out;
  });
  for (const [name, field] of [['totaltimems', 'totalTime'], ['requestqueuetimems', 'queueTime'], ['localtimems', 'localTime']] as const) {
    gauge(reg, `kafka_network_requestmetrics_${name}`, `Request ${field} percentiles over the last minute, ms`, ['request', 'quantile'], () => {
      const now = Date.now();
      const out: [Labels, number][] = [];
      for (const [request, r] of node.stats.requests) {
        const qs = r[field].quantiles(QUANTILES, now);
        QUANTILES.forEach((q, i) => out.push([{ request, quantile: String(q) }, qs[i]!]));
      }
      return out;
    });
  }
  gauge(reg, 'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', 'Fraction of request handler time idle (0..1)', [], () => [[{}, node.model.handlerIdle(Date.now())]]);
  gauge(reg, 'kafka_network_socketserver_networkprocessoravgidle_percent', 'Fraction of network time idle (0..1)', [], () => [[{}, node.model.networkIdle(Date.now())]]);
  gauge(reg, 'kafka_server_socket_server_metrics_connection_count', 'Open connections per listener', ['listener'], () => [[{ listener: cluster.options.saslUsers ? 'SASL_PLAINTEXT' : 'PLAINTEXT' }, node.alive ? node.server?.connectionCount ?? 0 : 0]]);
  largeGauge(reg, 'kafka_log_log_size', 'Bytes of each partition replica on this broker', ['topic', 'partition'], () => partitions().logSizes);

  const quotaSeries = (type: 'produce' | 'fetch' | 'request', pick: 'rate' | 'throttleMs'): Series => node.quotaEnforcer.snapshot(Date.now())
    .filter((s) => s.type === type)
    .map((s) => [{ user: s.user, client_id: s.clientId }, s[pick]] as const);
  gauge(reg, 'kafka_server_produce_byte_rate', 'Produce bytes/s per quota entity', ['user', 'client_id'], () => quotaSeries('produce', 'rate'));
  gauge(reg, 'kafka_server_fetch_byte_rate', 'Fetch bytes/s per quota entity', ['user', 'client_id'], () => quotaSeries('fetch', 'rate'));
  gauge(reg, 'kafka_server_produce_throttle_time', 'Average produce throttle time per request, ms', ['user', 'client_id'], () => quotaSeries('produce', 'throttleMs'));
  gauge(reg, 'kafka_server_fetch_throttle_time', 'Average fetch throttle time per request, ms', ['user', 'client_id'], () => quotaSeries('fetch', 'throttleMs'));
  gauge(reg, 'kafka_server_request_throttle_time', 'Average request-time throttle per request, ms', ['user', 'client_id'], () => quotaSeries('request', 'throttleMs'));
  gauge(reg, 'kafka_server_request_request_time', 'Request handler time, percent of one handler thread', ['user', 'client_id'], () => quotaSeries('request', 'rate'));

  gauge(reg, 'sluice_broker_log_dir_used_bytes', 'Bytes held in this broker\'s log dir', ['log_dir'], () => [[{ log_dir: node.logDir }, node.logDirUsedBytes()]]);
  gauge(reg, 'sluice_broker_log_dir_capacity_bytes', 'Capacity of this broker\'s log dir', ['log_dir'], () => [[{ log_dir: node.logDir }, node.capacity.logDirBytes]]);
  gauge(reg, 'sluice_broker_network_capacity_bytes_per_second', 'Network capacity of this broker by direction', ['direction'], () => [[{ direction: 'in' }, node.capacity.networkInBytesPerSec], [{ direction: 'out' }, node.capacity.networkOutBytesPerSec]]);
  gauge(reg, 'sluice_broker_request_handlers', 'Request handler threads of this broker', [], () => [[{}, node.capacity.requestHandlers]]);
  gauge(reg, 'sluice_broker_up', '1 while this broker serves requests', [], () => [[{}, node.alive ? 1 : 0]]);

  addHostMetrics(reg);
  return reg;
}

/** node_exporter series for the host, sampled once per scrape. */
function addHostMetrics(reg: Registry): void {
  let cached = { at: 0, sample: sampleHost() };
  const host = () => {
    const now = Date.now();
    if (now - cached.at > 500) cached = { at: now, sample: sampleHost() };
    return cached.sample;
  };
  counter(reg, 'node_cpu_seconds_total', 'Seconds the CPUs spent in each mode', ['cpu', 'mode'], () => host().cpu.map((c) => [{ cpu: c.cpu, mode: c.mode }, c.seconds]));
  gauge(reg, 'node_memory_MemAvailable_bytes', 'Memory information field MemAvailable_bytes', [], () => {
    const v = host().memAvailableBytes;
    return v === null ? [] : [[{}, v]];
  });
  gauge(reg, 'node_memory_MemTotal_bytes', 'Memory information field MemTotal_bytes', [], () => {
    const v = host().memTotalBytes;
    return v === null ? [] : [[{}, v]];
  });
  const fsLabels = ['device', 'mountpoint', 'fstype'];
  gauge(reg, 'node_filesystem_size_bytes', 'Filesystem size in bytes', fsLabels, () => host().filesystems.map((f) => [{ device: f.device, mountpoint: f.mountpoint, fstype: f.fstype }, f.sizeBytes]));
  gauge(reg, 'node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes', fsLabels, () => host().filesystems.map((f) => [{ device: f.device, mountpoint: f.mountpoint, fstype: f.fstype }, f.availBytes]));
  counter(reg, 'node_network_receive_bytes_total', 'Network device statistic receive_bytes', ['device'], () => host().network.map((n) => [{ device: n.device }, n.receiveBytes]));
  counter(reg, 'node_network_transmit_bytes_total', 'Network device statistic transmit_bytes', ['device'], () => host().network.map((n) => [{ device: n.device }, n.transmitBytes]));
  gauge(reg, 'node_load1', '1m load average', [], () => [[{}, host().load1]]);
}
