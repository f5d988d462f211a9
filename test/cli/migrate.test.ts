import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import { captureContext } from '../helpers/cli.ts';
import { loadMigrations, openDb } from '../../src/store/index.ts';
import { DATABASE_URL, uniqueSchema } from '../store/support.ts';

const context = captureContext;

const versions = loadMigrations().map((m) => m.version);
const latest = versions.at(-1)!;

describe('sluice migrate', () => {
  test('applies every migration once; the second run is a no-op (PGlite data directory)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-migrate-'));
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      const first = context();
      assert.equal(await runCli(['migrate', '--data-dir', dir], () => first.ctx), 0);
      assert.deepEqual(first.stdout, [`sluice migrate: PGlite at ${dir}: applied ${versions.join(', ')}; schema version ${latest}\n`]);
      const second = context();
      assert.equal(await runCli(['migrate', '--data-dir', dir], () => second.ctx), 0);
      assert.deepEqual(second.stdout, [`sluice migrate: PGlite at ${dir}: schema is up to date at version ${latest}; nothing applied\n`]);
      assert.deepEqual([...first.stderr, ...second.stderr], []);
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL at --database-url: applied, then a no-op', { skip: DATABASE_URL === undefined ? 'needs DATABASE_URL' : false }, async () => {
    const schema = uniqueSchema();
    const args = ['migrate', '--database-url', DATABASE_URL!, '--schema', schema];
    try {
      const first = context();
      assert.equal(await runCli(args, () => first.ctx), 0, first.stderr.join(''));
      assert.match(first.stdout[0] ?? '', new RegExp(`: applied ${versions.join(', ')}; schema version ${latest}\\n$`));
      const second = context();
      assert.equal(await runCli(args, () => second.ctx), 0);
      assert.match(second.stdout[0] ?? '', new RegExp(`: schema is up to date at version ${latest}; nothing applied\\n$`));
    } finally {
      const admin = await openDb({ url: DATABASE_URL! });
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    }
  });
});
