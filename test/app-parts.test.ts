import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writesCheck } from '../src/app-parts.ts';

test('the writes readiness check is degraded while the writer says its writes fail, and says since when and why', () => {
  assert.deepEqual(writesCheck({}, 1_000_000), { name: 'writes', ok: true });
  assert.deepEqual(writesCheck({ failingSince: 940_000, lastError: 'connect ECONNREFUSED 127.0.0.1:5432' }, 1_000_000), {
    name: 'writes',
    ok: false,
    detail: 'samples have not been written to the database for 60 s: connect ECONNREFUSED 127.0.0.1:5432',
  });
});
