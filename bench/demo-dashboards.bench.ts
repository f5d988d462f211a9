/**
 * What a person sees in Grafana after two minutes of `npm start`: runs `sluice demo` (the bundled
 * cluster, the story, the whole service) storing into a fresh schema of the PostgreSQL server at
 * DATABASE_URL for two minutes, stops it with SIGINT as Ctrl-C would, then runs every query of
 * every board (variables first, as Grafana does) over the run and lists each board's panels that
 * came back empty. Exits 1 when a board has no data at all or a panel other than those a short
 * run cannot fill is empty.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:demo-dashboards [-- SECONDS]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Dashboard, Panel } from '@grafana/schema';
import pg from 'pg';
import { parse } from 'yaml';
import { BOARDS } from '../dashboards/build/index.ts';
import { boardVariables, panelSql, type TimeRange } from '../test/dashboards/grafana.ts';
import { ROOT } from './faults/parts.ts';

const URL_ = process.env.DATABASE_URL;
if (URL_ === undefined || URL_ === '') {
  console.error('bench:demo-dashboards needs DATABASE_URL (Grafana reads PostgreSQL, not PGlite)');
  process.exit(2);
}
const SECONDS = Number(process.argv[2] ?? 120);

/** Panels two minutes cannot fill, with why. */
const EMPTY_IN_SHORT_RUN: Readonly<Record<string, string>> = {
  'sluice-topics / Bytes in vs baseline / B': 'the baseline is the mean of the hour ending 15 minutes ago',
  'sluice-topics / Spike ratio / A': 'the baseline is the mean of the hour ending 15 minutes ago',
  'sluice-alerts / Failed and retried notifications / A': 'the demo\'s mailbox and webhook log accept every notification',
  'sluice-balance / Latest plan / A': 'the demo makes no balance plan',
  'sluice-balance / Per-broker load: before and predicted after / A': 'the demo makes no balance plan',
  'sluice-balance / Current execution / A': 'the demo executes no balance plan',
  'sluice-balance / Moves of the current execution / A': 'the demo executes no balance plan',
};

const schema = `demo_dash_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: URL_ });
await admin.connect();
await admin.query(`CREATE SCHEMA ${schema}`);
const url = `${URL_}${URL_.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;

const startedAt = Date.now();
const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), `${ROOT}src/cli/main.ts`, 'demo', '--api-port', '0', '--port', '0', '--metrics-port', '0', '--control-port', '0'], {
  cwd: tmpdir(), stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DATABASE_URL: url },
});
let output = '';
child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
child.kill('SIGINT');
await once(child, 'exit');
const endedAt = Date.now();
if (!output.includes('sluice demo: stopped')) console.error(`the demo did not stop cleanly:\n${output.slice(-2000)}`);

const client = new pg.Client({ connectionString: url });
await client.connect();
const provisioned = parse(await readFile(new URL('../dashboards/provisioning/datasources/sluice.yaml', import.meta.url), 'utf8')) as { datasources: { jsonData: { timeInterval: string } }[] };
const minInterval = provisioned.datasources[0]!.jsonData.timeInterval;
const range: TimeRange = { from: startedAt - 60_000, to: endedAt + 5_000 };
let failed = false;
console.log(`sluice demo for ${SECONDS} s into schema ${schema}; every board's queries over the run:`);
for (const { file } of BOARDS) {
  const board = JSON.parse(await readFile(new URL(`../dashboards/json/${file}`, import.meta.url), 'utf8')) as Dashboard;
  const variables = await boardVariables(client, board, range, minInterval);
  const empty: string[] = [];
  let targets = 0;
  for (const p of (board.panels ?? []).filter((x): x is Panel => x.type !== 'row')) {
    for (const t of (p.targets ?? []) as unknown as { refId: string; rawSql: string }[]) {
      targets++;
      const rows = (await client.query(panelSql(p, t.rawSql, range, variables, minInterval))).rowCount ?? 0;
      if (rows === 0) empty.push(`${board.uid} / ${p.title} / ${t.refId}`);
    }
  }
  const unexplained = empty.filter((e) => EMPTY_IN_SHORT_RUN[e] === undefined);
  if (unexplained.length > 0 || empty.length === targets) failed = true;
  console.log(`  ${board.uid}: ${targets - empty.length}/${targets} queries with data${empty.length === 0 ? '' : `; empty: ${empty.map((e) => `${e.slice(board.uid!.length + 3)}${EMPTY_IN_SHORT_RUN[e] === undefined ? '' : ` (${EMPTY_IN_SHORT_RUN[e]})`}`).join('; ')}`}`);
}
await client.end();
await admin.query(`DROP SCHEMA ${schema} CASCADE`);
await admin.end();
console.log(failed ? 'FAILED: a board shows panels without data' : 'every board has data');
process.exit(failed ? 1 : 0);
