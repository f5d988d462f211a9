/**
 * The response check the client suites run behind (test/helpers/wire-check.ts) catches what a
 * client would trip on: missing bytes, bytes left over, a wrong correlation id, answers out of
 * order. A check that cannot fail would prove nothing about the broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRequest, encodeResponse } from '../../../../src/kafka/protocol/frames.ts';
import { APIS, ApiKey } from '../../../../src/kafka/protocol/messages.ts';
import { ConnectionCheck, WireLog, checkFrame, rewritePorts } from '../../../helpers/wire-check.ts';

const metadata = APIS.get(ApiKey.Metadata)!;
const offsetCommit = APIS.get(ApiKey.OffsetCommit)!;
const metadataV1 = { brokers: [{ nodeId: 0, host: '127.0.0.1', port: 9092, rack: null }], controllerId: 0, topics: [] };

/** A response frame as the broker writes it, without the size prefix. */
function frame(apiKey: number, version: number, correlationId: number, body: object): Buffer {
  return Buffer.concat(encodeResponse(APIS.get(apiKey)!, version, correlationId, body)).subarray(4);
}

/** A request frame, without the size prefix. */
function request(apiKey: number, version: number, correlationId: number, body: object): Buffer {
  return encodeRequest(apiKey, version, correlationId, 'check', body).subarray(4);
}

test('a response as the definition describes it passes; missing and extra bytes do not', () => {
  const good = frame(ApiKey.Metadata, 1, 7, metadataV1);
  assert.equal(checkFrame(metadata, 1, 7, good), null);
  assert.equal(checkFrame(metadata, 1, 7, Buffer.concat([good, Buffer.from([0, 0])])), `2 bytes left after the ${good.length} the definition describes`);
  assert.match(checkFrame(metadata, 1, 7, good.subarray(0, good.length - 1))!, /^\d+-byte frame does not decode: frame ended reading/);
  // The same bytes read as another version of the API are not that version.
  assert.notEqual(checkFrame(metadata, 0, 7, good), null);
  assert.equal(checkFrame(metadata, 1, 8, good), 'correlation id 7 where 8 was next');
});

test('a bare error code in answer to OffsetCommit v1 (what sarama read as "insufficient data") is a problem', () => {
  const bare = Buffer.alloc(6);
  bare.writeInt32BE(3, 0);
  bare.writeInt16BE(35, 4);
  assert.equal(checkFrame(offsetCommit, 1, 3, bare), '6-byte frame does not decode: frame ended reading int32 at byte 4 (needed 4, 2 left)');
});

test('a connection check pairs responses with requests in order and skips acks=0 produce', () => {
  const log = new WireLog();
  const check = new ConnectionCheck(log, 2);
  check.onRequest(request(ApiKey.Metadata, 1, 1, { topics: null }));
  check.onRequest(request(ApiKey.Produce, 3, 2, { transactionalId: null, acks: 0, timeoutMs: 100, topicData: [] }));
  check.onRequest(request(ApiKey.ApiVersions, 9, 3, {}));
  check.onRequest(request(ApiKey.Metadata, 1, 4, { topics: null }));
  assert.deepEqual(check.onResponse(frame(ApiKey.Metadata, 1, 1, metadataV1))?.body.controllerId, 0);
  // KIP-511: an ApiVersions version the broker does not know is answered in v0 with UNSUPPORTED_VERSION.
  assert.equal(check.onResponse(frame(ApiKey.ApiVersions, 0, 3, { errorCode: 35, apiKeys: [] })), null);
  assert.equal(check.onResponse(frame(ApiKey.Metadata, 1, 1, metadataV1)), null);
  assert.equal(check.onResponse(frame(ApiKey.Metadata, 1, 5, metadataV1)), null);
  assert.deepEqual(log.problems, [
    { broker: 2, api: 'Metadata', apiVersion: 1, correlationId: 4, problem: 'correlation id 1 where 4 was next' },
    { broker: 2, api: '?', apiVersion: -1, correlationId: 5, problem: 'a response to no outstanding request' },
  ]);
  assert.deepEqual(log.apiVersions(), ['Metadata v1']);
  assert.deepEqual(log.missing(['Metadata v1', 'Fetch v4']), ['Fetch v4']);
});

test('broker ports in a decoded response are rewritten to the proxies\'', () => {
  const body = { ...metadataV1, brokers: [{ nodeId: 0, host: 'h', port: 9092 }, { nodeId: 1, host: 'h', port: 9093 }] };
  assert.equal(rewritePorts(body, new Map([[9092, 40001]])), true);
  assert.deepEqual(body.brokers.map((b) => b.port), [40001, 9093]);
  assert.equal(rewritePorts({ errorCode: 15, nodeId: -1, host: '', port: -1 }, new Map([[9092, 40001]])), false);
});
