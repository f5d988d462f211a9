/**
 * The dashboard JSON against Grafana's schema types and the provisioning files: the committed
 * JSON is what dashboards/build generates; every board, each panel's options and field config
 * type-check against @grafana/schema (the JSON literal assigned to the schema type, with string
 * enums as their values, so an unknown field or value fails); uids are fixed and unique; every
 * query names the provisioned data source; every variable a query uses is defined on its board.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Dashboard, Panel } from '@grafana/schema';
import { parse } from 'yaml';
import { BOARDS, buildDashboards, render } from '../../dashboards/build/index.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const jsonDir = join(root, 'dashboards', 'json');

async function committed(): Promise<Map<string, Dashboard>> {
  const files = (await readdir(jsonDir)).filter((f) => f.endsWith('.json')).sort();
  return new Map(await Promise.all(files.map(async (f) => [f, JSON.parse(await readFile(join(jsonDir, f), 'utf8')) as Dashboard] as const)));
}

test('the committed JSON is what dashboards/build generates (npm run gen:dashboards)', async () => {
  const files = (await readdir(jsonDir)).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, BOARDS.map((b) => b.file).sort());
  for (const [file, d] of buildDashboards()) {
    assert.equal(await readFile(join(jsonDir, file), 'utf8'), render(d), `${file} is stale: run npm run gen:dashboards`);
  }
});

test('boards have the fixed uids, the seven boards, and the template variables', async () => {
  const boards = [...(await committed()).values()];
  assert.deepEqual(boards.map((d) => [d.uid, d.title]).sort(), [
    ['sluice-alerts', 'Sluice / Alerts'],
    ['sluice-brokers', 'Sluice / Brokers and hosts'],
    ['sluice-clients', 'Sluice / Clients and quotas'],
    ['sluice-consumer-groups', 'Sluice / Consumer groups'],
    ['sluice-fleet', 'Sluice / Fleet overview'],
    ['sluice-throttling', 'Sluice / Throttling'],
    ['sluice-topics', 'Sluice / Topics'],
  ]);
  const variables = new Set(boards.flatMap((d) => (d.templating?.list ?? []).map((v) => v.name)));
  for (const name of ['cluster', 'topic', 'group', 'user', 'client_id', 'broker']) assert.ok(variables.has(name), `no board has variable ${name}`);
});

test('every query reads the provisioned data source and uses only variables its board defines', async () => {
  const ds = (parse(await readFile(join(root, 'dashboards/provisioning/datasources/sluice.yaml'), 'utf8')) as { datasources: { uid: string; type: string }[] }).datasources[0]!;
  const builtIn = new Set(['__interval', '__interval_ms', '__timeFilter', '__timeFrom', '__timeTo', '__timeGroup', '__timeGroupAlias', '__all']);
  for (const d of (await committed()).values()) {
    const defined = new Set((d.templating?.list ?? []).map((v) => v.name));
    const check = (where: string, ref: { uid?: string; type?: string } | null | undefined, sql: string): void => {
      assert.deepEqual({ uid: ref?.uid, type: ref?.type }, { uid: ds.uid, type: ds.type }, `${d.uid} ${where}: data source`);
      for (const m of sql.matchAll(/\$(\w+)/g)) assert.ok(defined.has(m[1]!) || builtIn.has(m[1]!), `${d.uid} ${where}: $${m[1]} is not a variable of the board`);
    };
    for (const v of d.templating?.list ?? []) check(`variable ${v.name}`, v.datasource, String(v.query));
    for (const a of d.annotations?.list ?? []) {
      const target = a.target as { rawSql?: string } | undefined;
      if (target?.rawSql !== undefined) check(`annotation ${a.name}`, a.datasource, target.rawSql);
    }
    const ids = new Set<number>();
    for (const p of (d.panels ?? []) as Panel[]) {
      assert.ok(p.id !== undefined && !ids.has(p.id), `${d.uid}: panel id ${p.id} is not unique`);
      ids.add(p.id);
      const g = p.gridPos!;
      assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24, `${d.uid} ${p.title}: gridPos ${JSON.stringify(g)} is outside 24 columns`);
      if (p.type === 'row') continue;
      assert.ok((p.targets ?? []).length > 0, `${d.uid} ${p.title}: no query`);
      check(`panel ${p.title}`, p.datasource, '');
      for (const t of (p.targets ?? []) as { datasource?: { uid?: string; type?: string }; rawSql: string; format: string }[]) {
        check(`panel ${p.title}`, t.datasource, t.rawSql);
        assert.ok(['time_series', 'table'].includes(t.format), `${d.uid} ${p.title}: format ${t.format}`);
      }
    }
  }
});

/** Panel plugin id → the module and names of its options and field config types in @grafana/schema. */
const PANEL_TYPES: Readonly<Record<string, { module: string; options: string; custom?: string }>> = {
  timeseries: { module: 'timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen', options: 'Options', custom: 'FieldConfig' },
  stat: { module: 'stat/panelcfg/x/StatPanelCfg_types.gen', options: 'Options' },
  table: { module: 'table/panelcfg/x/TablePanelCfg_types.gen', options: 'Options', custom: 'FieldConfig' },
  'state-timeline': { module: 'statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen', options: 'Options', custom: 'FieldConfig' },
};

test('the JSON type-checks against @grafana/schema: Dashboard, and each panel\'s options and field config', async (t) => {
  const boards = await committed();
  const imports = Object.entries(PANEL_TYPES).map(([type, p], i) =>
    `import type { ${p.options} as O${i}${p.custom === undefined ? '' : `, ${p.custom} as F${i}`} } from '@grafana/schema/dist/esm/raw/composable/${p.module}'; // ${type}`);
  const lines = [
    `import type { AnnotationQuery, Dashboard, DataQuery } from '@grafana/schema';`,
    ...imports,
    '// JSON carries a string enum as its value: compare with the values, everything else as declared.',
    'type Wire<T> = T extends string ? `${T}` : T extends number | boolean | null | undefined ? T : T extends readonly (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;',
    '// The query model of the PostgreSQL data source (its plugin, not @grafana/schema, defines it): a DataQuery with the SQL.',
    `type Sql = DataQuery & { rawSql: string; format: 'time_series' | 'table'; editorMode?: 'code' | 'builder'; rawQuery?: boolean };`,
    'type Board = Omit<Dashboard, \'annotations\'> & { annotations?: { list?: AnnotationQuery<Sql>[] } };',
  ];
  let n = 0;
  for (const [file, d] of boards) {
    lines.push(`// ${file}`, `export const d${n}: Wire<Board> = ${JSON.stringify(d)};`);
    for (const p of (d.panels ?? []) as Panel[]) {
      if (p.type === 'row') continue;
      const index = Object.keys(PANEL_TYPES).indexOf(p.type);
      assert.ok(index >= 0, `${file} ${p.title}: panel type ${p.type} has no schema in this test`);
      lines.push(`export const d${n}p${p.id}o: Wire<O${index}> = ${JSON.stringify(p.options)};`);
      lines.push(`export const d${n}p${p.id}t: Wire<Sql>[] = ${JSON.stringify(p.targets)};`);
      if (PANEL_TYPES[p.type]!.custom !== undefined) lines.push(`export const d${n}p${p.id}f: Wire<F${index}> = ${JSON.stringify(p.fieldConfig?.defaults.custom ?? {})};`);
    }
    n++;
  }
  // Outside the repository (the project's tsc must never see it), with the repository's modules.
  const dir = await mkdtemp(join(tmpdir(), 'sluice-dashboard-schema-'));
  try {
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await writeFile(join(dir, 'check.ts'), `${lines.join('\n')}\n`);
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      files: ['check.ts'],
    }));
    const started = performance.now();
    const result = await promisify(execFile)(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { cwd: dir })
      .then(() => ({ ok: true, out: '' }), (err: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }));
    t.diagnostic(`tsc checked ${boards.size} boards in ${Math.round(performance.now() - started)} ms`);
    assert.equal(result.out, '');
    assert.ok(result.ok);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
