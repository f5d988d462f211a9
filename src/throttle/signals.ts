/**
 * What the throttle loop reads each round, through the PromQL engine over any `Querier` (the
 * head live, a fixture in replay): per-broker traffic, handler idle and capacity now and over
 * the fit window, queueing and latency, and per-client rates and throttle times. Per-client rates
 * are the largest over brokers, because Kafka enforces a quota on each broker separately: the
 * busiest broker is where a client meets its quota.
 */
import { Engine, type MatrixSeries, type Value } from '../rules/promql/index.ts';
import type { Querier } from '../store/types.ts';
import { KAFKA_QUOTA_WINDOW_MS } from './demand.ts';
import type { LoadPoint } from './model.ts';

/** One broker now. */
export interface BrokerReading {
  readonly broker: string;
  /** All bytes in (client and replication), bytes/s. */
  readonly bytesIn: number;
  /** All bytes out (client and replication), bytes/s. */
  readonly bytesOut: number;
  /** Produced bytes/s. */
  readonly clientIn: number;
  /** Bytes/s fetched by consumers. */
  readonly clientOut: number;
  /** Bytes/s fetched by this broker as a follower, the copying of reassigned partitions not included. */
  readonly replicationIn: number;
  /** Bytes/s fetched from this broker by followers, the copying of reassigned partitions not included. */
  readonly replicationOut: number;
  /**
   * Bytes/s this broker copies in and out for partition reassignments (see `reassignmentTraffic`):
   * not load the loop limits clients for. A move runs under a replication throttle its executor
   * sizes from the room clients leave, so when clients need the room the move slows down, not the
   * clients. Not part of bytesIn, bytesOut or utilization.
   */
  readonly reassignIn: number;
  readonly reassignOut: number;
  readonly requests: number;
  readonly handlerIdle: number | undefined;
  readonly capacityIn: number;
  readonly capacityOut: number;
  /** max(1 − handler idle, bytes in / capacity in, bytes out / capacity out). */
  readonly utilization: number;
}

/** One client in one direction, now and over the window. */
export interface ClientReading {
  readonly user: string;
  readonly clientId: string;
  readonly direction: 'produce' | 'consume';
  /** Largest per-broker rate now, bytes/s. */
  readonly rate: number;
  readonly throttleMs: number;
  readonly history: { readonly ts: number[]; readonly rate: number[]; readonly throttleMs: number[] };
}

/** Everything one round reads. */
export interface Readings {
  readonly at: number;
  readonly brokers: readonly BrokerReading[];
  /** Per broker, the fit window's points. */
  readonly history: ReadonlyMap<string, readonly LoadPoint[]>;
  readonly clients: readonly ClientReading[];
  readonly queueTimeP99Ms: number | undefined;
  readonly requestLatencyP99Ms: number | undefined;
  /** Age of the newest broker sample, ms (Infinity when none). */
  readonly ageMs: number;
  /** Time the fit window's broker points span, ms (the longest over brokers; 0 with fewer than two). */
  readonly historyMs: number;
}

/** How to read. */
export interface ReadOptions {
  readonly cluster: string;
  readonly windowMs: number;
  readonly stepMs: number;
  /** Nominal per-broker capacity when the brokers do not export theirs, bytes/s. */
  readonly nominal: { readonly bytesInPerSec: number; readonly bytesOutPerSec: number };
  /** Seconds behind each rate (default 60). */
  readonly rateWindowSec?: number;
  /** The brokers' client quota window, ms (default Kafka's 11 s); see `signalQueries`. */
  readonly quotaWindowMs?: number;
}

/** The request types whose queue and total times count as load: produce and consumer fetch. */
const CLIENT_TRAFFIC_REQUESTS = 'Produce|FetchConsumer|Fetch';

function quote(value: string): string {
  return JSON.stringify(value);
}

/**
 * The PromQL the loop reads, for one cluster, with rates over `rateWindowSec`. A client's rate and
 * throttle time are the brokers' own, means over their quota window (`quotaWindowMs`). Kafka
 * divides by the span its samples cover, from (num − 1) to num of them, so the mean saws by up
 * to 1/(num − 1) between samples: 10% with Kafka's 11, 50% with 3, as much as the fall that
 * tells a load going. When the brokers' window is shorter than Kafka's default and than the rate
 * window, the loop therefore averages those means over the rate window too.
 */
export function signalQueries(cluster: string, rateWindowSec = 60, quotaWindowMs = KAFKA_QUOTA_WINDOW_MS): Record<string, string> {
  const c = `cluster=${quote(cluster)}`;
  const w = `${rateWindowSec}s`;
  const client = (metric: string) => quotaWindowMs < Math.min(KAFKA_QUOTA_WINDOW_MS, rateWindowSec * 1000)
    ? `max by (user, client_id) (avg_over_time(${metric}{${c}}[${w}]))`
    : `max by (user, client_id) (${metric}{${c}})`;
  return {
    bytesIn: `sum by (broker) (rate(kafka_server_brokertopicmetrics_bytesin_total{${c},topic=""}[${w}])) + sum by (broker) (rate(kafka_server_brokertopicmetrics_replicationbytesin_total{${c}}[${w}]))`,
    bytesOut: `sum by (broker) (rate(kafka_server_brokertopicmetrics_bytesout_total{${c},topic=""}[${w}])) + sum by (broker) (rate(kafka_server_brokertopicmetrics_replicationbytesout_total{${c}}[${w}]))`,
    clientIn: `sum by (broker) (rate(kafka_server_brokertopicmetrics_bytesin_total{${c},topic=""}[${w}]))`,
    replicationIn: `sum by (broker) (rate(kafka_server_brokertopicmetrics_replicationbytesin_total{${c}}[${w}]))`,
    clientOut: `sum by (broker) (rate(kafka_server_brokertopicmetrics_bytesout_total{${c},topic=""}[${w}]))`,
    replicationOut: `sum by (broker) (rate(kafka_server_brokertopicmetrics_replicationbytesout_total{${c}}[${w}]))`,
    // KIP-73's byte rates of throttled replicas (Kafka's FollowerReplication / LeaderReplication
    // byte-rate), over the brokers' replication quota window.
    reassignIn: `max by (broker) (kafka_server_followerreplication_byte_rate{${c}})`,
    reassignOut: `max by (broker) (kafka_server_leaderreplication_byte_rate{${c}})`,
    requests: `sum by (broker) (rate(kafka_network_requestmetrics_requests_total{${c}}[${w}]))`,
    handlerIdle: `max by (broker) (kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent{${c}})`,
    capacityIn: `max by (broker) (sluice_broker_network_capacity_bytes_per_second{${c},direction="in"})`,
    capacityOut: `max by (broker) (sluice_broker_network_capacity_bytes_per_second{${c},direction="out"})`,
    newest: `max(timestamp(kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent{${c}}))`,
    // Only the requests that carry client traffic: rare ones (OffsetFetch, ListOffsets,
    // DescribeGroups) have long tails of their own that say nothing of load. Kafka names a
    // consumer's fetch FetchConsumer; the bundled broker names every fetch Fetch.
    queueP99: `max(kafka_network_requestmetrics_requestqueuetimems{${c},request=~"${CLIENT_TRAFFIC_REQUESTS}",quantile="0.99"})`,
    latencyP99: `max(kafka_network_requestmetrics_totaltimems{${c},request=~"${CLIENT_TRAFFIC_REQUESTS}",quantile="0.99"})`,
    produceRate: client('kafka_server_produce_byte_rate'),
    produceThrottle: client('kafka_server_produce_throttle_time'),
    consumeRate: client('kafka_server_fetch_byte_rate'),
    consumeThrottle: client('kafka_server_fetch_throttle_time'),
  };
}

function byLabel(value: Value, label: string): Map<string, number> {
  const out = new Map<string, number>();
  if (value.kind === 'vector') for (const s of value.samples) out.set(s.metric[label] ?? '', s.value);
  return out;
}

function scalarOf(value: Value): number | undefined {
  if (value.kind === 'scalar') return Number.isFinite(value.value) ? value.value : undefined;
  if (value.kind === 'vector' && value.samples.length > 0) return value.samples[0]!.value;
  return undefined;
}

function seriesBy(series: readonly MatrixSeries[], key: (m: Readonly<Record<string, string>>) => string): Map<string, MatrixSeries> {
  return new Map(series.map((s) => [key(s.metric), s]));
}

function valueAt(series: MatrixSeries | undefined, t: number): number | undefined {
  if (series === undefined) return undefined;
  // Range results are on the step grid; look the time up exactly.
  let lo = 0;
  let hi = series.ts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (series.ts[mid]! === t) return series.values[mid];
    if (series.ts[mid]! < t) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/**
 * The bytes/s each broker copies for reassignments, from the byte rates of throttled replicas.
 * A reassignment throttles the new replicas on the follower side (their brokers' fetches are
 * the copying, bytes in) and every replica of the moving partitions on the leader side, so the
 * leaders' throttled rate also holds what in-sync followers of those partitions fetch as usual:
 * the copying out is the followers' total, shared among the leaders in proportion to their
 * throttled rates.
 */
export function reassignmentTraffic(followers: ReadonlyMap<string, number>, leaders: ReadonlyMap<string, number>): { in: Map<string, number>; out: Map<string, number> } {
  const positive = (m: ReadonlyMap<string, number>) => new Map([...m].filter(([b, v]) => b !== '' && v > 0));
  const into = positive(followers);
  const from = positive(leaders);
  const copied = [...into.values()].reduce((a, b) => a + b, 0);
  const led = [...from.values()].reduce((a, b) => a + b, 0);
  const out = new Map([...from].map(([b, v]) => [b, Math.min(v, led > 0 ? (copied * v) / led : 0)]));
  return { in: into, out };
}

/** Reads one round's signals at `now`. */
export async function readSignals(engine: Engine, source: Querier, now: number, options: ReadOptions): Promise<Readings> {
  const q = signalQueries(options.cluster, options.rateWindowSec, options.quotaWindowMs);
  const instant = (name: string) => engine.instant(q[name]!, now, source);
  const [cIn, rIn, cOut, rOut, requests, idle, capIn, capOut, newest, queue, latency, mIn, mOut] = await Promise.all(
    ['clientIn', 'replicationIn', 'clientOut', 'replicationOut', 'requests', 'handlerIdle', 'capacityIn', 'capacityOut', 'newest', 'queueP99', 'latencyP99', 'reassignIn', 'reassignOut'].map(instant),
  );
  const moving = reassignmentTraffic(byLabel(mIn!, 'broker'), byLabel(mOut!, 'broker'));
  const [cInBy, rInBy, cOutBy, rOutBy] = [cIn!, rIn!, cOut!, rOut!].map((v) => byLabel(v, 'broker'));
  const reqBy = byLabel(requests!, 'broker');
  const idleBy = byLabel(idle!, 'broker');
  const capInBy = byLabel(capIn!, 'broker');
  const capOutBy = byLabel(capOut!, 'broker');
  const brokerIds = [...new Set([...cInBy!.keys(), ...idleBy.keys()])].filter((b) => b !== '').sort();
  const brokers = brokerIds.map((broker): BrokerReading => {
    const capacityIn = capInBy.get(broker) ?? options.nominal.bytesInPerSec;
    const capacityOut = capOutBy.get(broker) ?? options.nominal.bytesOutPerSec;
    const clientIn = cInBy!.get(broker) ?? 0;
    const reassignIn = Math.min(moving.in.get(broker) ?? 0, rInBy!.get(broker) ?? 0);
    const reassignOut = Math.min(moving.out.get(broker) ?? 0, rOutBy!.get(broker) ?? 0);
    const replicationIn = (rInBy!.get(broker) ?? 0) - reassignIn;
    const clientOut = cOutBy!.get(broker) ?? 0;
    const replicationOut = (rOutBy!.get(broker) ?? 0) - reassignOut;
    const bi = clientIn + replicationIn;
    const bo = clientOut + replicationOut;
    const handlerIdle = idleBy.get(broker);
    const utilization = Math.max(handlerIdle === undefined ? 0 : 1 - handlerIdle, bi / capacityIn, bo / capacityOut);
    return {
      broker, bytesIn: bi, bytesOut: bo, clientIn, clientOut, replicationIn, replicationOut, reassignIn, reassignOut,
      requests: reqBy.get(broker) ?? 0, handlerIdle, capacityIn, capacityOut, utilization,
    };
  });

  const start = now - options.windowMs;
  const step = options.stepMs;
  const range = (name: string) => engine.range(q[name]!, start, now, step, source);
  const [hcIn, hrIn, hcOut, hrOut, hReq, hIdle, pRate, pThrottle, cRate, cThrottle] = await Promise.all(
    ['clientIn', 'replicationIn', 'clientOut', 'replicationOut', 'requests', 'handlerIdle', 'produceRate', 'produceThrottle', 'consumeRate', 'consumeThrottle'].map(range),
  );
  const history = new Map<string, LoadPoint[]>();
  const [scIn, srIn, scOut, srOut] = [hcIn!, hrIn!, hcOut!, hrOut!].map((h) => seriesBy(h, (m) => m.broker ?? ''));
  const sReq = seriesBy(hReq!, (m) => m.broker ?? '');
  const sIdle = seriesBy(hIdle!, (m) => m.broker ?? '');
  let historyMs = 0;
  for (const b of brokers) {
    const points: LoadPoint[] = [];
    const idleSeries = sIdle.get(b.broker);
    let first: number | undefined;
    for (let t = start; t <= now; t += step) {
      const ci = valueAt(scIn!.get(b.broker), t);
      const co = valueAt(scOut!.get(b.broker), t);
      const id = valueAt(idleSeries, t);
      if (ci === undefined || co === undefined || id === undefined) continue;
      // Replication series exist only once a broker has followers or leaders to fetch from.
      const bi = ci + (valueAt(srIn!.get(b.broker), t) ?? 0);
      const bo = co + (valueAt(srOut!.get(b.broker), t) ?? 0);
      first ??= t;
      historyMs = Math.max(historyMs, t - first);
      points.push({
        bytesIn: bi, bytesOut: bo, requests: valueAt(sReq.get(b.broker), t) ?? 0, handlers: 1 - id,
        utilization: Math.max(1 - id, bi / b.capacityIn, bo / b.capacityOut),
      });
    }
    history.set(b.broker, points);
  }

  const clients: ClientReading[] = [];
  // JSON, not a separator: user names and client ids may hold any character, NUL included.
  const key = (m: Readonly<Record<string, string>>) => JSON.stringify([m.user ?? '', m.client_id ?? '']);
  for (const [direction, rates, throttles] of [['produce', pRate!, pThrottle!], ['consume', cRate!, cThrottle!]] as const) {
    const throttleBy = seriesBy(throttles, key);
    for (const s of rates) {
      const th = throttleBy.get(key(s.metric));
      const ts = Array.from(s.ts);
      const rate = Array.from(s.values);
      const throttleMs = ts.map((t) => valueAt(th, t) ?? 0);
      if (ts.at(-1) !== now) continue; // not seen this round: gone
      clients.push({ user: s.metric.user ?? '', clientId: s.metric.client_id ?? '', direction, rate: rate.at(-1)!, throttleMs: throttleMs.at(-1)!, history: { ts, rate, throttleMs } });
    }
  }
  clients.sort((a, b) => (a.direction + a.user + a.clientId < b.direction + b.user + b.clientId ? -1 : 1));
  const newestTs = scalarOf(newest!);
  return {
    at: now, brokers, history, clients,
    queueTimeP99Ms: scalarOf(queue!), requestLatencyP99Ms: scalarOf(latency!),
    ageMs: newestTs === undefined ? Infinity : now - newestTs * 1000,
    historyMs,
  };
}
