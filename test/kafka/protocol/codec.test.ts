import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBuffer, encodeBuffer, type Message } from '../../../src/kafka/protocol/codec.ts';
import { APIS, schema } from '../../../src/kafka/protocol/messages.ts';
import { encodeRequest, decodeRequestHeader, encodeResponse } from '../../../src/kafka/protocol/frames.ts';
import { inRange, type FieldSchema } from '../../../src/kafka/protocol/schema.ts';
import { HANDLERS } from '../../../src/kafka/broker/handlers/index.ts';
import { isSluiceError } from '../../../src/errors.ts';

/** Deterministic pseudo-random values (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sample(fields: readonly FieldSchema[], version: number, flexible: boolean, rnd: () => number, depth = 0): Message {
  const out: Message = {};
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    const nullable = inRange(f.nullable, version);
    const one = (): unknown => value(f, version, flexible, rnd, depth);
    if (f.array) {
      if (nullable && rnd() < 0.2) out[f.name] = null;
      else out[f.name] = Array.from({ length: depth > 2 ? 0 : Math.floor(rnd() * 3) }, one);
    } else if (nullable && f.type !== 'struct' && rnd() < 0.2) out[f.name] = null;
    else out[f.name] = one();
  }
  return out;
}

function value(f: FieldSchema, version: number, flexible: boolean, rnd: () => number, depth: number): unknown {
  const int = (bits: number): number => Math.floor(rnd() * 2 ** bits) - 2 ** (bits - 1);
  switch (f.type) {
    case 'int8': return int(8);
    case 'int16': return int(16);
    case 'uint16': return Math.floor(rnd() * 65536);
    case 'int32': return int(32);
    case 'uint32': return Math.floor(rnd() * 2 ** 32);
    case 'int64': return BigInt(int(32)) * 4294967296n + BigInt(Math.floor(rnd() * 2 ** 32));
    case 'float64': return rnd() * 1e6;
    case 'bool': return rnd() < 0.5;
    case 'string': return `s${Math.floor(rnd() * 1e6)}é`;
    case 'bytes': case 'records': return Buffer.from([1, 2, 3, Math.floor(rnd() * 256)]);
    case 'uuid': return '0123abcd-0000-4000-8000-00000000000' + Math.floor(rnd() * 10);
    case 'struct': return sample(f.fields ?? [], version, flexible, rnd, depth + 1);
  }
}

test('every served API round-trips requests and responses at every served version', () => {
  const rnd = rng(42);
  let cases = 0;
  for (const h of HANDLERS) {
    const api = APIS.get(h.apiKey)!;
    for (let v = h.versions[0]; v <= h.versions[1]; v++) {
      for (const s of [api.request, api.response]) {
        for (let i = 0; i < 5; i++) {
          const msg = sample(s.fields, v, inRange(s.flexible, v), rnd);
          const bytes = encodeBuffer(s, v, msg);
          const back = decodeBuffer(s, v, bytes);
          assert.deepEqual(back, msg, `${s.name} v${v}`);
          assert.deepEqual(encodeBuffer(s, v, back), bytes, `${s.name} v${v} re-encodes identically`);
          cases++;
        }
      }
    }
  }
  assert.ok(cases > 1500, `ran ${cases} cases`);
});

test('golden bytes: ApiVersions v0 request frame with client id', () => {
  const frame = encodeRequest(18, 0, 7, 'abc', {});
  assert.equal(frame.toString('hex'), '0000000d' + '0012' + '0000' + '00000007' + '0003' + '616263');
});

test('golden bytes: ApiVersions v3 request uses header v2 with a non-compact client id', () => {
  const frame = encodeRequest(18, 3, 1, 'k', { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
  // size | key 18 | v3 | corr 1 | client id int16-len "k" | header tags 0 | compact "x" | compact "1" | tags 0
  assert.equal(frame.toString('hex'), '00000011' + '0012' + '0003' + '00000001' + '0001' + '6b' + '00' + '0278' + '0231' + '00');
  const header = decodeRequestHeader(APIS.get(18)!, frame.subarray(4));
  assert.equal(header.clientId, 'k');
  assert.equal(header.correlationId, 1);
});

test('golden bytes: Metadata v9 request (compact array, tagged fields)', () => {
  const bytes = encodeBuffer(schema('MetadataRequest'), 9, { topics: [{ name: 't' }], allowAutoTopicCreation: true });
  // topics: len+1=2, name compact "t", struct tags 0 | allowAuto 1 | includeCluster 0 | includeTopic 0 | tags 0
  assert.equal(bytes.toString('hex'), '02' + '0274' + '00' + '01' + '00' + '00' + '00');
  assert.deepEqual(decodeBuffer(schema('MetadataRequest'), 9, bytes), {
    topics: [{ name: 't' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false,
  });
});

test('golden bytes: Metadata v1 request with null topics (all topics)', () => {
  assert.equal(encodeBuffer(schema('MetadataRequest'), 1, { topics: null }).toString('hex'), 'ffffffff');
  assert.equal(encodeBuffer(schema('MetadataRequest'), 0, { topics: [] }).toString('hex'), '00000000');
});

test('golden bytes: ApiVersions v3 response carries only default-skipping tagged fields', () => {
  const api = APIS.get(18)!;
  const frame = Buffer.concat(encodeResponse(api, 3, 5, { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 11 }], throttleTimeMs: 0, finalizedFeaturesEpoch: -1n }));
  // size | corr 5 (header v0 for ApiVersions) | error 0 | compact array of 1 | key 0 min 3 max 11 tags 0 | throttle 0 | tags 0
  assert.equal(frame.toString('hex'), '00000013' + '00000005' + '0000' + '02' + '0000' + '0003' + '000b' + '00' + '00000000' + '00');
});

test('tagged fields: a non-default tagged field is written with its tag and size, and read back', () => {
  const s = schema('FetchRequest');
  const msg = { clusterId: 'c1', replicaState: { replicaId: 3, replicaEpoch: 9n }, maxWaitMs: 1, minBytes: 1, maxBytes: 5, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [], forgottenTopicsData: [], rackId: '' };
  const bytes = encodeBuffer(s, 15, msg);
  assert.deepEqual(decodeBuffer(s, 15, bytes), msg);
  // The message's tag section: 2 fields; tag 0 (clusterId, 3 bytes: compact "c1" is length+1 then 2 bytes), tag 1 (replicaState, 13 bytes).
  assert.equal(bytes.subarray(bytes.length - 21).toString('hex'), '02' + '00' + '03' + '036331' + '01' + '0d' + '00000003' + '0000000000000009' + '00');
});

test('unknown tagged fields are skipped, out-of-order tags are refused', () => {
  const s = schema('ApiVersionsRequest');
  // compact "a", compact "b", then 1 tagged field with tag 9, 2 bytes
  const ok = Buffer.from('0261' + '0262' + '01' + '09' + '02' + 'beef', 'hex');
  assert.deepEqual(decodeBuffer(s, 3, ok), { clientSoftwareName: 'a', clientSoftwareVersion: 'b' });
  const bad = Buffer.from('0261' + '0262' + '02' + '09' + '00' + '03' + '00', 'hex');
  assert.throws(() => decodeBuffer(s, 3, bad), (e: unknown) => isSluiceError(e, 'SLUICE_ERR_PROTOCOL_INVALID_VALUE'));
});

test('truncated input fails with a buffer underflow naming the position', () => {
  const s = schema('ProduceRequest');
  const bytes = encodeBuffer(s, 7, { transactionalId: null, acks: -1, timeoutMs: 100, topicData: [{ name: 'orders', partitionData: [{ index: 0, records: Buffer.alloc(10) }] }] });
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.throws(() => decodeBuffer(s, 7, bytes.subarray(0, cut)), (e: unknown) => isSluiceError(e) && /ended|cannot fit/.test((e as Error).message), `cut at ${cut}`);
  }
});

test('an absurd array length is refused before allocating', () => {
  const s = schema('MetadataRequest');
  assert.throws(() => decodeBuffer(s, 1, Buffer.from('7fffffff', 'hex')), /array of 2147483647 elements cannot fit/);
});
