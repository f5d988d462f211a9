/** Clients and quotas: each user / client-id's byte rates against its quotas, throttle time, utilization, traffic by business group. */
import { type Board, table, timeseries } from '../panels.ts';
import * as v from '../variables.ts';
import { bucketed, inVar, label, latestCte, oneOf, series } from '../sql.ts';

const clients = [inVar('cluster', 'cluster'), inVar('user', 'user'), inVar('client_id', 'client_id')];
/** `user / client-id` as Kafka names the quota entity; (none) for clients without a user. */
export const clientLegend = `coalesce(s.labels->>'user', '(none)') || ' / ' || ${label('client_id')}`;
/** The throttle loop's entity key (src/throttle/actuator.ts entityKey) of a client series. */
export const entityKeyOf = `CASE WHEN ${label('user')} IN ('', 'ANONYMOUS') THEN 'client-id=' || ${label('client_id')} ELSE 'user=' || ${label('user')} || ',client-id=' || ${label('client_id')} END`;

/** Bytes/s by business group: each client's rate, grouped by the group its latest quota decision named. */
function byBusinessGroup(metric: string): string {
  return `${bucketed({ metric, where: clients, legend: `${label('cluster')} || '|' || ${entityKeyOf}` })},
grp AS (
  SELECT DISTINCT ON (cluster, entity_key) cluster || '|' || entity_key AS key, evidence->>'group' AS name
  FROM quota_decisions WHERE ${oneOf('cluster', 'cluster')} AND evidence ? 'group'
  ORDER BY cluster, entity_key, ts DESC
)
SELECT per.bucket AS "time", coalesce(grp.name, '(no decision yet)') AS metric, sum(per.v) AS value
FROM per JOIN sel ON sel.id = per.series_id LEFT JOIN grp ON grp.key = sel.legend
GROUP BY 1, 2
ORDER BY 1, 2`;
}

/** The clients and quotas board. */
export const clients_: Board = {
  uid: 'sluice-clients',
  title: 'Sluice / Clients and quotas',
  description: 'Per user and client-id: produce and fetch byte rates against their quotas, throttle time, quota utilization on the busiest broker, and traffic by business group.',
  tags: ['sluice', 'kafka', 'quotas'],
  variables: [v.cluster, v.user, v.clientId],
  panels: [
    timeseries({ title: 'Produce rate vs quota', description: 'Bytes/s each entity produces over all brokers, and its producer_byte_rate quota (enforced on each broker)', w: 12, h: 8, unit: 'Bps' },
      { sql: series({ metric: 'sluice_client_produce_byte_rate', where: clients, legend: clientLegend }) },
      { sql: series({ metric: 'sluice_client_quota', where: [...clients, `${label('quota')} = 'producer_byte_rate'`], legend: `${clientLegend} || ' quota'`, combine: 'max' }) }),
    timeseries({ title: 'Fetch rate vs quota', description: 'Bytes/s each entity fetches over all brokers, and its consumer_byte_rate quota', w: 12, h: 8, unit: 'Bps' },
      { sql: series({ metric: 'sluice_client_fetch_byte_rate', where: clients, legend: clientLegend }) },
      { sql: series({ metric: 'sluice_client_quota', where: [...clients, `${label('quota')} = 'consumer_byte_rate'`], legend: `${clientLegend} || ' quota'`, combine: 'max' }) }),
    timeseries({ title: 'Throttle time', description: 'Throttle time per request, the largest over brokers, by request kind', w: 12, h: 8, unit: 'ms' },
      { sql: series({ metric: 'sluice_client_produce_throttle_time_ms', where: clients, legend: `${clientLegend} || ' produce'`, combine: 'max' }) },
      { sql: series({ metric: 'sluice_client_fetch_throttle_time_ms', where: clients, legend: `${clientLegend} || ' fetch'`, combine: 'max' }) },
      { sql: series({ metric: 'sluice_client_request_throttle_time_ms', where: clients, legend: `${clientLegend} || ' request'`, combine: 'max' }) }),
    timeseries({ title: 'Quota utilization', description: 'Rate over the quota that applies, on the busiest broker: 1 means Kafka holds the client at its quota', w: 12, h: 8, unit: 'percentunit', min: 0, thresholds: [{ value: 0.9, color: 'orange' }, { value: 1, color: 'red' }] },
      { sql: series({ metric: 'sluice_client_quota_utilization', where: clients, legend: `${clientLegend} || ' ' || ${label('quota')}`, combine: 'max' }) }),
    timeseries({ title: 'Produce by business group', description: 'Bytes/s produced per business group of the throttle config, as the quota loop last classified each entity', w: 12, h: 8, unit: 'Bps', stack: true },
      { sql: byBusinessGroup('sluice_client_produce_byte_rate') }),
    timeseries({ title: 'Fetch by business group', description: 'Bytes/s fetched per business group, as the quota loop last classified each entity', w: 12, h: 8, unit: 'Bps', stack: true },
      { sql: byBusinessGroup('sluice_client_fetch_byte_rate') }),
    table({ title: 'Clients', description: 'Latest rates, quotas and throttling of each entity', w: 24, h: 8, sortBy: 'produce B/s', desc: true }, {
      sql: `WITH ${latestCte('produce_rate', { metric: 'sluice_client_produce_byte_rate', where: clients, legend: clientLegend })},
${latestCte('fetch_rate', { metric: 'sluice_client_fetch_byte_rate', where: clients, legend: clientLegend })},
${latestCte('pquota', { metric: 'sluice_client_quota', where: [...clients, `${label('quota')} = 'producer_byte_rate'`], legend: clientLegend, combine: 'max' })},
${latestCte('cquota', { metric: 'sluice_client_quota', where: [...clients, `${label('quota')} = 'consumer_byte_rate'`], legend: clientLegend, combine: 'max' })},
${latestCte('util', { metric: 'sluice_client_quota_utilization', where: clients, legend: clientLegend, combine: 'max' })},
${latestCte('throttle', { metric: 'sluice_client_produce_throttle_time_ms', where: clients, legend: clientLegend, combine: 'max' })},
keys AS (SELECT key FROM produce_rate UNION SELECT key FROM fetch_rate)
SELECT keys.key AS "user / client-id", produce_rate.v AS "produce B/s", pquota.v AS "producer quota", fetch_rate.v AS "fetch B/s", cquota.v AS "consumer quota",
       util.v AS "utilization (max)", throttle.v AS "produce throttle ms"
FROM keys LEFT JOIN produce_rate USING (key) LEFT JOIN fetch_rate USING (key) LEFT JOIN pquota USING (key) LEFT JOIN cquota USING (key) LEFT JOIN util USING (key) LEFT JOIN throttle USING (key)
ORDER BY 1`,
    }),
  ],
};
