/**
 * The admin calls a reassignment needs besides AlterPartitionReassignments and
 * ListPartitionReassignments (on KafkaAdmin): dynamic broker configs (the replication throttle
 * rates of KIP-73), topic configs changed item by item (the throttled-replicas lists:
 * IncrementalAlterConfigs SET / DELETE / APPEND / SUBTRACT, KIP-339), the broker's own dynamic
 * configs as DescribeConfigs reports them, and preferred leader elections (ElectLeaders, KIP-460).
 * All over the Kafka protocol, so they work against Apache Kafka as against the bundled cluster.
 *
 * As on KafkaAdmin, no call throws because the other side failed: each returns what it got and
 * the issues met, naming the broker or topic and the Kafka error code.
 */
import type * as Kafka from '@platformatic/kafka';
import { describe, errorText, kafkaErrorName, type AdminIssue, type AdminResult, type KafkaAdmin } from './admin.ts';
import { KafkaError } from './protocol/error-codes.ts';

/** How an IncrementalAlterConfigs entry changes a config. */
export type ConfigOp = 'set' | 'delete' | 'append' | 'subtract';

/** One change of one config; `value` is needed by every operation but `delete`. */
export interface ConfigChange {
  readonly name: string;
  readonly op: ConfigOp;
  readonly value?: string;
}

/** The changes to one broker's dynamic configs. */
export interface BrokerConfigChanges { readonly broker: number; readonly changes: readonly ConfigChange[] }

/** The changes to one topic's configs. */
export interface TopicConfigChanges { readonly topic: string; readonly changes: readonly ConfigChange[] }

/** A partition's preferred leader election: 0 (elected), ELECTION_NOT_NEEDED, or why it failed. */
export interface ElectionResult { readonly topic: string; readonly partition: number; readonly code: number }

const OP_CODE: Record<ConfigOp, number> = { set: 0, delete: 1, append: 2, subtract: 3 };
const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
/** DescribeConfigs' config_source of a broker's own dynamic config. */
const SOURCE_DYNAMIC_BROKER = 2;

type AlterRes = { responses: { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }[] };
type DescribeRes = { results: { errorCode: number; errorMessage: string | null; resourceName: string; configs: { name: string; value: string | null; configSource: number }[] }[] };
type ElectRes = { errorCode: number; replicaElectionResults: { topic: string; partitionResult: { partitionId: number; errorCode: number; errorMessage: string | null }[] }[] };

function entries(changes: readonly ConfigChange[], where: string): { name: string; configOperation: number; value: string | null }[] {
  return changes.map((c, i) => {
    if (c.op !== 'delete' && c.value === undefined) throw new TypeError(`${where}.changes[${i}].value: expected a string for ${c.op} of ${c.name}`);
    return { name: c.name, configOperation: OP_CODE[c.op], value: c.op === 'delete' ? null : c.value! };
  });
}

async function incrementalAlter(admin: KafkaAdmin, to: 'any' | number, resources: { resourceType: number; resourceName: string; configs: ReturnType<typeof entries> }[], validateOnly: boolean): Promise<AdminResult<number>> {
  const op = 'incrementalAlterConfigs';
  try {
    const res = await admin.request<AlterRes>(to, op, (k) => [k.incrementalAlterConfigsV1.api], resources, validateOnly);
    const errors: AdminIssue[] = res.responses.filter((r) => r.errorCode !== 0).map((r) => ({
      op, ...(typeof to === 'number' ? { broker: to } : {}), subject: r.resourceName, code: r.errorCode,
      message: errorText(r.errorCode, r.errorMessage),
    }));
    return { value: res.responses.length - errors.length, errors };
  } catch (err) {
    return { value: 0, errors: [{ op, ...(typeof to === 'number' ? { broker: to } : {}), message: describe(err) }] };
  }
}

/**
 * IncrementalAlterConfigs of broker resources, one request per broker sent to that broker (as
 * Kafka's admin client sends a broker's own configs). The value counts brokers whose changes were
 * all applied; a broker's changes are applied all or none.
 */
export async function alterBrokerConfigs(admin: KafkaAdmin, changes: readonly BrokerConfigChanges[], validateOnly = false): Promise<AdminResult<number>> {
  const results = await Promise.all(changes.map((c, i) => incrementalAlter(admin, c.broker, [{ resourceType: RESOURCE_BROKER, resourceName: String(c.broker), configs: entries(c.changes, `changes[${i}]`) }], validateOnly)));
  return { value: results.reduce((a, r) => a + r.value, 0), errors: results.flatMap((r) => r.errors) };
}

/** IncrementalAlterConfigs of topics in one request. The value counts topics whose changes were all applied. */
export async function alterTopicConfigs(admin: KafkaAdmin, changes: readonly TopicConfigChanges[], validateOnly = false): Promise<AdminResult<number>> {
  if (changes.length === 0) return { value: 0, errors: [] };
  return incrementalAlter(admin, 'any', changes.map((c, i) => ({ resourceType: RESOURCE_TOPIC, resourceName: c.topic, configs: entries(c.changes, `changes[${i}]`) })), validateOnly);
}

/**
 * The dynamic configs set on each broker itself (DescribeConfigs, source DYNAMIC_BROKER_CONFIG),
 * restricted to `keys`; each broker is asked directly. A broker with none set maps to `{}`.
 */
export function describeBrokerDynamicConfigs(admin: KafkaAdmin, brokers: readonly number[], keys: readonly string[]): Promise<AdminResult<Map<number, Record<string, string>>>> {
  return describeBrokerConfigs(admin, brokers, keys, true);
}

/**
 * Each broker's configs named in `keys` as it reports them, whatever their source (static,
 * dynamic or default), or only those set dynamically on the broker itself; each broker is asked
 * directly.
 */
export async function describeBrokerConfigs(admin: KafkaAdmin, brokers: readonly number[], keys: readonly string[], dynamicOnly = false): Promise<AdminResult<Map<number, Record<string, string>>>> {
  const value = new Map<number, Record<string, string>>();
  const errors: AdminIssue[] = [];
  await Promise.all(brokers.map(async (broker) => {
    try {
      const res = await admin.request<DescribeRes>(broker, 'describeConfigs', (k) => [k.describeConfigsV4.api, k.describeConfigsV3.api, k.describeConfigsV2.api],
        [{ resourceType: RESOURCE_BROKER, resourceName: String(broker), configurationKeys: [...keys] }], false, false);
      const r = res.results[0];
      if (r === undefined) throw new Error('the broker answered without the resource');
      if (r.errorCode !== 0) errors.push({ op: 'describeConfigs', broker, subject: String(broker), code: r.errorCode, message: r.errorMessage ?? kafkaErrorName(r.errorCode) });
      else value.set(broker, Object.fromEntries(r.configs.filter((c) => (!dynamicOnly || c.configSource === SOURCE_DYNAMIC_BROKER) && c.value !== null).map((c) => [c.name, c.value!])));
    } catch (err) {
      errors.push({ op: 'describeConfigs', broker, message: describe(err) });
    }
  }));
  return { value, errors };
}

let electLeadersV2: Promise<{ api: ReturnType<typeof Kafka.createAPI> }> | undefined;
/**
 * ElectLeaders v2 (flexible), which the library does not ship:
 * request  election_type INT8, [topic_partitions: topic COMPACT_STRING, [partitions INT32]] (nullable), timeout_ms INT32;
 * response throttle_time_ms INT32, error_code INT16, [results: topic, [partition_id INT32, error_code INT16, error_message]].
 */
function electLeadersApi(): Promise<{ api: ReturnType<typeof Kafka.createAPI> }> {
  return (electLeadersV2 ??= import('@platformatic/kafka').then((k) => {
    const createRequest = (electionType: number, topics: { topic: string; partitions: number[] }[] | null, timeoutMs: number) => k.Writer.create()
      .appendInt8(electionType)
      .appendArray(topics, (w, t) => {
        w.appendString(t.topic).appendArray(t.partitions, (w2, p) => w2.appendInt32(p), true, false);
      })
      .appendInt32(timeoutMs)
      .appendTaggedFields();
    const parseResponse = (_c: number, _k: number, _v: number, r: InstanceType<typeof k.Reader>): ElectRes & { throttleTimeMs: number } => ({
      throttleTimeMs: r.readInt32(),
      errorCode: r.readInt16(),
      replicaElectionResults: r.readArray((t) => ({
        topic: t.readString(),
        partitionResult: t.readArray((p) => ({ partitionId: p.readInt32(), errorCode: p.readInt16(), errorMessage: p.readNullableString() })),
      })),
    });
    return { api: k.createAPI(43, 2, createRequest, parseResponse) };
  }));
}

/**
 * Preferred leader election (ElectLeaders, election type 0) of `partitions`, sent to the
 * controller. Every partition asked for has a result; ELECTION_NOT_NEEDED (already led by its
 * preferred replica) is a success, not an issue.
 */
export async function electPreferredLeaders(admin: KafkaAdmin, partitions: readonly { topic: string; partition: number }[], timeoutMs = 30_000): Promise<AdminResult<ElectionResult[]>> {
  if (partitions.length === 0) return { value: [], errors: [] };
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const { api } = await electLeadersApi();
  try {
    const res = await admin.request<ElectRes>('controller', 'electLeaders', () => [api], 0, [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })), timeoutMs);
    if (res.errorCode !== 0) return { value: [], errors: [{ op: 'electLeaders', code: res.errorCode, message: kafkaErrorName(res.errorCode) }] };
    const value: ElectionResult[] = [];
    const errors: AdminIssue[] = [];
    for (const t of res.replicaElectionResults) {
      for (const p of t.partitionResult) {
        value.push({ topic: t.topic, partition: p.partitionId, code: p.errorCode });
        if (p.errorCode !== 0 && p.errorCode !== KafkaError.ELECTION_NOT_NEEDED) {
          errors.push({ op: 'electLeaders', subject: `${t.topic}-${p.partitionId}`, code: p.errorCode, message: errorText(p.errorCode, p.errorMessage) });
        }
      }
    }
    value.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    return { value, errors };
  } catch (err) {
    return { value: [], errors: [{ op: 'electLeaders', message: describe(err) }] };
  }
}
