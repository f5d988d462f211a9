import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writesCheck } from '../src/app-parts.ts';

test('the writes readiness check is degraded while the writer says its writes fail, and says since when and why', () => {
  assert.deepEqual(writesCheck({}), { name: 'writes', ok: true });
  assert.deepEqual(writesCheck({ failingSince: Date.UTC(2026, 11, 6, 10, 0, 0), lastError: 'connect ECONNREFUSED 127.0.0.1:5432' }), {
    name: 'writes',
    ok: false,
    detail: 'samples have not been written to the database since 2026-12-06T10:00:00.000Z: connect ECONNREFUSED 127.0.0.1:5432',
    degraded: true,
  });
});
