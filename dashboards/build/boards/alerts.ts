/**
 * Alerts: what the rules engine fires (the ALERTS series it writes back, and its alert state) and
 * what became of the notifications (the notify outbox, migration 003: every notification is
 * written there before it is sent, then marked sent or failed).
 */
import { type Board, stat, table, timeseries } from '../panels.ts';
import * as v from '../variables.ts';
import { inVar, label, oneOf, series } from '../sql.ts';

const alerts = [inVar('cluster', 'cluster'), inVar('severity', 'severity')];
const ACTIVE = `alert_state WHERE ${oneOf(`coalesce(labels->>'cluster', '')`, 'cluster')} AND ${oneOf(`coalesce(labels->>'severity', '')`, 'severity')}`;
const OUTBOX = `notify_outbox WHERE $__timeFilter(created_at)`;

/** The alerts board. */
export const alerts_: Board = {
  uid: 'sluice-alerts',
  title: 'Sluice / Alerts',
  description: 'Alerts firing over time and by severity, the alerts active now, and the outcome of every notification (sent, failed, pending retries).',
  tags: ['sluice', 'kafka', 'alerts'],
  variables: [v.cluster, v.severity],
  panels: [
    stat({ title: 'Firing', description: 'Alerts firing now', w: 6, h: 4, thresholds: [{ value: 1, color: 'red' }] },
      { sql: `SELECT 'firing' AS metric, count(*) AS value FROM ${ACTIVE} AND state = 'firing'`, format: 'table' }),
    stat({ title: 'Pending', description: 'Alerts whose condition holds but not yet for their `for` duration', w: 6, h: 4, thresholds: [{ value: 1, color: 'orange' }] },
      { sql: `SELECT 'pending' AS metric, count(*) AS value FROM ${ACTIVE} AND state = 'pending'`, format: 'table' }),
    stat({ title: 'Notifications sent', description: 'Notifications delivered in the range', w: 6, h: 4 },
      { sql: `SELECT 'sent' AS metric, count(*) AS value FROM ${OUTBOX} AND status = 'sent'`, format: 'table' }),
    stat({ title: 'Notifications failed', description: 'Notifications given up on in the range (a 4xx answer, or retries exhausted)', w: 6, h: 4, thresholds: [{ value: 1, color: 'red' }] },
      { sql: `SELECT 'failed' AS metric, count(*) AS value FROM ${OUTBOX} AND status = 'failed'`, format: 'table' }),
    timeseries({ title: 'Firing over time', description: 'Alerts firing, by alert name (the ALERTS series the rules engine writes back)', w: 12, h: 8, unit: 'short', stack: true },
      { sql: series({ metric: 'ALERTS', where: [...alerts, `${label('alertstate')} = 'firing'`], legend: label('alertname') }) }),
    timeseries({ title: 'Firing by severity', description: 'Alerts firing, by severity label', w: 12, h: 8, unit: 'short', stack: true },
      { sql: series({ metric: 'ALERTS', where: [...alerts, `${label('alertstate')} = 'firing'`], legend: `coalesce(s.labels->>'severity', '(none)')` }) }),
    timeseries({ title: 'Pending over time', description: 'Alerts pending, by alert name', w: 12, h: 8, unit: 'short', stack: true },
      { sql: series({ metric: 'ALERTS', where: [...alerts, `${label('alertstate')} = 'pending'`], legend: label('alertname') }) }),
    timeseries({ title: 'Notification outcomes', description: 'Notifications written per interval, by integration and where they ended up: sent, failed, or still pending a retry', w: 12, h: 8, unit: 'short', bars: true, stack: true },
      { sql: `SELECT $__timeGroupAlias(created_at, $__interval), integration || ' ' || status AS metric, count(*) AS value FROM ${OUTBOX} GROUP BY 1, 2 ORDER BY 1, 2` }),
    table({ title: 'Active alerts', description: 'Alerts pending or firing now, with when they became active and fired', w: 24, h: 8, sortBy: 'active since', desc: true }, {
      sql: `SELECT rule AS alert, state, coalesce(labels->>'severity', '') AS severity, coalesce(labels->>'cluster', '') AS cluster, active_at AS "active since", fired_at AS "firing since", value,
       coalesce(annotations->>'summary', '') AS summary, labels::text AS labels
FROM ${ACTIVE} AND state IN ('pending', 'firing')
ORDER BY state, active_at DESC`,
    }),
    table({ title: 'Notifications by receiver', description: 'Per receiver and integration: how many notifications were sent, failed or are pending, attempts, and the last error', w: 24, h: 6 }, {
      sql: `SELECT receiver, integration, count(*) FILTER (WHERE status = 'sent') AS sent, count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status = 'pending') AS pending, sum(attempts) AS attempts, max(sent_at) AS "last sent",
       (array_agg(last_error ORDER BY created_at DESC) FILTER (WHERE last_error IS NOT NULL))[1] AS "last error"
FROM ${OUTBOX}
GROUP BY 1, 2 ORDER BY 1, 2`,
    }),
    table({ title: 'Failed and retried notifications', description: 'Notifications that failed or needed more than one attempt, newest first', w: 24, h: 6 }, {
      sql: `SELECT created_at AS "time", receiver, integration, group_key AS "group", status, attempts, last_error AS error
FROM ${OUTBOX} AND (status = 'failed' OR attempts > 1)
ORDER BY created_at DESC
LIMIT 100`,
    }),
  ],
};
