/**
 * Every board, in the order Grafana lists them, and the JSON each is written to. The JSON files
 * under dashboards/json/ are generated from these sources by `npm run gen:dashboards`: edit
 * the sources, not the JSON.
 */
import type { Dashboard } from '@grafana/schema';
import { alerts_ } from './boards/alerts.ts';
import { brokers_ } from './boards/brokers.ts';
import { clients_ } from './boards/clients.ts';
import { fleet } from './boards/fleet.ts';
import { groups_ } from './boards/groups.ts';
import { throttling } from './boards/throttling.ts';
import { topics_ } from './boards/topics.ts';
import { dashboard, type Board } from './panels.ts';

/** The boards with their file names. */
export const BOARDS: readonly { readonly file: string; readonly board: Board }[] = [
  { file: 'fleet-overview.json', board: fleet },
  { file: 'brokers-and-hosts.json', board: brokers_ },
  { file: 'topics.json', board: topics_ },
  { file: 'consumer-groups.json', board: groups_ },
  { file: 'clients-and-quotas.json', board: clients_ },
  { file: 'throttling.json', board: throttling },
  { file: 'alerts.json', board: alerts_ },
];

/** The dashboard JSON of every board, by file name. */
export function buildDashboards(): Map<string, Dashboard> {
  return new Map(BOARDS.map(({ file, board }) => [file, dashboard(board)]));
}

/** The text of a generated file: the JSON, two-space indented, with a final newline. */
export function render(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
