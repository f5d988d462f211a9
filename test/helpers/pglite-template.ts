/**
 * Loaded before every test file (scripts/run-tests.mjs): an in-memory PGlite starts from a copy
 * of a freshly initialised data directory instead of running initdb again. initdb is most of the
 * cost of a new PGlite (seconds on a busy machine; loading the copy is a fraction of that), and
 * the test suite opens one or more in-memory PGlite instances in most files.
 *
 * The copy is made once per PGlite version by the first test process that needs it, from a real
 * `PGlite.create()`, and kept in the system's temporary directory; nothing else changes: the
 * database each test gets is the one initdb makes. PGlite instances with a data directory on disk
 * are created as before. Set SLUICE_TEST_PGLITE_INITDB=1 to run initdb every time.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

const version = (JSON.parse(readFileSync(join(import.meta.dirname, '../../node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version;
const templatePath = join(tmpdir(), `sluice-test-pglite-${version}-initdb.tar`);

const create = PGlite.create.bind(PGlite) as (dataDir?: string | PGliteOptions, options?: PGliteOptions) => Promise<PGlite>;
let template: Promise<Blob> | undefined;

/** The initialised data directory as a tarball: read from the cache, or made and cached. */
function initialised(): Promise<Blob> {
  template ??= (async () => {
    try {
      return new Blob([await readFile(templatePath)], { type: 'application/x-tar' });
    } catch {
      const fresh = await create();
      const dump = await fresh.dumpDataDir('none');
      await fresh.close();
      const bytes = Buffer.from(await dump.arrayBuffer());
      // Written under a unique name and renamed: a test file running beside this one reads
      // either no file or a whole one.
      const partial = `${templatePath}.${randomBytes(6).toString('hex')}`;
      await writeFile(partial, bytes);
      await rename(partial, templatePath);
      return new Blob([bytes], { type: 'application/x-tar' });
    }
  })();
  return template;
}

/**
 * Whether the arguments are those of a plain new in-memory instance: no arguments, or options
 * naming nothing but an in-memory data directory. (PGlite's initdb itself creates an instance
 * with other options; that one must run as it always does.)
 */
function inMemory(dataDir: unknown, options: unknown): boolean {
  if (options !== undefined) return false;
  if (dataDir === undefined) return true;
  if (typeof dataDir !== 'object' || dataDir === null) return false;
  return Object.entries(dataDir).every(([key, value]) => value === undefined || (key === 'dataDir' && value === 'memory://'));
}

if (process.env.SLUICE_TEST_PGLITE_INITDB !== '1') {
  (PGlite as unknown as { create: typeof create }).create = async (dataDir?: string | PGliteOptions, options?: PGliteOptions) => {
    if (!inMemory(dataDir, options)) return create(dataDir, options);
    const given = (dataDir ?? {}) as PGliteOptions;
    return create({ ...given, loadDataDir: await initialised() });
  };
}
