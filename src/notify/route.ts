/**
 * The routing tree, pure: which routes an alert goes to, and which aggregation group it joins
 * there. An alert descends depth-first and stops at the first matching child unless that child
 * sets `continue`; a route none of whose children match takes the alert itself. Children inherit
 * the receiver, `group_by` and timings they leave out.
 * https://prometheus.io/docs/alerting/latest/configuration/#route
 */
import { ROUTE_DEFAULTS, type RouteConfig } from './config.ts';
import { formatLabels, sortLabels } from './labels.ts';
import { compile, formatMatcher, matchesAll, type LabelMatcher } from './matchers.ts';
import type { Labels } from './types.ts';

/** One route with everything inherited filled in. */
export interface Route {
  /**
   * Names the route in group keys as Alertmanager does: the sorted matchers of it and its
   * ancestors, `{}/{a="1",b=~"x"}`. Siblings with equal matchers share a key.
   */
  readonly key: string;
  /** Unique in the tree: the key with each route's position, `{}/0{a="1"}`. */
  readonly id: string;
  readonly receiver: string;
  readonly matchers: readonly LabelMatcher[];
  /** Label names to group by, or 'all' for `group_by: ['...']`. */
  readonly groupBy: readonly string[] | 'all';
  readonly groupWait: number;
  readonly groupInterval: number;
  readonly repeatInterval: number;
  readonly continue: boolean;
  readonly routes: readonly Route[];
}

/** Builds the routing tree from the configured root route (which must name a receiver). */
export function compileRoutes(root: RouteConfig): Route {
  const base = {
    receiver: root.receiver ?? '',
    groupBy: [] as readonly string[] | 'all',
    groupWait: ROUTE_DEFAULTS.group_wait,
    groupInterval: ROUTE_DEFAULTS.group_interval,
    repeatInterval: ROUTE_DEFAULTS.repeat_interval,
  };
  return build(root, base, undefined, 0);
}

type Inherited = Omit<Route, 'key' | 'id' | 'matchers' | 'continue' | 'routes'>;

function build(config: RouteConfig, parent: Inherited, up: { key: string; id: string } | undefined, index: number): Route {
  const own = `{${config.matchers.map(formatMatcher).sort().join(',')}}`;
  const key = up === undefined ? own : `${up.key}/${own}`;
  const id = up === undefined ? own : `${up.id}/${index}${own}`;
  const inherited = {
    receiver: config.receiver ?? parent.receiver,
    groupBy: config.group_by === undefined ? parent.groupBy : config.group_by.includes('...') ? ('all' as const) : [...config.group_by],
    groupWait: config.group_wait ?? parent.groupWait,
    groupInterval: config.group_interval ?? parent.groupInterval,
    repeatInterval: config.repeat_interval ?? parent.repeatInterval,
  };
  return {
    key,
    id,
    ...inherited,
    matchers: compile(config.matchers),
    continue: config.continue,
    routes: config.routes.map((child, i) => build(child, inherited, { key, id }, i)),
  };
}

/**
 * The routes `labels` goes to, in tree order: empty when `route` itself does not match, else
 * the matching descendants (first match, more with `continue`), or `route` when none match.
 */
export function matchRoutes(route: Route, labels: Labels): Route[] {
  if (!matchesAll(route.matchers, labels)) return [];
  const found: Route[] = [];
  for (const child of route.routes) {
    const matched = matchRoutes(child, labels);
    found.push(...matched);
    if (matched.length > 0 && !child.continue) break;
  }
  return found.length > 0 ? found : [route];
}

/** The labels an alert is grouped by on `route`: those of `group_by` it has (all with '...'). */
export function groupLabels(route: Route, labels: Labels): Record<string, string> {
  if (route.groupBy === 'all') return sortLabels(labels);
  const picked: Record<string, string> = {};
  for (const name of route.groupBy) {
    const value = labels[name];
    if (value !== undefined && value !== '') picked[name] = value;
  }
  return sortLabels(picked);
}

/** Identifies an aggregation group: `<route key>:<group labels>`, as Alertmanager builds it. */
export function groupKey(route: Route, group: Labels): string {
  return `${route.key}:${formatLabels(group)}`;
}

/** Every route of the tree, depth-first, the root first. */
export function allRoutes(route: Route): Route[] {
  return [route, ...route.routes.flatMap(allRoutes)];
}
