import { SCHEMAS } from './schemas.generated.ts';
import type { MessageSchema } from './schema.ts';
import { inRange } from './schema.ts';

/** Request and response schemas of one API key. */
export interface ApiSchemas {
  readonly apiKey: number;
  /** Kafka's API name, e.g. "Fetch". */
  readonly name: string;
  readonly request: MessageSchema;
  readonly response: MessageSchema;
}

/** Every API with both schemas in the generated definitions, by API key. */
export const APIS: ReadonlyMap<number, ApiSchemas> = (() => {
  const out = new Map<number, ApiSchemas>();
  for (const schema of Object.values(SCHEMAS)) {
    if (schema.type !== 'request' || schema.apiKey === undefined) continue;
    const name = schema.name.replace(/Request$/, '');
    const response = SCHEMAS[`${name}Response`];
    if (response) out.set(schema.apiKey, { apiKey: schema.apiKey, name, request: schema, response });
  }
  return out;
})();

/** The schema of a named message (headers, internal-topic records, consumer protocol). */
export function schema(name: string): MessageSchema {
  const s = SCHEMAS[name];
  if (!s) throw new Error(`no schema named ${name}`);
  return s;
}

/** Whether requests of this API at this version use the flexible (compact, tagged) encoding. */
export function isFlexible(api: ApiSchemas, version: number): boolean {
  return inRange(api.request.flexible, version);
}

/** Request header version for an API version: 2 when flexible, else 1 (v0 is controlled shutdown only). */
export function requestHeaderVersion(api: ApiSchemas, version: number): number {
  return isFlexible(api, version) ? 2 : 1;
}

/** Response header version: 1 when flexible, else 0; ApiVersions always answers with v0 (KIP-511). */
export function responseHeaderVersion(api: ApiSchemas, version: number): number {
  if (api.apiKey === 18) return 0;
  return inRange(api.response.flexible, version) ? 1 : 0;
}

/** API keys by name, for readable handler tables. */
export const ApiKey = {
  Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, OffsetCommit: 8, OffsetFetch: 9,
  FindCoordinator: 10, JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14,
  DescribeGroups: 15, ListGroups: 16, SaslHandshake: 17, ApiVersions: 18, CreateTopics: 19,
  DeleteTopics: 20, DeleteRecords: 21, InitProducerId: 22, OffsetForLeaderEpoch: 23,
  DescribeConfigs: 32, AlterConfigs: 33, DescribeLogDirs: 35, SaslAuthenticate: 36,
  CreatePartitions: 37, DeleteGroups: 42, ElectLeaders: 43, IncrementalAlterConfigs: 44,
  AlterPartitionReassignments: 45, ListPartitionReassignments: 46, OffsetDelete: 47,
  DescribeClientQuotas: 48, AlterClientQuotas: 49, DescribeCluster: 60,
} as const;
