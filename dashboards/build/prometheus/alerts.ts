/**
 * Alerts over Sluice's Prometheus API: what the rules engine fires, from the ALERTS and
 * ALERTS_FOR_STATE series it writes as Prometheus does. What became of the notifications (the
 * notify outbox) is a table of Sluice's database, which only the PostgreSQL alerts board reads.
 */
import { type Board, stat, table, timeseries } from '../panels.ts';
import { agg, CLUSTER, orNone, sel, SEVERITY } from '../promql.ts';
import { brokerDown } from './annotations.ts';
import * as v from './variables.ts';

const alerts = [CLUSTER, SEVERITY];
const inState = (state: 'firing' | 'pending'): string => sel('ALERTS', [`alertstate="${state}"`, ...alerts]);

/** The alerts board. */
export const alerts_: Board = {
  uid: 'sluice-alerts-prom',
  title: 'Sluice / Alerts (Prometheus)',
  description: 'Alerts firing and pending over time and by severity, and the alerts active now with when they became active. Read through Sluice\'s Prometheus API.',
  tags: ['sluice-prometheus', 'kafka', 'alerts'],
  variables: [v.cluster, v.severity],
  annotations: [brokerDown],
  panels: [
    stat({ title: 'Firing', description: 'Alerts firing at the end of the range', w: 12, h: 4, thresholds: [{ value: 1, color: 'red' }] },
      { expr: `count(${inState('firing')}) or vector(0)`, legend: 'firing' }),
    stat({ title: 'Pending', description: 'Alerts whose condition holds but not yet for their `for` duration', w: 12, h: 4, thresholds: [{ value: 1, color: 'orange' }] },
      { expr: `count(${inState('pending')}) or vector(0)`, legend: 'pending' }),
    timeseries({ title: 'Firing over time', description: 'Alerts firing, by alert name (the ALERTS series the rules engine writes back)', w: 12, h: 8, unit: 'short', stack: true },
      { expr: agg('count', ['alertname'], inState('firing')), legend: '{{alertname}}' }),
    timeseries({ title: 'Firing by severity', description: 'Alerts firing, by severity label', w: 12, h: 8, unit: 'short', stack: true },
      { expr: orNone(agg('count', ['severity'], inState('firing')), 'severity'), legend: '{{severity}}' }),
    timeseries({ title: 'Pending over time', description: 'Alerts pending, by alert name', w: 24, h: 8, unit: 'short', stack: true },
      { expr: agg('count', ['alertname'], inState('pending')), legend: '{{alertname}}' }),
    table({
      title: 'Active alerts', description: 'Alerts pending or firing at the end of the range, with their labels and when they became active (ALERTS_FOR_STATE)', w: 24, h: 8, sortBy: 'active since', desc: true,
      columns: [
        { field: 'alertname', name: 'alert' }, { field: 'alertstate', name: 'state' }, { field: 'severity', name: 'severity' }, { field: 'cluster', name: 'cluster' },
        { field: 'Value', name: 'active since', unit: 'dateTimeAsIso' },
      ],
    },
    { expr: `1000 * (${sel('ALERTS_FOR_STATE', alerts)} * ignoring (alertstate) group_left (alertstate) ${sel('ALERTS', alerts)})` }),
  ],
};
