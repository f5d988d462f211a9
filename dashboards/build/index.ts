/**
 * Every board, in the order Grafana lists them, and the JSON each is written to. The JSON files
 * under dashboards/json/ (PostgreSQL data source) and dashboards/json-prometheus/ (Sluice's
 * Prometheus API) are generated from these sources by `npm run gen:dashboards`: edit the
 * sources, not the JSON.
 */
import type { Dashboard } from '@grafana/schema';
import { alerts_ } from './boards/alerts.ts';
import { balance } from './boards/balance.ts';
import { brokers_ } from './boards/brokers.ts';
import { clients_ } from './boards/clients.ts';
import { fleet } from './boards/fleet.ts';
import { groups_ } from './boards/groups.ts';
import { throttling } from './boards/throttling.ts';
import { topics_ } from './boards/topics.ts';
import { dashboard, type Board } from './panels.ts';
import * as prom from './prometheus/index.ts';

/** A board with the file it is written to. */
export interface BoardFile {
  readonly file: string;
  readonly board: Board;
}

/** The boards reading the PostgreSQL store, with their file names. */
export const BOARDS: readonly BoardFile[] = [
  { file: 'fleet-overview.json', board: fleet },
  { file: 'brokers-and-hosts.json', board: brokers_ },
  { file: 'topics.json', board: topics_ },
  { file: 'consumer-groups.json', board: groups_ },
  { file: 'clients-and-quotas.json', board: clients_ },
  { file: 'throttling.json', board: throttling },
  { file: 'balance.json', board: balance },
  { file: 'alerts.json', board: alerts_ },
];

/**
 * The boards reading Sluice's Prometheus API, with their file names: the same boards but
 * Throttling, whose every panel but one (broker utilization, on the brokers board) reads the
 * quota loop's decisions in the database, and Balance, whose plans and executions are tables too.
 */
export const PROM_BOARDS: readonly BoardFile[] = [
  { file: 'fleet-overview.json', board: prom.fleet },
  { file: 'brokers-and-hosts.json', board: prom.brokers_ },
  { file: 'topics.json', board: prom.topics_ },
  { file: 'consumer-groups.json', board: prom.groups_ },
  { file: 'clients-and-quotas.json', board: prom.clients_ },
  { file: 'alerts.json', board: prom.alerts_ },
];

/** Each set of boards and the folder under dashboards/ its JSON is written to (Grafana loads each folder as one provider). */
export const BOARD_SETS: readonly { readonly dir: string; readonly boards: readonly BoardFile[] }[] = [
  { dir: 'json', boards: BOARDS },
  { dir: 'json-prometheus', boards: PROM_BOARDS },
];

/** The dashboard JSON of every board of a set (default the PostgreSQL boards), by file name. */
export function buildDashboards(boards: readonly BoardFile[] = BOARDS): Map<string, Dashboard> {
  return new Map(boards.map(({ file, board }) => [file, dashboard(board)]));
}

/** The text of a generated file: the JSON, two-space indented, with a final newline. */
export function render(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
