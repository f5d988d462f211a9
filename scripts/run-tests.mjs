#!/usr/bin/env node
// Runs the test suite: every test/**/*.test.ts, in sorted order, three files at a time (each in
// a process of its own; most files wait on sockets, brokers and timers far more than they compute,
// so a third file at a time on two cores shortens the run by minutes), under node's test runner
// with tsx. Output is node's own, closing summary
// included (CI reads it). The files are safe to run side by side: every listener takes a free
// port, every PostgreSQL test works in a schema of its own, temporary files are per test.
//
//   npm test                               all tests
//   npm test -- test/cli test/config/yaml  files whose path starts with one of these prefixes
//   npm test -- --test-name-pattern=port   node test flags (use the --flag=value form)
//   npm test -- --test-concurrency=1       one file at a time
//   SLUICE_TEST_JOBS=2 npm test            files at a time (default 3)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every *.test.ts under `dir`, as paths relative to the repository root with `/` separators. */
function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(path));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(relative(root, path).split(sep).join('/'));
  }
  return found;
}

/** A path prefix given on the command line, relative to the root whatever the caller's cwd. */
function toPrefix(arg) {
  return relative(root, resolve(process.cwd(), arg)).split(sep).join('/') + (arg.endsWith('/') ? '/' : '');
}

const args = process.argv.slice(2);
const flags = args.filter((arg) => arg.startsWith('-'));
const prefixes = args.filter((arg) => !arg.startsWith('-')).map(toPrefix);

// node's test runner sorts the files it is given, so they run in path order whatever order they
// are listed in here.
const all = findTests(join(root, 'test')).sort();
const files = prefixes.length === 0 ? all : all.filter((file) => prefixes.some((prefix) => file.startsWith(prefix)));
if (files.length === 0) {
  console.error(prefixes.length === 0 ? 'no test files under test/' : `no test files match: ${prefixes.join(' ')}`);
  process.exit(1);
}

// This run's id: the schemas its tests make on DATABASE_URL carry it, and are dropped at the end.
const run = randomBytes(4).toString('hex');

const jobs = Number.parseInt(process.env.SLUICE_TEST_JOBS ?? '3', 10) || 3;
const reporter = process.stdout.isTTY && !flags.some((flag) => flag.startsWith('--test-reporter')) ? ['--test-reporter=spec'] : [];
const child = spawn(
  process.execPath,
  // --test-force-exit: a file whose tests are done ends even if something left a handle open, and
  // --test-timeout bounds any one test, so one bad test can never hang the whole run.
  // test/helpers/pglite-template.ts: an in-memory PGlite starts from a cached initdb (see there).
  ['--import', 'tsx', '--import', './test/helpers/pglite-template.ts', '--test', `--test-concurrency=${jobs}`, '--test-force-exit', '--test-timeout=300000', ...reporter, ...flags, ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SLUICE_TEST_RUN: run } },
);

// A signal sent to this process alone (e.g. by a CI timeout) must reach the test runner too.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  const status = code ?? 128 + (constants.signals[signal] ?? 0);
  dropRunSchemas().finally(() => process.exit(status));
});

/**
 * Drops the schemas this run made on DATABASE_URL (test/helpers/backends.ts names them with the
 * run's id), so that runs do not pile up schemas on a shared server. Never changes the outcome.
 */
async function dropRunSchemas() {
  const url = process.env.DATABASE_URL;
  if (url === undefined || url === '') return;
  let client;
  try {
    const { default: pg } = await import('pg');
    client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, statement_timeout: 60_000 });
    await client.connect();
    const found = await client.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`sluice\\_test\\_${run}\\_%`]);
    for (const { nspname } of found.rows) await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
  } catch (err) {
    console.error(`run-tests: the run's schemas on DATABASE_URL were not all dropped: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await client?.end().catch(() => undefined);
  }
}
