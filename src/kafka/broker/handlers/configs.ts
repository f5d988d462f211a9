import { ApiKey } from '../../protocol/messages.ts';
import { KafkaError } from '../../protocol/error-codes.ts';
import { TOPIC_CONFIGS, CONFIG_TYPE_CODE, ConfigSource, brokerConfigs, validateTopicConfig } from '../configs.ts';
import { DYNAMIC_BROKER_CONFIGS, type Handler, type BrokerNode } from '../node.ts';
import type { Message } from '../../protocol/codec.ts';

/** DescribeConfigs/AlterConfigs resource types. */
export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;
/** IncrementalAlterConfigs operations. */
const Op = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

function describeTopic(node: BrokerNode, name: string, keys: string[] | null, v: number, synonyms: boolean): Message {
  const t = node.topics.get(name);
  if (!t) return { errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${name} does not exist`, resourceType: ResourceType.TOPIC, resourceName: name, configs: [] };
  const configs = Object.entries(TOPIC_CONFIGS)
    .filter(([k]) => keys === null || keys.includes(k))
    .map(([k, def]) => {
      const set = t.configs.has(k);
      const value = node.topics.config(t, k);
      const source = set ? ConfigSource.TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG;
      return {
        name: k, value, readOnly: false, isDefault: !set, configSource: source, isSensitive: false,
        synonyms: synonyms && v >= 1 ? [{ name: k, value, source }] : [],
        configType: CONFIG_TYPE_CODE[def.type], documentation: null,
      };
    });
  return { errorCode: KafkaError.NONE, errorMessage: null, resourceType: ResourceType.TOPIC, resourceName: name, configs };
}

/** The broker a BROKER resource names ('' = the one answering). */
function brokerNamed(node: BrokerNode, name: string): BrokerNode | undefined {
  return name === '' ? node : /^\d+$/.test(name) ? node.cluster.nodes[Number(name)] : undefined;
}

function describeBroker(node: BrokerNode, name: string, keys: string[] | null): Message {
  const target = brokerNamed(node, name);
  if (!target) {
    return { errorCode: KafkaError.INVALID_REQUEST, errorMessage: `Unexpected broker id ${name}`, resourceType: ResourceType.BROKER, resourceName: name, configs: [] };
  }
  const o = node.options;
  const all = brokerConfigs({ nodeId: target.nodeId, autoCreateTopics: o.autoCreateTopics, defaultPartitions: o.defaultPartitions, maxFrameBytes: o.maxFrameBytes, host: o.host, port: target.port, saslEnabled: o.saslUsers !== null, defaultReplicationFactor: o.defaultReplicationFactor, minInsyncReplicas: node.topics.defaults.get('min.insync.replicas') ?? '1', quotaWindow: o.quotaWindow });
  const statics = Object.entries(all).map(([k, c]) => ({ name: k, value: c.value, readOnly: c.readOnly, isDefault: false, configSource: ConfigSource.STATIC_BROKER_CONFIG, isSensitive: false, synonyms: [], configType: CONFIG_TYPE_CODE[c.type], documentation: null }));
  const dynamics = [...target.dynamicConfigs].map(([k, v]) => ({ name: k, value: v, readOnly: false, isDefault: false, configSource: ConfigSource.DYNAMIC_BROKER_CONFIG, isSensitive: false, synonyms: [], configType: CONFIG_TYPE_CODE.LONG, documentation: null }));
  const configs = [...statics, ...dynamics].filter((c) => keys === null || keys.includes(c.name));
  return { errorCode: KafkaError.NONE, errorMessage: null, resourceType: ResourceType.BROKER, resourceName: name, configs };
}

/**
 * Applies dynamic broker config changes (replication throttle rates); all or nothing. With
 * `replace` (legacy AlterConfigs), the changes are the broker's whole dynamic config set.
 */
function alterBroker(node: BrokerNode, name: string, changes: Change[], replace: boolean, validateOnly: boolean): { errorCode: number; errorMessage: string | null } {
  const targets = name === '' ? node.cluster.nodes.filter((n) => n !== undefined) : [brokerNamed(node, name)].filter((n) => n !== undefined);
  if (targets.length === 0) return { errorCode: KafkaError.INVALID_REQUEST, errorMessage: `Unexpected broker id ${name}` };
  for (const c of changes) {
    if (!DYNAMIC_BROKER_CONFIGS.has(c.name)) return { errorCode: KafkaError.INVALID_CONFIG, errorMessage: `Cannot update these configs dynamically: ${c.name}` };
    if (c.op === Op.SET && !(c.value !== null && /^\d+$/.test(c.value))) return { errorCode: KafkaError.INVALID_CONFIG, errorMessage: `Invalid value ${c.value} for configuration ${c.name}: Not a number of type LONG` };
    if (c.op !== Op.SET && c.op !== Op.DELETE) return { errorCode: KafkaError.INVALID_CONFIG, errorMessage: `Only SET and DELETE are supported for ${c.name}` };
  }
  if (validateOnly) return { errorCode: KafkaError.NONE, errorMessage: null };
  for (const t of targets) {
    if (replace) t.dynamicConfigs.clear();
    for (const c of changes) {
      if (c.op === Op.SET) t.dynamicConfigs.set(c.name, c.value!);
      else t.dynamicConfigs.delete(c.name);
    }
  }
  node.logger.info({ brokers: targets.map((t) => t.nodeId), changes }, 'altered broker configs');
  return { errorCode: KafkaError.NONE, errorMessage: null };
}

/** DescribeConfigs for topics and this broker. */
export const describeConfigs: Handler = {
  apiKey: ApiKey.DescribeConfigs,
  versions: [0, 4],
  handle(node, ctx, req) {
    const results = (req.resources as Message[]).map((r) => {
      if (r.resourceType === ResourceType.TOPIC) return describeTopic(node, r.resourceName, r.configurationKeys, ctx.apiVersion, req.includeSynonyms === true);
      if (r.resourceType === ResourceType.BROKER) return describeBroker(node, r.resourceName, r.configurationKeys);
      return { errorCode: KafkaError.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}`, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
    });
    return { throttleTimeMs: 0, results };
  },
};

type Change = { name: string; op: number; value: string | null };

/** Validates then applies config changes to one topic; nothing is applied when any change is bad. */
function alterTopic(node: BrokerNode, name: string, changes: Change[], replace: boolean, validateOnly: boolean): { errorCode: number; errorMessage: string | null } {
  const t = node.topics.get(name);
  if (!t) return { errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${name} does not exist` };
  const next = replace ? new Map<string, string>() : new Map(t.configs);
  for (const c of changes) {
    const bad = validateTopicConfig(c.name, c.op === Op.DELETE ? null : c.value);
    if (bad) return { errorCode: KafkaError.INVALID_CONFIG, errorMessage: bad };
    const def = TOPIC_CONFIGS[c.name]!;
    if (c.op === Op.SET) {
      if (c.value === null) return { errorCode: KafkaError.INVALID_CONFIG, errorMessage: `Null value not supported for ${c.name}` };
      next.set(c.name, c.value);
    } else if (c.op === Op.DELETE) next.delete(c.name);
    else if (c.op === Op.APPEND || c.op === Op.SUBTRACT) {
      if (def.type !== 'LIST') return { errorCode: KafkaError.INVALID_CONFIG, errorMessage: `Config ${c.name} is not a list: APPEND/SUBTRACT need a list` };
      const items = new Set((next.get(c.name) ?? def.default).split(',').filter((x) => x !== ''));
      for (const v of (c.value ?? '').split(',').filter((x) => x !== '')) {
        if (c.op === Op.APPEND) items.add(v);
        else items.delete(v);
      }
      next.set(c.name, [...items].join(','));
    } else return { errorCode: KafkaError.INVALID_REQUEST, errorMessage: `Unknown config operation ${c.op}` };
  }
  if (!validateOnly) {
    t.configs.clear();
    for (const [k, v] of next) t.configs.set(k, v);
    node.logger.info({ topic: name, configs: Object.fromEntries(next) }, 'altered topic configs');
  }
  return { errorCode: KafkaError.NONE, errorMessage: null };
}

function alter(node: BrokerNode, req: Message, incremental: boolean): Message {
  const responses = (req.resources as Message[]).map((r) => {
    const head = { resourceType: r.resourceType, resourceName: r.resourceName };
    const changes: Change[] = (r.configs as Message[]).map((c) => ({ name: c.name, op: incremental ? c.configOperation : Op.SET, value: c.value }));
    if (r.resourceType === ResourceType.BROKER) return { ...head, ...alterBroker(node, r.resourceName, changes, !incremental, req.validateOnly === true) };
    if (r.resourceType !== ResourceType.TOPIC) {
      return { ...head, errorCode: KafkaError.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}` };
    }
    return { ...head, ...alterTopic(node, r.resourceName, changes, !incremental, req.validateOnly === true) };
  });
  return { throttleTimeMs: 0, responses };
}

/** IncrementalAlterConfigs (KIP-339): SET, DELETE, APPEND, SUBTRACT on topic configs. */
export const incrementalAlterConfigs: Handler = {
  apiKey: ApiKey.IncrementalAlterConfigs,
  versions: [0, 1],
  handle: (node, _ctx, req) => alter(node, req, true),
};

/** AlterConfigs (legacy): replaces a topic's whole config set. */
export const alterConfigs: Handler = {
  apiKey: ApiKey.AlterConfigs,
  versions: [0, 2],
  handle: (node, _ctx, req) => alter(node, req, false),
};
