import { replicasConfig, validateReplicaList } from './replication-quota.ts';

/**
 * Topic and broker configuration keys the bundled broker knows, with Kafka's defaults.
 * Values are strings on the wire; validation turns bad values into INVALID_CONFIG.
 */

/** How a config value is checked and typed (DescribeConfigs v3+ config_type). */
export type ConfigType = 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST' | 'CLASS' | 'PASSWORD';

/** DescribeConfigs config_type numbers (KIP-569). */
export const CONFIG_TYPE_CODE: Record<ConfigType, number> = {
  BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9,
};

/** DescribeConfigs config_source numbers. */
export const ConfigSource = { UNKNOWN: 0, TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, DYNAMIC_DEFAULT_BROKER_CONFIG: 3, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

/** One known topic config. */
export interface ConfigDef {
  readonly type: ConfigType;
  readonly default: string;
  /** Allowed values for enumerations. */
  readonly oneOf?: readonly string[];
  /** Smallest allowed numeric value. */
  readonly min?: number;
}

/** Topic-level configs (https://kafka.apache.org/documentation/#topicconfigs). */
export const TOPIC_CONFIGS: Readonly<Record<string, ConfigDef>> = {
  'cleanup.policy': { type: 'LIST', default: 'delete', oneOf: ['delete', 'compact', 'compact,delete', 'delete,compact'] },
  'compression.type': { type: 'STRING', default: 'producer', oneOf: ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] },
  'retention.ms': { type: 'LONG', default: '604800000', min: -1 },
  'retention.bytes': { type: 'LONG', default: '-1', min: -1 },
  'segment.bytes': { type: 'INT', default: '1073741824', min: 14 },
  'segment.ms': { type: 'LONG', default: '604800000', min: 1 },
  'max.message.bytes': { type: 'INT', default: '1048588', min: 0 },
  'min.insync.replicas': { type: 'INT', default: '1', min: 1 },
  'message.timestamp.type': { type: 'STRING', default: 'CreateTime', oneOf: ['CreateTime', 'LogAppendTime'] },
  'unclean.leader.election.enable': { type: 'BOOLEAN', default: 'false', oneOf: ['true', 'false'] },
  'leader.replication.throttled.replicas': { type: 'LIST', default: '' },
  'follower.replication.throttled.replicas': { type: 'LIST', default: '' },
  'delete.retention.ms': { type: 'LONG', default: '86400000', min: 0 },
  'min.compaction.lag.ms': { type: 'LONG', default: '0', min: 0 },
  'message.downconversion.enable': { type: 'BOOLEAN', default: 'true', oneOf: ['true', 'false'] },
};

/** Checks one topic config; returns an error message or null. */
export function validateTopicConfig(name: string, value: string | null): string | null {
  const def = TOPIC_CONFIGS[name];
  if (!def) return `Unknown topic config name: ${name}`;
  if (value === null) return null;
  if (name === replicasConfig('leader') || name === replicasConfig('follower')) return validateReplicaList(name, value);
  if (def.oneOf && !def.oneOf.includes(value)) return `Invalid value ${value} for configuration ${name}: must be one of ${def.oneOf.join(', ')}`;
  if (def.type === 'INT' || def.type === 'LONG' || def.type === 'SHORT') {
    if (!/^-?\d+$/.test(value)) return `Invalid value ${value} for configuration ${name}: Not a number of type ${def.type}`;
    if (def.min !== undefined && Number(value) < def.min) return `Invalid value ${value} for configuration ${name}: Value must be at least ${def.min}`;
  }
  return null;
}

/** Broker-level configs reported by DescribeConfigs for a broker resource. */
export function brokerConfigs(o: {
  nodeId: number; autoCreateTopics: boolean; defaultPartitions: number; maxFrameBytes: number; host: string; port: number; saslEnabled: boolean;
  defaultReplicationFactor: number; minInsyncReplicas: string; quotaWindow: { num: number; sizeSeconds: number };
}): Record<string, { value: string; type: ConfigType; readOnly: boolean }> {
  const listener = `${o.saslEnabled ? 'SASL_PLAINTEXT' : 'PLAINTEXT'}://${o.host}:${o.port}`;
  return {
    'broker.id': { value: String(o.nodeId), type: 'INT', readOnly: true },
    'node.id': { value: String(o.nodeId), type: 'INT', readOnly: true },
    listeners: { value: listener, type: 'STRING', readOnly: true },
    'advertised.listeners': { value: listener, type: 'STRING', readOnly: true },
    'auto.create.topics.enable': { value: String(o.autoCreateTopics), type: 'BOOLEAN', readOnly: true },
    'num.partitions': { value: String(o.defaultPartitions), type: 'INT', readOnly: true },
    'default.replication.factor': { value: String(o.defaultReplicationFactor), type: 'INT', readOnly: true },
    'offsets.topic.num.partitions': { value: '50', type: 'INT', readOnly: true },
    'socket.request.max.bytes': { value: String(o.maxFrameBytes), type: 'INT', readOnly: true },
    'message.max.bytes': { value: '1048588', type: 'INT', readOnly: true },
    'log.retention.ms': { value: '604800000', type: 'LONG', readOnly: true },
    'log.retention.bytes': { value: '-1', type: 'LONG', readOnly: true },
    'min.insync.replicas': { value: o.minInsyncReplicas, type: 'INT', readOnly: true },
    'quota.window.num': { value: String(o.quotaWindow.num), type: 'INT', readOnly: true },
    'quota.window.size.seconds': { value: String(o.quotaWindow.sizeSeconds), type: 'INT', readOnly: true },
    'sasl.enabled.mechanisms': { value: o.saslEnabled ? 'PLAIN' : '', type: 'LIST', readOnly: true },
  };
}
