/**
 * Panel, variable and dashboard builders, typed with Grafana's own schema types (@grafana/schema:
 * the dashboard model and each panel plugin's options), so that `tsc` rejects a field Grafana
 * does not know or a value it does not accept.
 */
import {
  BigValueColorMode, BigValueGraphMode, BigValueJustifyMode, BigValueTextMode, FieldColorModeId, GraphDrawStyle, GraphGradientMode,
  LegendDisplayMode, LineInterpolation, MappingType, PercentChangeColorMode, SortOrder, StackingMode, ThresholdsMode,
  TableCellDisplayMode, TableCellHeight, TooltipDisplayMode, VariableHide, VariableRefresh, VariableSort, VisibilityMode, VizOrientation,
  type AnnotationQuery, type Dashboard, type DataSourceRef, type FieldConfigSource, type Panel, type RowPanel, type ValueMapping, type VariableModel,
} from '@grafana/schema';
import { ALL, oneOf } from './sql.ts';
import { PROM_ALL } from './promql.ts';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type { FieldConfig as TableFieldConfig, Options as TableOptions } from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type { FieldConfig as TimeSeriesFieldConfig, Options as TimeSeriesOptions } from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';
import type { FieldConfig as StateTimelineFieldConfig, Options as StateTimelineOptions } from '@grafana/schema/dist/esm/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen';

/** Uid of the provisioned PostgreSQL data source (dashboards/provisioning/datasources/sluice.yaml). */
export const DATASOURCE_UID = 'sluice-postgres';
/** Plugin id of Grafana's PostgreSQL data source. */
export const DATASOURCE_TYPE = 'grafana-postgresql-datasource';
/** The dashboard schema version the boards are written in. */
export const SCHEMA_VERSION = 41;

/** The data source every panel and variable of the PostgreSQL boards reads. */
export const datasource: DataSourceRef = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID };

/** Uid of the provisioned Prometheus data source: Sluice's Prometheus API (dashboards/provisioning/datasources/sluice-prometheus.yaml). */
export const PROM_DATASOURCE_UID = 'sluice-prometheus';
/** The data source every panel, variable and annotation of the Prometheus boards reads. */
export const promDatasource: DataSourceRef = { type: 'prometheus', uid: PROM_DATASOURCE_UID };

/** One SQL query of a panel. */
export interface SqlQuery {
  readonly sql: string;
  readonly format?: 'time_series' | 'table';
}

/** One PromQL query of a panel. */
export interface PromQuery {
  readonly expr: string;
  /** Grafana's legend format: `{{label}}` stands for the series' label value. */
  readonly legend?: string;
  /** Evaluated once at the end of the range (stat and table panels) instead of over it. */
  readonly instant?: boolean;
  readonly format?: 'time_series' | 'table';
}

/** A panel's query: SQL for the PostgreSQL boards, PromQL for the Prometheus boards. */
export type Query = SqlQuery | PromQuery;

/** The data source of a panel's queries; one panel reads one data source. */
function sourceOf(queries: readonly Query[]): DataSourceRef {
  const prom = queries.filter((q) => 'expr' in q).length;
  if (prom !== 0 && prom !== queries.length) throw new Error('a panel mixes SQL and PromQL queries');
  return prom === 0 ? datasource : promDatasource;
}

function targets(queries: readonly Query[]): Record<string, unknown>[] {
  return queries.map((q, i) => {
    const refId = String.fromCharCode(65 + i);
    if ('sql' in q) return { refId, datasource, editorMode: 'code', format: q.format ?? 'time_series', rawQuery: true, rawSql: q.sql };
    const instant = q.instant === true;
    return {
      refId, datasource: promDatasource, editorMode: 'code', expr: q.expr, legendFormat: q.legend ?? '__auto', range: !instant, instant,
      format: q.format ?? 'time_series',
    };
  });
}

/** What every panel takes besides its queries. */
export interface PanelBase {
  readonly title: string;
  readonly description: string;
  /** Grid columns (of 24) and rows. */
  readonly w: number;
  readonly h: number;
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
  /** Value → text mappings (e.g. status codes). */
  readonly mappings?: readonly ValueMapping[];
  /** Threshold steps after the base (green). */
  readonly thresholds?: readonly { readonly value: number; readonly color: string }[];
}

/** A panel before it is placed. */
export interface Unplaced {
  readonly w: number;
  readonly h: number;
  readonly panel: Panel;
}

function fieldDefaults<T extends object>(base: PanelBase, custom: T, colorMode: FieldColorModeId = FieldColorModeId.PaletteClassic): FieldConfigSource<T> {
  return {
    defaults: {
      custom: custom as T & Record<string, unknown>,
      color: { mode: colorMode },
      ...(base.unit === undefined ? {} : { unit: base.unit }),
      ...(base.min === undefined ? {} : { min: base.min }),
      ...(base.max === undefined ? {} : { max: base.max }),
      ...(base.decimals === undefined ? {} : { decimals: base.decimals }),
      mappings: [...(base.mappings ?? [])],
      thresholds: { mode: ThresholdsMode.Absolute, steps: [{ color: 'green', value: null }, ...(base.thresholds ?? []).map((t) => ({ color: t.color, value: t.value }))] },
    },
    overrides: [],
  };
}

/** A time series panel. */
export function timeseries(base: PanelBase & { readonly stack?: boolean; readonly bars?: boolean }, ...queries: Query[]): Unplaced {
  const custom: TimeSeriesFieldConfig = {
    drawStyle: base.bars === true ? GraphDrawStyle.Bars : GraphDrawStyle.Line,
    lineInterpolation: LineInterpolation.Linear,
    lineWidth: 1,
    fillOpacity: base.stack === true || base.bars === true ? 40 : 10,
    gradientMode: GraphGradientMode.None,
    showPoints: VisibilityMode.Never,
    spanNulls: false,
    stacking: { mode: base.stack === true ? StackingMode.Normal : StackingMode.None, group: 'A' },
  };
  const options: TimeSeriesOptions = {
    legend: { showLegend: true, displayMode: LegendDisplayMode.Table, placement: 'bottom', calcs: ['mean', 'max', 'lastNotNull'] },
    tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.Descending },
  };
  const panel: Panel<TimeSeriesOptions, TimeSeriesFieldConfig> = {
    type: 'timeseries', title: base.title, description: base.description, datasource: sourceOf(queries), targets: targets(queries),
    fieldConfig: fieldDefaults(base, custom), options: { ...options },
  };
  return { w: base.w, h: base.h, panel: panel as Panel };
}

/** A stat panel showing the last value of each row or series. */
export function stat(base: PanelBase, ...queries: Query[]): Unplaced {
  const options: StatOptions = {
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    orientation: VizOrientation.Auto,
    colorMode: BigValueColorMode.Value,
    graphMode: BigValueGraphMode.None,
    justifyMode: BigValueJustifyMode.Auto,
    textMode: BigValueTextMode.Auto,
    percentChangeColorMode: PercentChangeColorMode.Standard,
    showPercentChange: false,
    wideLayout: true,
  };
  const panel: Panel<StatOptions> = {
    type: 'stat', title: base.title, description: base.description, datasource: sourceOf(queries), targets: targets(queries.map((q) => ('expr' in q ? { ...q, instant: true } : q))),
    fieldConfig: fieldDefaults(base, {}, FieldColorModeId.Thresholds), options: { ...options },
  };
  return { w: base.w, h: base.h, panel: panel as Panel };
}

/** A column of a Prometheus table: the field the queries give (a label, or `Value #A` of query A), shown as `name`. */
export interface Column {
  readonly field: string;
  readonly name: string;
  readonly unit?: string;
  readonly mappings?: readonly ValueMapping[];
}

/**
 * A table panel of table-format queries. PromQL queries run instant, one frame each, merged into
 * one row per label set; `columns` names, orders and formats what is shown (Time left out).
 */
export function table(base: PanelBase & { readonly sortBy?: string; readonly desc?: boolean; readonly columns?: readonly Column[] }, ...queries: Query[]): Unplaced {
  const options: TableOptions = {
    frameIndex: 0, showHeader: true, cellHeight: TableCellHeight.Sm,
    ...(base.sortBy === undefined ? {} : { sortBy: [{ displayName: base.sortBy, desc: base.desc ?? true }] }),
  };
  const custom: TableFieldConfig = { align: 'auto', cellOptions: { type: TableCellDisplayMode.Auto }, inspect: false };
  const fieldConfig = fieldDefaults(base, custom, FieldColorModeId.Thresholds);
  const columns = base.columns ?? [];
  const panel: Panel<TableOptions, TableFieldConfig> = {
    type: 'table', title: base.title, description: base.description, datasource: sourceOf(queries),
    targets: targets(queries.map((q) => ('expr' in q ? { ...q, instant: true, format: 'table' as const } : { ...q, format: 'table' as const }))),
    fieldConfig: {
      ...fieldConfig,
      overrides: columns.filter((c) => c.unit !== undefined || c.mappings !== undefined).map((c) => ({
        matcher: { id: 'byName', options: c.name },
        properties: [...(c.unit === undefined ? [] : [{ id: 'unit', value: c.unit }]), ...(c.mappings === undefined ? [] : [{ id: 'mappings', value: [...c.mappings] }])],
      })),
    },
    options: { ...options },
    ...(columns.length === 0 ? {} : {
      transformations: [
        ...(queries.length > 1 ? [{ id: 'merge', options: {} }] : []),
        {
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            indexByName: Object.fromEntries(columns.map((c, i) => [c.field, i])),
            renameByName: Object.fromEntries(columns.filter((c) => c.field !== c.name).map((c) => [c.field, c.name])),
          },
        },
      ],
    }),
  };
  return { w: base.w, h: base.h, panel: panel as unknown as Panel };
}

/** A state timeline: one row per series, coloured by its (mapped) value. */
export function stateTimeline(base: PanelBase, ...queries: Query[]): Unplaced {
  const custom: StateTimelineFieldConfig = { fillOpacity: 80, lineWidth: 0 };
  const options: StateTimelineOptions = {
    rowHeight: 0.9, showValue: VisibilityMode.Auto, mergeValues: true,
    legend: { showLegend: true, displayMode: LegendDisplayMode.List, placement: 'bottom', calcs: [] },
    tooltip: { mode: TooltipDisplayMode.Single, sort: SortOrder.None },
  };
  const panel: Panel<StateTimelineOptions, StateTimelineFieldConfig> = {
    type: 'state-timeline', title: base.title, description: base.description, datasource: sourceOf(queries), targets: targets(queries),
    fieldConfig: fieldDefaults(base, custom, FieldColorModeId.Thresholds), options: { ...options },
  };
  return { w: base.w, h: base.h, panel: panel as Panel };
}

/** Value mappings of numeric codes to names and colours. */
export function codes(entries: readonly (readonly [number, string, string])[]): ValueMapping[] {
  const options: Record<string, { text: string; color: string; index: number }> = {};
  entries.forEach(([value, text, color], index) => { options[String(value)] = { text, color, index }; });
  return [{ type: MappingType.ValueToText, options }];
}

/** A collapsible row header. */
export function row(title: string): Unplaced {
  const panel: RowPanel = { type: 'row', title, collapsed: false, panels: [], id: 0, gridPos: { x: 0, y: 0, w: 24, h: 1 } };
  return { w: 24, h: 1, panel: panel as unknown as Panel };
}

/** Places panels left to right, wrapping at 24 columns, and numbers them. */
function place(items: readonly Unplaced[]): (Panel | RowPanel)[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return items.map((item, i) => {
    if (item.panel.type === 'row' || x + item.w > 24) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    const placed = { ...item.panel, id: i + 1, gridPos: { x, y, w: item.w, h: item.h } };
    x += item.w;
    rowHeight = Math.max(rowHeight, item.h);
    if (item.panel.type === 'row') {
      y += 1;
      rowHeight = 0;
      x = 0;
    }
    return placed;
  });
}

/** A query variable over the store: multi-value, with an All that queries test with `oneOf` (sql.ts). */
export function variable(name: string, label: string, query: string, description: string): VariableModel {
  return {
    type: 'query', name, label, description, datasource, query,
    refresh: VariableRefresh.onTimeRangeChanged, sort: VariableSort.alphabeticalAsc, multi: true, includeAll: true, allValue: ALL,
    current: { selected: true, text: ['All'], value: ['$__all'] }, options: [], hide: VariableHide.dontHide,
  };
}

/**
 * A Prometheus query variable (`label_values(selector, label)`): multi-value, Grafana writing the
 * picked values as a regex alternation; All is the regex `allValue` (promql.ts), not every value listed.
 */
export function promVariable(name: string, label: string, query: string, description: string, allValue: string = PROM_ALL): VariableModel {
  return {
    type: 'query', name, label, description, datasource: promDatasource, query,
    refresh: VariableRefresh.onTimeRangeChanged, sort: VariableSort.alphabeticalAsc, multi: true, includeAll: true, allValue,
    current: { selected: true, text: ['All'], value: ['$__all'] }, options: [], hide: VariableHide.dontHide,
  };
}

/** What a board is made of. */
export interface Board {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  /** The first tag names the board's set: the board links to the boards sharing it. */
  readonly tags: readonly string[];
  readonly variables: readonly VariableModel[];
  readonly panels: readonly Unplaced[];
  /** Annotations besides Grafana's own; default the cluster events of the store. */
  readonly annotations?: readonly AnnotationQuery[];
  /** Default range, e.g. `now-6h`. */
  readonly from?: string;
}

/** Grafana's own annotations (alerts and annotations made in Grafana), on every board. */
const BUILT_IN: AnnotationQuery = {
  builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts',
  type: 'dashboard',
};

/** The cluster events (broker down/up, leader moves, quota changes) from the store. */
const CLUSTER_EVENTS: AnnotationQuery = {
  name: 'Cluster events', datasource, enable: true, iconColor: 'orange',
  target: {
    refId: 'Anno', datasource, editorMode: 'code', format: 'table', rawQuery: true,
    rawSql: `SELECT ts AS "time", kind || ': ' || subject AS text, kind AS tags FROM events WHERE $__timeFilter(ts) AND ${oneOf('cluster', 'cluster')} ORDER BY ts`,
  } as AnnotationQuery['target'],
};

/**
 * An annotation of the Prometheus data source: a region wherever a series of `expr` has a
 * positive value, evaluated every `step`, titled by `title` (`{{label}}` templates) and tagged
 * with the values of `tagKeys`. The title, text and tag keys sit beside the target, where
 * Grafana's Prometheus annotation support reads them.
 */
export function promAnnotation(name: string, expr: string, title: string, tagKeys: readonly string[], step: string): AnnotationQuery {
  const annotation = {
    name, datasource: promDatasource, enable: true, iconColor: 'red',
    target: { refId: 'Anno', datasource: promDatasource, editorMode: 'code', expr, interval: step, range: true, instant: false } as AnnotationQuery['target'],
    titleFormat: title, textFormat: '', tagKeys: tagKeys.join(','), useValueForTime: false,
  };
  return annotation;
}

/** The dashboard JSON of a board. */
export function dashboard(board: Board): Dashboard {
  const set = board.tags[0] ?? 'sluice';
  return {
    uid: board.uid, title: board.title, description: board.description, tags: [...board.tags],
    editable: true, graphTooltip: 1, schemaVersion: SCHEMA_VERSION, version: 1, refresh: '30s', timezone: 'utc', fiscalYearStartMonth: 0, liveNow: false,
    time: { from: board.from ?? 'now-6h', to: 'now' },
    timepicker: {},
    links: [{ title: 'Sluice', type: 'dashboards', tags: [set], asDropdown: true, includeVars: true, keepTime: true, icon: 'external link', targetBlank: false, tooltip: '', url: '' }],
    annotations: { list: [BUILT_IN, ...(board.annotations ?? [CLUSTER_EVENTS])] },
    templating: { list: [...board.variables] },
    panels: place(board.panels),
  };
}
