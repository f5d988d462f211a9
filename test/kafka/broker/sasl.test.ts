import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { applyPlainToken, authenticatePlain } from '../../../src/kafka/broker/sasl.ts';
import type { ConnectionState } from '../../../src/kafka/broker/connection.ts';

const users = new Map([['alice', 'alice-secret']]);
const token = (authzid: string, user: string, password: string): Buffer => Buffer.from(`${authzid}\u0000${user}\u0000${password}`);

test('authenticatePlain: RFC 4616 tokens against the configured users', () => {
  assert.equal(authenticatePlain(users, token('', 'alice', 'alice-secret')), 'User:alice');
  assert.equal(authenticatePlain(users, token('alice', 'alice', 'alice-secret')), 'User:alice');
  assert.equal(authenticatePlain(users, token('bob', 'alice', 'alice-secret')), null);
  assert.equal(authenticatePlain(users, token('', 'alice', 'wrong')), null);
  assert.equal(authenticatePlain(users, token('', 'alice', 'alice-secret-longer')), null);
  assert.equal(authenticatePlain(users, token('', 'bob', 'alice-secret')), null);
  assert.equal(authenticatePlain(users, Buffer.from('alice\u0000alice-secret')), null);
  assert.equal(authenticatePlain(null, token('', 'alice', 'alice-secret')), null);
});

test('applyPlainToken: sets the principal on success only', () => {
  const conn: ConnectionState = { id: 1, clientHost: '127.0.0.1', saslMechanism: 'PLAIN', rawSaslNext: false, principal: null, closeAfterResponse: false };
  const auth = { users, logger: pino({ level: 'silent' }) };
  assert.equal(applyPlainToken(auth, conn, token('', 'alice', 'nope')), false);
  assert.equal(conn.principal, null);
  assert.equal(applyPlainToken(auth, conn, token('', 'alice', 'alice-secret')), true);
  assert.equal(conn.principal, 'User:alice');
});
