/**
 * Writes docs/configuration.md from the schema of sluice.yaml (every key with its type, default
 * and allowed values, and what it does) and docs/cli.md from the `sluice` program's own help.
 * A test checks both files are what this script writes and that every key is described.
 *
 *   npm run gen:docs
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configReference, cliReference } from '../src/cli/docs.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
writeFileSync(`${root}docs/configuration.md`, configReference());
writeFileSync(`${root}docs/cli.md`, cliReference());
console.log('wrote docs/configuration.md and docs/cli.md');
