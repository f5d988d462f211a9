/**
 * Fixed series of a 3-broker cluster for the throttle tests: broker traffic on a triangle wave,
 * a core producer steady at 20 MB/s and a general producer taking the rest, bursting by 25 MB/s
 * from three minutes before NOW on.
 */
import { SeriesSet } from '../../src/rules/promql/index.ts';
import type { BrokerReading, ClientReading, Readings } from '../../src/throttle/signals.ts';

export const MB = 1_000_000;
export const STEP = 15_000;
export const NOW = 1_800_000_000_000;
export const START = NOW - 20 * 60_000;
const END = NOW + 15 * 60_000;

/** Broker bytes-in rate at time t: a triangle wave between 30 and 50 MB/s (10 min period), plus the burst. */
export function brokerIn(t: number, burst: boolean): number {
  const m = ((t - START) / 60_000) % 10;
  return (30 + 20 * Math.abs(m - 5) / 5) * MB + (burst && t > NOW - 3 * 60_000 ? 25 * MB : 0);
}

/** The cluster's exporter series from START to NOW + 15 min, with or without the burst. */
export function clusterSeries(burst: boolean): SeriesSet {
  const set = new SeriesSet();
  const c = { cluster: 'east' };
  for (const broker of ['0', '1', '2']) {
    let bytesIn = 0;
    let requests = 0;
    for (let t = START; t <= END; t += STEP) {
      const rateIn = brokerIn(t, burst);
      set.add({ __name__: 'kafka_server_brokertopicmetrics_bytesin_total', ...c, broker }, t, bytesIn);
      set.add({ __name__: 'kafka_server_brokertopicmetrics_bytesout_total', ...c, broker }, t, (t - START) * 20_000);
      set.add({ __name__: 'kafka_server_brokertopicmetrics_replicationbytesin_total', ...c, broker }, t, 0);
      set.add({ __name__: 'kafka_server_brokertopicmetrics_replicationbytesout_total', ...c, broker }, t, 0);
      set.add({ __name__: 'kafka_network_requestmetrics_requests_total', ...c, broker, request: 'Produce', version: '9' }, t, requests);
      set.add({ __name__: 'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', ...c, broker }, t, 0.9);
      set.add({ __name__: 'sluice_broker_network_capacity_bytes_per_second', ...c, broker, direction: 'in' }, t, 100 * MB);
      set.add({ __name__: 'sluice_broker_network_capacity_bytes_per_second', ...c, broker, direction: 'out' }, t, 100 * MB);
      set.add({ __name__: 'kafka_server_produce_byte_rate', ...c, broker, user: 'orders', client_id: 'api' }, t, 20 * MB);
      set.add({ __name__: 'kafka_server_produce_byte_rate', ...c, broker, user: 'batch', client_id: 'loader' }, t, brokerIn(t, burst) - 20 * MB);
      set.add({ __name__: 'kafka_server_produce_throttle_time', ...c, broker, user: 'orders', client_id: 'api' }, t, 0);
      set.add({ __name__: 'kafka_server_produce_throttle_time', ...c, broker, user: 'batch', client_id: 'loader' }, t, 0);
      bytesIn += rateIn * (STEP / 1000);
      requests += 1000 * (STEP / 1000);
    }
  }
  return set;
}

/**
 * A 3-broker cluster at a constant load from START to NOW + 15 min: `brokerInMB` MB/s into each
 * broker, of which the core producer (orders/api) sends 20 and the general one (batch/loader)
 * `loaderMB`, held back `loaderThrottleMs` per quota window.
 */
export function constantSeries(options: { brokerInMB: number; loaderMB: number; loaderThrottleMs: number }): SeriesSet {
  const set = new SeriesSet();
  const c = { cluster: 'east' };
  for (const broker of ['0', '1', '2']) {
    for (let t = START; t <= END; t += STEP) {
      const s = (t - START) / 1000;
      set.add({ __name__: 'kafka_server_brokertopicmetrics_bytesin_total', ...c, broker }, t, s * options.brokerInMB * MB);
      set.add({ __name__: 'kafka_server_brokertopicmetrics_bytesout_total', ...c, broker }, t, s * 20 * MB);
      set.add({ __name__: 'kafka_server_brokertopicmetrics_replicationbytesin_total', ...c, broker }, t, 0);
      set.add({ __name__: 'kafka_server_brokertopicmetrics_replicationbytesout_total', ...c, broker }, t, 0);
      set.add({ __name__: 'kafka_network_requestmetrics_requests_total', ...c, broker, request: 'Produce', version: '9' }, t, s * 1000);
      set.add({ __name__: 'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', ...c, broker }, t, 0.9);
      set.add({ __name__: 'sluice_broker_network_capacity_bytes_per_second', ...c, broker, direction: 'in' }, t, 100 * MB);
      set.add({ __name__: 'sluice_broker_network_capacity_bytes_per_second', ...c, broker, direction: 'out' }, t, 100 * MB);
      set.add({ __name__: 'kafka_server_produce_byte_rate', ...c, broker, user: 'orders', client_id: 'api' }, t, 20 * MB);
      set.add({ __name__: 'kafka_server_produce_byte_rate', ...c, broker, user: 'batch', client_id: 'loader' }, t, options.loaderMB * MB);
      set.add({ __name__: 'kafka_server_produce_throttle_time', ...c, broker, user: 'orders', client_id: 'api' }, t, 0);
      set.add({ __name__: 'kafka_server_produce_throttle_time', ...c, broker, user: 'batch', client_id: 'loader' }, t, options.loaderThrottleMs);
    }
  }
  return set;
}

/**
 * A broker of `capacity` bytes/s each way (default 1 MB/s) with client traffic in and out
 * (bytes/s), no replication, and request handlers 90% idle.
 */
export function brokerReading(id: string, bytesIn: number, bytesOut: number, capacity = MB): BrokerReading {
  return {
    broker: id, bytesIn, bytesOut, clientIn: bytesIn, clientOut: bytesOut, replicationIn: 0, replicationOut: 0, reassignIn: 0, reassignOut: 0,
    requests: 100, handlerIdle: 0.9, capacityIn: capacity, capacityOut: capacity, utilization: Math.max(0.1, bytesIn / capacity, bytesOut / capacity),
  };
}

/**
 * A client-id over the last minute (13 samples 5 s apart, to NOW): at `rate` bytes/s throughout,
 * or at each of `rates` (oldest first, the last one `rate`), held back `throttleMs` per quota window.
 */
export function clientReading(clientId: string, direction: 'produce' | 'consume', rate: number, throttleMs = 0, rates?: readonly number[]): ClientReading {
  const ts = Array.from({ length: 13 }, (_, i) => NOW - (12 - i) * 5000);
  const series = rates === undefined ? ts.map(() => rate) : [...rates];
  return { user: '', clientId, direction, rate, throttleMs, history: { ts, rate: series, throttleMs: ts.map(() => throttleMs) } };
}

/** One round's readings at NOW: fresh, 15 minutes of history, no fit points, calm queues. */
export function readingsOf(brokers: BrokerReading[], clients: ClientReading[]): Readings {
  return { at: NOW, brokers, history: new Map(brokers.map((b) => [b.broker, []])), clients, queueTimeP99Ms: 1, requestLatencyP99Ms: 5, ageMs: 0, historyMs: 15 * 60_000 };
}
