/**
 * The admin client the collectors and the quota loop use: cluster description, metadata, log
 * offsets, groups and their committed offsets, topic configs and client quotas, over
 * @platformatic/kafka's connection pool and its versioned API codecs (the layer its `Admin` is
 * built on). It is used directly because collection needs what `Admin` does not give: partial
 * results when one broker is gone (`Admin` fails a whole call), OffsetFetch v8+ with many groups
 * per request, and one request per leader for tens of thousands of partitions.
 *
 * Contract: no method throws because the other side failed. Each returns what it could get plus
 * `errors` naming the operation, the broker and what went wrong; only `metadata` and
 * `describeCluster` reject, and only when no broker at all answered (SLUICE_ERR_KAFKA_UNREACHABLE).
 */
import type * as Kafka from '@platformatic/kafka';
import type { ConnectionPool, Connection, metadataV12 } from '@platformatic/kafka';
import { SluiceError } from '../errors.ts';
import { KafkaError } from './protocol/error-codes.ts';
import { entityKey, type ClientQuotaAlteration, type ClientQuotaEntry } from './quota.ts';
import { recordTimeAt, type TimedBatch } from './record-time.ts';

/** How to reach a cluster. */
export interface KafkaAdminOptions {
  /** host:port items; any live broker will do. */
  readonly bootstrap: readonly string[];
  readonly clientId?: string;
  readonly sasl?: { readonly username: string; readonly password: string };
  /** Connect timeout per broker, ms (default 3000). */
  readonly connectTimeoutMs?: number;
  /** Timeout of one request, ms (default 10000). */
  readonly requestTimeoutMs?: number;
}

/** Something that failed inside a call that still returned what it could. */
export interface AdminIssue {
  /** Operation, e.g. `listOffsets`. */
  readonly op: string;
  /** Broker the request went to, when known. */
  readonly broker?: number;
  /** What it was about: a topic-partition, a group, a topic. */
  readonly subject?: string;
  readonly message: string;
  /** The Kafka error code the broker answered with, when it answered with one. */
  readonly code?: number;
}

/** A replica reassignment in progress (KIP-455), as ListPartitionReassignments reports it. */
export interface PartitionReassignment {
  readonly topic: string;
  readonly partition: number;
  /** Every replica while it runs: the target, then the replicas being removed. */
  readonly replicas: readonly number[];
  readonly adding: readonly number[];
  readonly removing: readonly number[];
}

/** A partition's target replicas for AlterPartitionReassignments; null cancels its reassignment. */
export interface ReassignmentTarget {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[] | null;
}

/** A value and the issues met while getting it. */
export interface AdminResult<T> {
  readonly value: T;
  readonly errors: AdminIssue[];
}

/** A broker as metadata lists it. */
export interface BrokerInfo { readonly id: number; readonly host: string; readonly port: number; readonly rack: string | null }

/** One partition's placement. `leader` is -1 while offline. */
export interface PartitionInfo {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offline: readonly number[];
}

/** The cluster as one Metadata response describes it. */
export interface ClusterMetadata {
  readonly clusterId: string | null;
  readonly controller: number;
  readonly brokers: readonly BrokerInfo[];
  /** Topics by name (internal ones included) with their ids, partitions in index order. */
  readonly topics: ReadonlyMap<string, { readonly internal: boolean; readonly id: string; readonly partitions: readonly PartitionInfo[] }>;
}

/** A partition's log start and log end offsets (ListOffsets earliest and latest). */
export interface LogOffsets { readonly topic: string; readonly partition: number; readonly start: number; readonly end: number }

/** A group as ListGroups returns it. */
export interface GroupListing { readonly group: string; readonly state: string; readonly protocolType: string; readonly coordinator: number }

/** A group as DescribeGroups returns it. */
export interface GroupDescription {
  readonly group: string;
  readonly state: string;
  readonly protocolType: string;
  readonly protocol: string;
  readonly members: readonly { readonly memberId: string; readonly clientId: string; readonly clientHost: string }[];
}

/** A partition and an offset whose record's timestamp is wanted, and where the partition lives. */
export interface RecordTimeTarget {
  readonly topic: string;
  /** The topic's id, as Metadata gives it (Fetch v13+ names topics by id). */
  readonly topicId: string;
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  /** The record read is the first data record at or after this offset. */
  readonly offset: number;
}

/** The record found for a target: its offset and timestamp (null: it has none). */
export interface RecordTime {
  readonly topic: string;
  readonly partition: number;
  /** The target's offset. */
  readonly offset: number;
  readonly recordOffset: number;
  readonly timestampMs: number | null;
  readonly type: 'create' | 'log-append';
}

/** The committed offsets of a group (-1: no commit). */
export interface GroupOffsets { readonly group: string; readonly offsets: { topic: string; partition: number; offset: number }[] }

type MetadataResponse = metadataV12.MetadataResponse;
type AnyApi = { async: (conn: Connection, ...args: any[]) => Promise<any>; key: number; version: number };
/** The versions of one API this client speaks, newest first, picked from the loaded library. */
export type Candidates = (kafka: typeof Kafka) => readonly AnyApi[];

let library: Promise<typeof Kafka> | undefined;
/**
 * @platformatic/kafka, loaded when the first request is made: loading it takes about half a second
 * (it brings its schema-registry codecs), which every command and process that never talks to a
 * broker (rule checks, replay, migrations) would otherwise pay at start.
 */
function kafkaLibrary(): Promise<typeof Kafka> {
  return (library ??= import('@platformatic/kafka'));
}
const CODE_NAMES = new Map<number, string>(Object.entries(KafkaError).map(([name, code]) => [code, name]));
const EARLIEST = -2n;
const LATEST = -1n;
/** Fetch versions readRecordTimes speaks, newest first (v12 names topics, later ones use ids). */
const FETCH: Candidates = (k) => [k.fetchV17.api, k.fetchV16.api, k.fetchV15.api, k.fetchV14.api, k.fetchV13.api, k.fetchV12.api];
/** Groups per OffsetFetch/DescribeGroups request, so that no response grows without bound. */
const GROUPS_PER_REQUEST = 500;

/** Kafka error code as its name, e.g. `NOT_LEADER_OR_FOLLOWER (6)`. */
export function kafkaErrorName(code: number): string {
  return `${CODE_NAMES.get(code) ?? 'UNKNOWN'} (${code})`;
}

/** A Kafka error code as a line: its name, then the broker's message when it sent one. */
export function errorText(code: number, message: string | null | undefined): string {
  return `${kafkaErrorName(code)}${message ? `: ${message}` : ''}`;
}

function parseHostPort(item: string): { host: string; port: number } {
  const at = item.lastIndexOf(':');
  return { host: item.slice(0, at), port: Number(item.slice(at + 1)) };
}

/** An error as one line, with the first inner error of an aggregate. */
export function describe(err: unknown): string {
  if (err instanceof Error) {
    const inner = (err as { errors?: unknown[] }).errors;
    const first = Array.isArray(inner) && inner[0] instanceof Error ? `: ${inner[0].message}` : '';
    return `${err.message}${first}`;
  }
  return String(err);
}

/** A response carried by the library's ResponseError (per-entry error codes), if any. */
export function responseOf<T>(err: unknown): T | undefined {
  return (err as { response?: T } | null)?.response;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The admin client; one per cluster, reused across cycles. */
export class KafkaAdmin {
  readonly options: KafkaAdminOptions;
  private pool: Promise<ConnectionPool> | undefined;
  private readonly versions = new Map<string, Map<number, [number, number]>>();
  private brokers = new Map<number, BrokerInfo>();
  /** The newest Metadata call, shared by callers that accept an answer of its age. */
  private lastMetadata: { promise: Promise<ClusterMetadata>; doneAt: number | null; takenBy: Set<object> } | null = null;

  constructor(options: KafkaAdminOptions) {
    this.options = options;
  }

  private connections(): Promise<ConnectionPool> {
    const options = this.options;
    return (this.pool ??= kafkaLibrary().then((kafka) => new kafka.ConnectionPool(options.clientId ?? 'sluice-admin', {
      connectTimeout: options.connectTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      ...(options.sasl ? { sasl: { mechanism: 'PLAIN' as const, username: options.sasl.username, password: options.sasl.password } } : {}),
    })));
  }

  /**
   * Calls the newest API version in `candidates` (newest first) that the broker supports; `args`
   * may depend on the version picked (see callVersioned).
   */
  private async call<R>(broker: { host: string; port: number }, pick: Candidates, ...args: unknown[]): Promise<R> {
    return this.callVersioned<R>(broker, pick, () => args);
  }

  /** `call` with arguments made for the version picked. */
  private async callVersioned<R>(broker: { host: string; port: number }, pick: Candidates, argsOf: (version: number) => unknown[]): Promise<R> {
    const kafka = await kafkaLibrary();
    const candidates = pick(kafka);
    const conn = await (await this.connections()).get({ host: broker.host, port: broker.port });
    const key = `${broker.host}:${broker.port}`;
    let ranges = this.versions.get(key);
    if (ranges === undefined) {
      const res = await kafka.apiVersionsV3.api.async(conn, 'sluice', '1');
      ranges = new Map(res.apiKeys.map((a) => [a.apiKey, [a.minVersion, a.maxVersion] as [number, number]]));
      this.versions.set(key, ranges);
    }
    const range = ranges.get(candidates[0]!.key);
    const api = candidates.find((c) => range !== undefined && c.version >= range[0] && c.version <= range[1]);
    if (api === undefined) throw new Error(`broker ${key} supports no version of API ${candidates[0]!.key} this client speaks`);
    return (await api.async(conn, ...argsOf(api.version))) as R;
  }

  /** Tries known brokers, then the bootstrap list, until one answers. */
  private async anyBroker<R>(op: string, fn: (b: { host: string; port: number }) => Promise<R>): Promise<R> {
    const targets = [...this.brokers.values(), ...this.options.bootstrap.map(parseHostPort)];
    const failures: string[] = [];
    for (const t of targets) {
      try {
        return await fn(t);
      } catch (err) {
        failures.push(`${t.host}:${t.port}: ${describe(err)}`);
      }
    }
    throw new SluiceError('SLUICE_ERR_KAFKA_UNREACHABLE', `${op}: no broker answered (${failures.join('; ')})`);
  }

  private brokerAddress(id: number): BrokerInfo {
    const b = this.brokers.get(id);
    if (b === undefined) throw new Error(`broker ${id} is not in the cluster metadata`);
    return b;
  }

  /**
   * Metadata of every topic; refreshes the broker list the other calls route by. With `share`,
   * a call in flight or one answered at most `maxAgeMs` ago is handed to `consumer` instead of
   * asking again, unless that consumer already had it (its next cycle always reads afresh): the
   * collectors of one cycle read the cluster once, and on 20,000 partitions a Metadata response
   * is megabytes to decode.
   */
  metadata(share?: { readonly consumer: object; readonly maxAgeMs: number }): Promise<ClusterMetadata> {
    const last = this.lastMetadata;
    if (share !== undefined && last !== null && !last.takenBy.has(share.consumer) && (last.doneAt === null || performance.now() - last.doneAt <= share.maxAgeMs)) {
      last.takenBy.add(share.consumer);
      return last.promise;
    }
    const entry = { promise: this.readMetadata(), doneAt: null as number | null, takenBy: new Set<object>(share ? [share.consumer] : []) };
    this.lastMetadata = entry;
    entry.promise.then(
      () => { entry.doneAt = performance.now(); },
      () => { if (this.lastMetadata === entry) this.lastMetadata = null; },
    );
    return entry.promise;
  }

  private async readMetadata(): Promise<ClusterMetadata> {
    const res = await this.anyBroker('metadata', (b) =>
      this.call<MetadataResponse>(b, (k) => [k.metadataV12.api, k.metadataV11.api, k.metadataV10.api, k.metadataV9.api], null, false, false)
        .catch((err: unknown) => responseOf<MetadataResponse>(err) ?? Promise.reject(err)));
    const brokers: BrokerInfo[] = res.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null }));
    this.brokers = new Map(brokers.map((b) => [b.id, b]));
    const topics = new Map<string, { internal: boolean; id: string; partitions: PartitionInfo[] }>();
    for (const t of res.topics) {
      const name = t.name;
      if (typeof name !== 'string') continue;
      const partitions = t.partitions.map((p) => ({
        topic: name, partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch,
        replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas,
      })).sort((a, b) => a.partition - b.partition);
      topics.set(name, { internal: t.isInternal, id: t.topicId, partitions });
    }
    return { clusterId: res.clusterId ?? null, controller: res.controllerId, brokers, topics };
  }

  /** DescribeCluster: live brokers, controller, cluster id. */
  async describeCluster(): Promise<{ clusterId: string; controller: number; brokers: BrokerInfo[] }> {
    const res = await this.anyBroker('describeCluster', (b) =>
      this.call<{ clusterId: string; controllerId: number; brokers: { brokerId: number; host: string; port: number; rack: string | null }[] }>(
        b, (k) => [k.describeClusterV1.api, k.describeClusterV0.api], false, 1));
    const brokers = res.brokers.map((b) => ({ id: b.brokerId, host: b.host, port: b.port, rack: b.rack }));
    for (const b of brokers) this.brokers.set(b.id, b);
    return { clusterId: res.clusterId, controller: res.controllerId, brokers };
  }

  /** Earliest and latest offsets of `partitions`, one request pair per leader. */
  async listOffsets(partitions: readonly PartitionInfo[]): Promise<AdminResult<LogOffsets[]>> {
    const errors: AdminIssue[] = [];
    type Wanted = { partitionIndex: number; currentLeaderEpoch: number; timestamp: bigint };
    // Per leader, per topic: the partitions asked for, once for the log start and once for the end.
    const byLeader = new Map<number, Map<string, { earliest: Wanted[]; latest: Wanted[] }>>();
    for (const p of partitions) {
      if (p.leader < 0) {
        errors.push({ op: 'listOffsets', subject: `${p.topic}-${p.partition}`, message: 'partition has no leader' });
        continue;
      }
      let topics = byLeader.get(p.leader);
      if (!topics) byLeader.set(p.leader, (topics = new Map()));
      let lists = topics.get(p.topic);
      if (!lists) topics.set(p.topic, (lists = { earliest: [], latest: [] }));
      lists.earliest.push({ partitionIndex: p.partition, currentLeaderEpoch: p.leaderEpoch, timestamp: EARLIEST });
      lists.latest.push({ partitionIndex: p.partition, currentLeaderEpoch: p.leaderEpoch, timestamp: LATEST });
    }
    const value: LogOffsets[] = [];
    await Promise.all([...byLeader].map(async ([leader, topics]) => {
      type Res = { topics: { name: string; partitions: { partitionIndex: number; errorCode: number; offset: bigint }[] }[] };
      const ask = async (which: 'earliest' | 'latest'): Promise<Res | undefined> => {
        const request = [...topics].map(([name, lists]) => ({ name, partitions: lists[which] }));
        try {
          return await this.call<Res>(this.brokerAddress(leader), (k) => [k.listOffsetsV9.api, k.listOffsetsV8.api, k.listOffsetsV7.api, k.listOffsetsV6.api, k.listOffsetsV5.api], -1, 0, request);
        } catch (err) {
          const partial = responseOf<Res>(err);
          if (partial === undefined) errors.push({ op: 'listOffsets', broker: leader, message: describe(err) });
          return partial;
        }
      };
      const [earliest, latest] = await Promise.all([ask('earliest'), ask('latest')]);
      if (!earliest || !latest) return;
      const starts = new Map<string, Map<number, number>>();
      for (const t of earliest.topics) {
        const byPartition = new Map<number, number>();
        for (const p of t.partitions) if (p.errorCode === 0) byPartition.set(p.partitionIndex, Number(p.offset));
        starts.set(t.name, byPartition);
      }
      for (const t of latest.topics) {
        const topicStarts = starts.get(t.name);
        for (const p of t.partitions) {
          const start = topicStarts?.get(p.partitionIndex);
          if (p.errorCode !== 0 || start === undefined) {
            errors.push({ op: 'listOffsets', broker: leader, subject: `${t.name}-${p.partitionIndex}`, message: kafkaErrorName(p.errorCode || KafkaError.UNKNOWN_SERVER_ERROR) });
          } else value.push({ topic: t.name, partition: p.partitionIndex, start, end: Number(p.offset) });
        }
      }
    }));
    return { value, errors };
  }

  /**
   * Asks every broker of the last metadata for a cheap Metadata (no topics) and reports which
   * answered: a broker listed in metadata but not answering is down for the collectors.
   */
  async probeBrokers(): Promise<Map<number, string | null>> {
    const out = new Map<number, string | null>();
    await Promise.all([...this.brokers.values()].map(async (b) => {
      try {
        await this.call(b, (k) => [k.metadataV12.api, k.metadataV11.api, k.metadataV10.api, k.metadataV9.api], [], false, false);
        out.set(b.id, null);
      } catch (err) {
        out.set(b.id, describe(err));
      }
    }));
    return out;
  }

  /** ListGroups on every broker of the last metadata (call `metadata` first). */
  async listGroups(): Promise<AdminResult<GroupListing[]>> {
    const errors: AdminIssue[] = [];
    const value: GroupListing[] = [];
    const seen = new Set<string>();
    await Promise.all([...this.brokers.values()].map(async (b) => {
      try {
        const res = await this.call<{ errorCode: number; groups: { groupId: string; groupState: string; protocolType: string }[] }>(
          b, (k) => [k.listGroupsV5.api, k.listGroupsV4.api], [], []);
        for (const g of res.groups) {
          // Each broker lists the groups it coordinates; a cluster that shares one coordinator
          // view answers the same group from several brokers, so keep the first.
          if (seen.has(g.groupId)) continue;
          seen.add(g.groupId);
          value.push({ group: g.groupId, state: g.groupState, protocolType: g.protocolType, coordinator: b.id });
        }
      } catch (err) {
        errors.push({ op: 'listGroups', broker: b.id, message: describe(err) });
      }
    }));
    return { value, errors };
  }

  /** Coordinators of `groups` (FindCoordinator v4+, batched), by broker id. */
  async findCoordinators(groups: readonly string[]): Promise<AdminResult<Map<number, string[]>>> {
    const errors: AdminIssue[] = [];
    const value = new Map<number, string[]>();
    if (groups.length === 0) return { value, errors };
    type Res = { coordinators: { key: string; nodeId: number; errorCode: number }[] };
    let res: Res;
    try {
      res = await this.anyBroker('findCoordinator', (b) =>
        this.call<Res>(b, (k) => [k.findCoordinatorV6.api, k.findCoordinatorV5.api, k.findCoordinatorV4.api], 0, [...groups])
          .catch((err: unknown) => responseOf<Res>(err) ?? Promise.reject(err)));
    } catch (err) {
      return { value, errors: [{ op: 'findCoordinator', message: describe(err) }] };
    }
    for (const c of res.coordinators) {
      if (c.errorCode !== 0) errors.push({ op: 'findCoordinator', subject: c.key, message: kafkaErrorName(c.errorCode) });
      else value.set(c.nodeId, [...(value.get(c.nodeId) ?? []), c.key]);
    }
    return { value, errors };
  }

  /** Runs `fn` on each coordinator with its groups in chunks; failures become issues. */
  private async perCoordinator<T>(op: string, groups: readonly string[], fn: (b: BrokerInfo, chunk: string[]) => Promise<T[]>, coordinators?: Promise<AdminResult<Map<number, string[]>>>): Promise<AdminResult<T[]>> {
    const found = await (coordinators ?? this.findCoordinators(groups));
    const errors = [...found.errors.map((e) => ({ ...e, op }))];
    const value: T[] = [];
    await Promise.all([...found.value].flatMap(([node, gs]) => chunks(gs, GROUPS_PER_REQUEST).map(async (chunk) => {
      try {
        value.push(...(await fn(this.brokerAddress(node), chunk)));
      } catch (err) {
        errors.push({ op, broker: node, subject: chunk.length === 1 ? chunk[0] : `${chunk.length} groups`, message: describe(err) });
      }
    })));
    return { value, errors };
  }

  /** DescribeGroups, sent to each group's coordinator (`coordinators`: a findCoordinators answer for `groups` to reuse). */
  async describeGroups(groups: readonly string[], coordinators?: Promise<AdminResult<Map<number, string[]>>>): Promise<AdminResult<GroupDescription[]>> {
    type Res = { groups: { errorCode: number; groupId: string; groupState: string; protocolType: string; protocolData: string; members: { memberId: string; clientId: string; clientHost: string }[] }[] };
    return this.perCoordinator('describeGroups', groups, async (b, chunk) => {
      const res = await this.call<Res>(b, (k) => [k.describeGroupsV5.api], chunk, false).catch((err: unknown) => responseOf<Res>(err) ?? Promise.reject(err));
      return res.groups.filter((g) => g.errorCode === 0).map((g) => ({
        group: g.groupId, state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData,
        members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost })),
      }));
    }, coordinators);
  }

  /** Committed offsets of every partition of `groups` (OffsetFetch v8+, many groups a request; `coordinators` as for describeGroups). */
  async fetchCommittedOffsets(groups: readonly string[], coordinators?: Promise<AdminResult<Map<number, string[]>>>): Promise<AdminResult<GroupOffsets[]>> {
    type Res = { groups: { groupId: string; errorCode: number; topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; errorCode: number }[] }[] }[] };
    return this.perCoordinator('offsetFetch', groups, async (b, chunk) => {
      const request = chunk.map((groupId) => ({ groupId, memberId: null, memberEpoch: -1, topics: null }));
      const res = await this.call<Res>(b, (k) => [k.offsetFetchV9.api, k.offsetFetchV8.api], request, false).catch((err: unknown) => responseOf<Res>(err) ?? Promise.reject(err));
      return res.groups.filter((g) => g.errorCode === 0).map((g) => ({
        group: g.groupId,
        offsets: g.topics.flatMap((t) => t.partitions.filter((p) => p.errorCode === 0).map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) }))),
      }));
    }, coordinators);
  }

  /**
   * Timestamps of the records at `targets` (see record-time.ts): one Fetch per target to its
   * leader, read uncommitted and asking for one byte, so that the broker returns just the batch
   * holding the offset (a fetch's first batch comes whatever the limit, KIP-74). A target on
   * transaction markers is read on past them, up to `fetchesPerTarget` Fetches (default 3).
   * `concurrency` requests (default 32) are in flight at once. A target with nothing to read
   * (at the high watermark) has no result; `fetches` counts the requests sent.
   */
  async readRecordTimes(targets: readonly RecordTimeTarget[], options: { readonly concurrency?: number; readonly fetchesPerTarget?: number } = {}): Promise<AdminResult<RecordTime[]> & { fetches: number }> {
    type Res = { responses: { partitions: { errorCode: number; records?: TimedBatch[] }[] }[] };
    const errors: AdminIssue[] = [];
    const value: RecordTime[] = [];
    const perTarget = options.fetchesPerTarget ?? 3;
    let fetches = 0;
    const read = async (t: RecordTimeTarget): Promise<void> => {
      let offset = t.offset;
      try {
        const broker = this.brokerAddress(t.leader);
        for (let i = 0; i < perTarget; i++) {
          fetches++;
          const partitions = [{ partition: t.partition, currentLeaderEpoch: t.leaderEpoch, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, partitionMaxBytes: 1 }];
          // max wait 0, min bytes 1, max bytes 1, read uncommitted, no fetch session.
          const res = await this.callVersioned<Res>(broker, FETCH, (version) => [0, 1, 1, 0, 0, -1, [{ topicId: version >= 13 ? t.topicId : t.topic, partitions }], [], ''])
            .catch((err: unknown) => responseOf<Res>(err) ?? Promise.reject(err));
          const p = res.responses[0]?.partitions[0];
          if (p === undefined) throw new Error('the broker answered without the partition');
          if (p.errorCode !== 0) throw new Error(kafkaErrorName(p.errorCode));
          const found = recordTimeAt(p.records ?? [], offset);
          if (found.kind === 'empty') return;
          if (found.kind === 'found') {
            value.push({ topic: t.topic, partition: t.partition, offset: t.offset, recordOffset: found.offset, timestampMs: found.timestampMs, type: found.type });
            return;
          }
          offset = found.offset;
        }
      } catch (err) {
        errors.push({ op: 'readRecordTimes', broker: t.leader, subject: `${t.topic}-${t.partition}@${offset}`, message: describe(err) });
      }
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < targets.length) await read(targets[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 32, targets.length) }, worker));
    return { value, errors, fetches };
  }

  /** Commits offsets for a group outside any generation (OffsetCommit with generation -1), as admin tools do. */
  async commitOffsets(group: string, offsets: readonly { topic: string; partition: number; offset: number }[]): Promise<AdminResult<number>> {
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: null }[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1, committedMetadata: null }]);
    const result = await this.perCoordinator('offsetCommit', [group], async (b, chunk) => {
      await this.call(b, (k) => [k.offsetCommitV9.api, k.offsetCommitV8.api], chunk[0], -1, '', null, [...byTopic].map(([name, partitions]) => ({ name, partitions })));
      return [offsets.length];
    });
    return { value: result.value[0] ?? 0, errors: result.errors };
  }

  /** Named configs of topics (e.g. `min.insync.replicas`), by topic. */
  async describeTopicConfigs(topics: readonly string[], keys: readonly string[]): Promise<AdminResult<Map<string, Record<string, string>>>> {
    const value = new Map<string, Record<string, string>>();
    const errors: AdminIssue[] = [];
    if (topics.length === 0) return { value, errors };
    type Res = { results: { errorCode: number; errorMessage: string | null; resourceName: string; configs: { name: string; value: string | null }[] }[] };
    try {
      const res = await this.anyBroker('describeConfigs', (b) => this.call<Res>(b, (k) => [k.describeConfigsV4.api, k.describeConfigsV3.api, k.describeConfigsV2.api],
        topics.map((t) => ({ resourceType: 2, resourceName: t, configurationKeys: [...keys] })), false, false)
        .catch((err: unknown) => responseOf<Res>(err) ?? Promise.reject(err)));
      for (const r of res.results) {
        if (r.errorCode !== 0) errors.push({ op: 'describeConfigs', subject: r.resourceName, code: r.errorCode, message: r.errorMessage ?? kafkaErrorName(r.errorCode) });
        else value.set(r.resourceName, Object.fromEntries(r.configs.filter((c) => c.value !== null).map((c) => [c.name, c.value!])));
      }
    } catch (err) {
      errors.push({ op: 'describeConfigs', message: describe(err) });
    }
    return { value, errors };
  }

  /** Every configured user / client-id quota (DescribeClientQuotas, match any). */
  async describeClientQuotas(): Promise<AdminResult<ClientQuotaEntry[]>> {
    type Res = { entries: { entity: { entityType: string; entityName: string | null }[]; values: { key: string; value: number }[] }[] };
    const ask = (entityType: string) => this.anyBroker('describeClientQuotas', (b) => this.call<Res>(b, (k) => [k.describeClientQuotasV0.api], [{ entityType, matchType: 2 }], false));
    try {
      // A filter on one entity type matches entities with that component; asking for both covers all.
      const seen = new Map<string, ClientQuotaEntry>();
      for (const res of await Promise.all([ask('user'), ask('client-id')])) {
        for (const e of res.entries) {
          const entity = e.entity.map((c) => ({ entityType: c.entityType as 'user' | 'client-id', entityName: c.entityName }));
          seen.set(JSON.stringify(entity), { entity, values: Object.fromEntries(e.values.map((v) => [v.key, v.value])) });
        }
      }
      return { value: [...seen.values()], errors: [] };
    } catch (err) {
      return { value: [], errors: [{ op: 'describeClientQuotas', message: describe(err) }] };
    }
  }

  /** AlterClientQuotas; the issues name each entity the cluster refused. */
  async alterClientQuotas(changes: readonly ClientQuotaAlteration[], validateOnly = false): Promise<AdminResult<number>> {
    type Res = { entries: { errorCode: number; errorMessage: string | null; entity: { entityType: string; entityName: string | null }[] }[] };
    const entries = changes.map((c) => ({
      entities: c.entity.map((e) => ({ entityType: e.entityType, entityName: e.entityName })),
      ops: [c.value === null ? { key: c.key, remove: true } : { key: c.key, value: c.value, remove: false }],
    }));
    try {
      const res = await this.anyBroker('alterClientQuotas', (b) => this.call<Res>(b, (k) => [k.alterClientQuotasV1.api], entries, validateOnly)
        .catch((err: unknown) => responseOf<Res>(err) ?? Promise.reject(err)));
      const errors = res.entries.filter((e) => e.errorCode !== 0).map((e) => ({
        op: 'alterClientQuotas', subject: entityKey(e.entity),
        message: e.errorMessage ?? kafkaErrorName(e.errorCode),
      }));
      return { value: res.entries.length - errors.length, errors };
    } catch (err) {
      return { value: 0, errors: [{ op: 'alterClientQuotas', message: describe(err) }] };
    }
  }

  /**
   * One request in the newest version of `pick` the broker speaks, sent to the active controller
   * (any broker when metadata names none), to any live broker, or to the broker with that id; for
   * the admin calls kept beside this class (admin-reassign.ts). A response with per-entry error
   * codes resolves (the caller reads the codes); it rejects when no response came, with
   * SLUICE_ERR_KAFKA_UNREACHABLE when no broker answered.
   */
  async request<R>(to: 'controller' | 'any' | number, op: string, pick: Candidates, ...args: unknown[]): Promise<R> {
    const send = (b: { host: string; port: number }): Promise<R> => this.call<R>(b, pick, ...args).catch((err: unknown) => responseOf<R>(err) ?? Promise.reject(err));
    if (typeof to === 'number') {
      if (!this.brokers.has(to)) await this.metadata().catch(() => undefined);
      return send(this.brokerAddress(to));
    }
    const controller = to === 'controller' ? await this.controllerAddress() : undefined;
    return controller !== undefined ? send(controller) : this.anyBroker(op, send);
  }

  /** The active controller's address when metadata names one the client knows, else undefined. */
  private async controllerAddress(): Promise<BrokerInfo | undefined> {
    try {
      const meta = await this.metadata();
      return this.brokers.get(meta.controller);
    } catch {
      return undefined;
    }
  }

  /**
   * AlterPartitionReassignments (KIP-455), sent to the controller: starts, changes or (with null
   * replicas) cancels each partition's reassignment. The value is how many the cluster accepted;
   * each refused partition is an issue with its Kafka error code.
   */
  async alterPartitionReassignments(targets: readonly ReassignmentTarget[], timeoutMs = 30_000): Promise<AdminResult<number>> {
    type Res = { errorCode: number; errorMessage: string | null; responses: { name: string; partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[] }[] };
    if (targets.length === 0) return { value: 0, errors: [] };
    const byTopic = new Map<string, { partitionIndex: number; replicas: number[] | null }[]>();
    for (const t of targets) byTopic.set(t.topic, [...(byTopic.get(t.topic) ?? []), { partitionIndex: t.partition, replicas: t.replicas === null ? null : [...t.replicas] }]);
    const send = (b: { host: string; port: number }) => this.call<Res>(b, (k) => [k.alterPartitionReassignmentsV0.api], timeoutMs, true, [...byTopic].map(([name, partitions]) => ({ name, partitions })))
      .catch((err: unknown) => responseOf<Res>(err) ?? Promise.reject(err));
    try {
      const controller = await this.controllerAddress();
      const res = controller !== undefined ? await send(controller) : await this.anyBroker('alterPartitionReassignments', send);
      if (res.errorCode !== 0) {
        return { value: 0, errors: [{ op: 'alterPartitionReassignments', code: res.errorCode, message: res.errorMessage ?? kafkaErrorName(res.errorCode) }] };
      }
      const errors: AdminIssue[] = [];
      let accepted = 0;
      for (const t of res.responses) {
        for (const p of t.partitions) {
          if (p.errorCode === 0) accepted++;
          else errors.push({ op: 'alterPartitionReassignments', subject: `${t.name}-${p.partitionIndex}`, code: p.errorCode, message: errorText(p.errorCode, p.errorMessage) });
        }
      }
      return { value: accepted, errors };
    } catch (err) {
      return { value: 0, errors: [{ op: 'alterPartitionReassignments', message: describe(err) }] };
    }
  }

  /**
   * ListPartitionReassignments: the reassignments in progress, of every partition or of the
   * named ones, ordered by topic then partition.
   */
  async listPartitionReassignments(partitions?: readonly { topic: string; partition: number }[], timeoutMs = 30_000): Promise<AdminResult<PartitionReassignment[]>> {
    type Res = { errorCode: number; errorMessage: string | null; topics: { name: string; partitions: { partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[] }[] };
    let topics: { name: string; partitionIndexes: number[] }[] | null = null;
    if (partitions !== undefined) {
      const byTopic = new Map<string, number[]>();
      for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    }
    const send = (b: { host: string; port: number }) => this.call<Res>(b, (k) => [k.listPartitionReassignmentsV0.api], timeoutMs, topics)
      .catch((err: unknown) => responseOf<Res>(err) ?? Promise.reject(err));
    try {
      const controller = await this.controllerAddress();
      const res = controller !== undefined ? await send(controller) : await this.anyBroker('listPartitionReassignments', send);
      if (res.errorCode !== 0) {
        return { value: [], errors: [{ op: 'listPartitionReassignments', code: res.errorCode, message: res.errorMessage ?? kafkaErrorName(res.errorCode) }] };
      }
      const value = res.topics.flatMap((t) => t.partitions.map((p) => ({
        topic: t.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas,
      }))).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
      return { value, errors: [] };
    } catch (err) {
      return { value: [], errors: [{ op: 'listPartitionReassignments', message: describe(err) }] };
    }
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool !== undefined) await (await pool).close();
  }
}
