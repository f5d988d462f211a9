/**
 * The reference docs are made from the code: docs/configuration.md and docs/cli.md are exactly
 * what `npm run gen:docs` writes now, and every key of sluice.yaml is described (and nothing
 * described that the schema does not have).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cliReference, CONFIG_DESCRIPTIONS, configKeys, configReference } from '../../src/cli/docs.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('every key of sluice.yaml is described, and every description names a key', () => {
  const paths = configKeys().map((k) => k.path);
  assert.deepEqual(paths.filter((p) => CONFIG_DESCRIPTIONS[p] === undefined), [], 'keys without a description');
  assert.deepEqual(Object.keys(CONFIG_DESCRIPTIONS).filter((p) => !paths.includes(p)), [], 'descriptions of keys the schema does not have');
  const mode = configKeys().find((k) => k.path === 'throttle.mode')!;
  assert.deepEqual([mode.type, mode.default, mode.allowed], ['string', '`"recommend"`', '`off`, `recommend`, `auto`']);
  const port = configKeys().find((k) => k.path === 'api.port')!;
  assert.deepEqual([port.type, port.default, port.allowed], ['integer', '`8080`', '0 to 65535']);
  assert.equal(configKeys().find((k) => k.path === 'clusters[].bootstrap')!.required, true);
});

test('docs/configuration.md and docs/cli.md are current (npm run gen:docs)', () => {
  assert.equal(readFileSync(`${root}docs/configuration.md`, 'utf8'), configReference());
  const cli = readFileSync(`${root}docs/cli.md`, 'utf8');
  assert.equal(cli, cliReference());
  for (const command of ['sluice start', 'sluice demo', 'sluice rules test', 'sluice replay', 'sluice record', 'sluice quotas reset', 'sluice broker ctl']) {
    assert.ok(cli.includes(`## \`${command}\``), `${command} is documented`);
  }
});
