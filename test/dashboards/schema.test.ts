/**
 * The dashboard JSON against Grafana's schema types and the provisioning files: the committed
 * JSON (dashboards/json for the PostgreSQL boards, dashboards/json-prometheus for the Prometheus
 * ones) is what dashboards/build generates; every board, each panel's options and field config
 * type-check against @grafana/schema (the JSON literal assigned to the schema type, with string
 * enums as their values, so an unknown field or value fails); uids are fixed and unique; every
 * query names its set's provisioned data source; every variable a query uses is defined on its
 * board; every PromQL query parses once Grafana has put values in for the variables.
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
import { BOARD_SETS, buildDashboards, render } from '../../dashboards/build/index.ts';
import { parseExpr } from '../../src/rules/promql/index.ts';
import type { VariableValue } from './grafana.ts';
import { interpolatePromVariables, planQuery } from './grafana-prometheus.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const jsonDir = join(root, 'dashboards', 'json');
const promDir = join(root, 'dashboards', 'json-prometheus');

/** The committed boards of one folder (default the PostgreSQL boards'), by file name. */
async function committed(dir = jsonDir): Promise<Map<string, Dashboard>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  return new Map(await Promise.all(files.map(async (f) => [f, JSON.parse(await readFile(join(dir, f), 'utf8')) as Dashboard] as const)));
}

/** The first data source of a provisioning file. */
async function provisionedDatasource(file: string): Promise<{ uid: string; type: string }> {
  return (parse(await readFile(join(root, 'dashboards/provisioning/datasources', file), 'utf8')) as { datasources: { uid: string; type: string }[] }).datasources[0]!;
}

test('the committed JSON is what dashboards/build generates (npm run gen:dashboards)', async () => {
  for (const set of BOARD_SETS) {
    const dir = join(root, 'dashboards', set.dir);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(files, set.boards.map((b) => b.file).sort(), set.dir);
    for (const [file, d] of buildDashboards(set.boards)) {
      assert.equal(await readFile(join(dir, file), 'utf8'), render(d), `${set.dir}/${file} is stale: run npm run gen:dashboards`);
    }
  }
});

test('the Prometheus boards: fixed uids of their own, the PostgreSQL boards\' variables, in a folder of their own', async () => {
  const boards = [...(await committed(promDir)).values()];
  assert.deepEqual(boards.map((d) => [d.uid, d.title]).sort(), [
    ['sluice-alerts-prom', 'Sluice / Alerts (Prometheus)'],
    ['sluice-brokers-prom', 'Sluice / Brokers and hosts (Prometheus)'],
    ['sluice-clients-prom', 'Sluice / Clients and quotas (Prometheus)'],
    ['sluice-consumer-groups-prom', 'Sluice / Consumer groups (Prometheus)'],
    ['sluice-fleet-prom', 'Sluice / Fleet overview (Prometheus)'],
    ['sluice-topics-prom', 'Sluice / Topics (Prometheus)'],
  ]);
  const postgres = [...(await committed()).values()];
  for (const d of boards) {
    const twin = postgres.find((b) => `${b.uid}-prom` === d.uid)!;
    assert.deepEqual((d.templating?.list ?? []).map((v) => v.name), (twin.templating?.list ?? []).map((v) => v.name), d.uid);
    // Links go to the boards of the same set.
    assert.deepEqual(d.links?.map((l) => l.tags), [['sluice-prometheus']]);
  }
  const providers = async (file: string) => (parse(await readFile(join(root, 'dashboards/provisioning/dashboards', file), 'utf8')) as { providers: { folderUid: string; options: { path: string } }[] }).providers;
  const [pg] = await providers('sluice.yaml');
  const [prom] = await providers('sluice-prometheus.yaml');
  assert.deepEqual([prom!.folderUid, prom!.options.path], ['sluice-prometheus', '/var/lib/grafana/dashboards/sluice-prometheus']);
  // Grafana reads a provider's folder with its subfolders: neither folder may hold the other.
  assert.ok(!prom!.options.path.startsWith(`${pg!.options.path}/`) && !pg!.options.path.startsWith(`${prom!.options.path}/`));
  const ds = await provisionedDatasource('sluice-prometheus.yaml');
  assert.deepEqual([ds.uid, ds.type], ['sluice-prometheus', 'prometheus']);
});

test('boards have the fixed uids, the eight boards, and the template variables', async () => {
  const boards = [...(await committed()).values()];
  assert.deepEqual(boards.map((d) => [d.uid, d.title]).sort(), [
    ['sluice-alerts', 'Sluice / Alerts'],
    ['sluice-balance', 'Sluice / Balance'],
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

/** What Grafana's Prometheus data source replaces itself (pkg/promlib/models/query.go). */
const PROM_BUILT_INS = new Set(['__interval', '__interval_ms', '__range', '__range_s', '__range_ms', '__rate_interval', '__rate_interval_ms']);

test('every Prometheus query reads the Prometheus data source, uses only its board\'s variables and parses with values put in', async () => {
  const ds = await provisionedDatasource('sluice-prometheus.yaml');
  for (const d of (await committed(promDir)).values()) {
    const variables = (d.templating?.list ?? []);
    const defined = new Set(variables.map((v) => v.name));
    // Every variable at two picked values with regex metacharacters, and at All.
    const picked = new Map<string, VariableValue>(variables.map((v) => [v.name, { multi: true, includeAll: true, current: ['a.b', "c'd"], options: [] }]));
    const all = new Map<string, VariableValue>(variables.map((v) => [v.name, { multi: true, includeAll: true, current: ['$__all'], options: [], allValue: v.allValue! }]));
    const check = (where: string, ref: { uid?: string; type?: string } | null | undefined, expr?: string, selector = false): void => {
      assert.deepEqual({ uid: ref?.uid, type: ref?.type }, { uid: ds.uid, type: ds.type }, `${d.uid} ${where}: data source`);
      if (expr === undefined) return;
      for (const m of expr.matchAll(/\$(\w+)/g)) assert.ok(defined.has(m[1]!) || PROM_BUILT_INS.has(m[1]!), `${d.uid} ${where}: $${m[1]} is not a variable of the board`);
      for (const values of [picked, all]) {
        const text: string = planQuery(interpolatePromVariables(expr, values), { from: 0, to: 3_600_000 }, 1000, '15s').expr;
        const parsed = parseExpr(text);
        if (selector) assert.equal(parsed.type, 'vector', `${d.uid} ${where}: ${text} is not a series selector`);
      }
    };
    for (const v of variables) {
      assert.ok(v.allValue !== undefined && v.multi === true && v.includeAll === true, `${d.uid} variable ${v.name}: multi-value with a custom all value`);
      const m = /^label_values\((.+), (\w+)\)$/.exec(String(v.query));
      assert.ok(m !== null, `${d.uid} variable ${v.name}: ${String(v.query)} is not label_values(selector, label)`);
      check(`variable ${v.name}`, v.datasource, m[1]!, true);
    }
    for (const a of d.annotations?.list ?? []) {
      if (a.builtIn === 1) continue;
      check(`annotation ${a.name}`, a.datasource, String((a.target as { expr?: string } | undefined)?.expr));
    }
    for (const p of (d.panels ?? []) as Panel[]) {
      assert.ok((p.targets ?? []).length > 0, `${d.uid} ${p.title}: no query`);
      check(`panel ${p.title}`, p.datasource);
      for (const t of (p.targets ?? []) as { refId: string; datasource?: { uid?: string; type?: string }; expr: string; instant: boolean; range: boolean; format: string }[]) {
        check(`panel ${p.title} ${t.refId}`, t.datasource, t.expr);
        // Stats and tables show the end of the range: instant; the others a range.
        const instant = p.type === 'stat' || p.type === 'table';
        assert.deepEqual([t.instant, t.range, t.format], [instant, !instant, p.type === 'table' ? 'table' : 'time_series'], `${d.uid} ${p.title}`);
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
  const sets = [{ query: 'Sql', board: 'Board', boards: await committed() }, { query: 'Prom', board: 'PromBoard', boards: await committed(promDir) }];
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
    '// The query model of the Prometheus data source (its plugin defines it): a DataQuery with the PromQL.',
    `type Prom = DataQuery & { expr: string; legendFormat?: string; range?: boolean; instant?: boolean; format?: 'time_series' | 'table' | 'heatmap'; editorMode?: 'code' | 'builder'; interval?: string };`,
    '// Its annotations keep the title, text and tag keys beside the target, where its annotation support reads them.',
    'type PromAnnotation = AnnotationQuery<Prom> & { titleFormat?: string; textFormat?: string; tagKeys?: string; useValueForTime?: boolean };',
    'type PromBoard = Omit<Dashboard, \'annotations\'> & { annotations?: { list?: PromAnnotation[] } };',
  ];
  let n = 0;
  for (const set of sets) {
    for (const [file, d] of set.boards) {
      lines.push(`// ${file}`, `export const d${n}: Wire<${set.board}> = ${JSON.stringify(d)};`);
      for (const p of (d.panels ?? []) as Panel[]) {
        if (p.type === 'row') continue;
        const index = Object.keys(PANEL_TYPES).indexOf(p.type);
        assert.ok(index >= 0, `${file} ${p.title}: panel type ${p.type} has no schema in this test`);
        lines.push(`export const d${n}p${p.id}o: Wire<O${index}> = ${JSON.stringify(p.options)};`);
        lines.push(`export const d${n}p${p.id}t: Wire<${set.query}>[] = ${JSON.stringify(p.targets)};`);
        if (PANEL_TYPES[p.type]!.custom !== undefined) lines.push(`export const d${n}p${p.id}f: Wire<F${index}> = ${JSON.stringify(p.fieldConfig?.defaults.custom ?? {})};`);
      }
      n++;
    }
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
    t.diagnostic(`tsc checked ${n} boards in ${Math.round(performance.now() - started)} ms`);
    assert.equal(result.out, '');
    assert.ok(result.ok);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
