/**
 * Throttling: what the quota loop diagnosed, the load model and capacity it fitted per broker,
 * and what it decided, from its audit trail (`quota_decisions`, migration 004: every decision with
 * its evidence: diagnosis, per-broker models, capacity, demand, allocation, guardrails).
 */
import { type Board, codes, stateTimeline, table, timeseries } from '../panels.ts';
import * as v from '../variables.ts';
import { inVar, label, latestCte, oneOf, utilization } from '../sql.ts';

const DECISIONS = `quota_decisions WHERE $__timeFilter(ts) AND ${oneOf('cluster', 'cluster')}`;
/** A decision's entity component of one type ('' when the entity has none). */
const component = (type: 'user' | 'client-id'): string =>
  `coalesce((SELECT c->>'entityName' FROM jsonb_array_elements(entity) c WHERE c->>'entityType' = '${type}'), '')`;
/** Decisions about the chosen users and client-ids. */
const ENTITIES = `${oneOf(component('user'), 'user')} AND ${oneOf(component('client-id'), 'client_id')}`;
const STATE_CODE = `CASE state WHEN 'headroom' THEN 0 WHEN 'steady' THEN 1 WHEN 'pressured' THEN 2 WHEN 'overloaded' THEN 3 END`;
const brokers = [inVar('cluster', 'cluster'), inVar('broker', 'broker')];
const brokerLegend = `${label('cluster')} || ' broker ' || ${label('broker')}`;
/** The newest decision carrying models of each cluster in the range. */
const LAST_MODELS = `last AS (
  SELECT DISTINCT ON (cluster) cluster, ts, evidence FROM ${DECISIONS} AND evidence ? 'models'
  ORDER BY cluster, ts DESC
)`;

/** The throttling board. */
export const throttling: Board = {
  uid: 'sluice-throttling',
  title: 'Sluice / Throttling',
  description: 'The quota loop: diagnosed state, per-broker load model fit and capacity, quota decisions over time (for the chosen users and client-ids), and what was recommended against what was applied.',
  tags: ['sluice', 'kafka', 'quotas'],
  variables: [v.cluster, v.broker, v.user, v.clientId],
  panels: [
    stateTimeline({ title: 'Diagnosis', description: 'Cluster state the loop diagnosed in the rounds that produced decisions: headroom, steady, pressured, overloaded', w: 24, h: 5,
      mappings: codes([[0, 'headroom', 'green'], [1, 'steady', 'blue'], [2, 'pressured', 'orange'], [3, 'overloaded', 'red']]) },
    { sql: `SELECT $__timeGroupAlias(ts, $__interval), cluster AS metric, max(${STATE_CODE}) AS value FROM ${DECISIONS} GROUP BY 1, 2 ORDER BY 1, 2` }),
    table({ title: 'Latest diagnosis', description: 'The newest diagnosis of each cluster with the signals behind it', w: 24, h: 5 }, {
      sql: `SELECT DISTINCT ON (cluster) cluster, ts AS "time", state, evidence->'diagnosis'->>'observed' AS observed, evidence->'diagnosis'->>'reason' AS reason
FROM ${DECISIONS} AND evidence ? 'diagnosis'
ORDER BY cluster, ts DESC`,
    }),
    table({ title: 'Load model and capacity per broker', description: 'Per broker, the regression of utilization on bytes in, bytes out and requests of the newest decision (fit or fixed-weight fallback, R², residual), and the broker\'s network capacity', w: 24, h: 7, sortBy: 'broker', desc: false }, {
      sql: `WITH ${LAST_MODELS},
models AS (
  SELECT last.cluster, m.key AS broker, m.value AS model FROM last, jsonb_each(last.evidence->'models') m
  WHERE last.cluster || ' broker ' || m.key IN (SELECT ${brokerLegend} FROM series s JOIN metric mm ON mm.id = s.metric_id WHERE mm.name = 'sluice_cluster_broker_up' AND ${brokers.join(' AND ')})
),
${latestCte('cap_in', { metric: 'sluice_broker_network_capacity_bytes_per_second', where: [...brokers, `${label('direction')} = 'in'`], legend: brokerLegend, combine: 'max' })},
${latestCte('cap_out', { metric: 'sluice_broker_network_capacity_bytes_per_second', where: [...brokers, `${label('direction')} = 'out'`], legend: brokerLegend, combine: 'max' })}
SELECT models.cluster, models.broker, models.model->>'kind' AS model, (models.model->>'r2')::float8 AS "R²",
       (models.model->>'residualStd')::float8 AS "residual std", (models.model->>'samples')::int AS samples,
       (models.model->'coefficients')::text AS coefficients, cap_in.v AS "capacity in B/s", cap_out.v AS "capacity out B/s", models.model->>'reason' AS note
FROM models
LEFT JOIN cap_in ON cap_in.key = models.cluster || ' broker ' || models.broker
LEFT JOIN cap_out ON cap_out.key = models.cluster || ' broker ' || models.broker
ORDER BY 1, 2`,
    }),
    timeseries({ title: 'Model R² per broker', description: 'Fit quality of each broker\'s load model over time; below guardrails.minR2 the loop changes nothing', w: 12, h: 8, unit: 'short', min: 0, max: 1 },
      { sql: `SELECT $__timeGroupAlias(q.ts, $__interval), q.cluster || ' broker ' || m.key AS metric, avg((m.value->>'r2')::float8) AS value
FROM quota_decisions q, jsonb_each(q.evidence->'models') m
WHERE $__timeFilter(q.ts) AND ${oneOf('q.cluster', 'cluster')} AND m.value->>'r2' IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2` }),
    timeseries({ title: 'Client capacity at target', description: 'Client traffic one broker can take at the target utilization, by direction: what the allocation shares out', w: 12, h: 8, unit: 'Bps' },
      { sql: `SELECT $__timeGroupAlias(ts, $__interval), cluster || ' ' || (evidence->>'direction') AS metric, avg((evidence->>'capacity')::float8) AS value
FROM ${DECISIONS} AND evidence ? 'capacity' AND evidence ? 'direction'
GROUP BY 1, 2 ORDER BY 1, 2` }),
    timeseries({ title: 'Broker utilization', description: 'The signal the diagnosis compares with the target, per broker: the largest of handler busy, network in and network out over capacity', w: 12, h: 8, unit: 'percentunit', min: 0, thresholds: [{ value: 0.7, color: 'orange' }, { value: 0.9, color: 'red' }] },
      { sql: utilization(brokers, brokerLegend) }),
    timeseries({ title: 'Decisions', description: 'Quota decisions per interval by outcome: pending (recommended), applied, skipped by a guardrail, failed, expired', w: 12, h: 8, unit: 'short', bars: true, stack: true },
      { sql: `SELECT $__timeGroupAlias(ts, $__interval), status AS metric, count(*) AS value FROM ${DECISIONS} AND ${ENTITIES} GROUP BY 1, 2 ORDER BY 1, 2` }),
    timeseries({ title: 'Recommended vs applied', description: 'Per entity and quota: the value the allocation proposed, and the value applied (auto mode, or applied through the API)', w: 24, h: 8, unit: 'Bps' },
      { sql: `SELECT $__timeGroupAlias(ts, $__interval), entity_key || ' ' || quota_key || ' recommended' AS metric, avg(proposed) AS value
FROM ${DECISIONS} AND ${ENTITIES} AND proposed IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2` },
      { sql: `SELECT $__timeGroupAlias(t, $__interval), metric, avg(new_value) AS value
FROM (SELECT coalesce(applied_at, ts) AS t, entity_key || ' ' || quota_key || ' applied' AS metric, new_value FROM quota_decisions
      WHERE ${oneOf('cluster', 'cluster')} AND ${ENTITIES} AND status = 'applied' AND new_value IS NOT NULL) applied
WHERE $__timeFilter(t)
GROUP BY 1, 2 ORDER BY 1, 2` }),
    table({ title: 'Decisions', description: 'The newest 100 decisions in the range with their reason', w: 24, h: 9 }, {
      sql: `SELECT ts AS "time", cluster, entity_key AS entity, quota_key AS quota, state, status, old_value AS "old", proposed, new_value AS "new",
       applied_by AS "applied by", CASE WHEN rolled_back_by IS NULL THEN '' ELSE 'rolled back by ' || rolled_back_by END AS rollback, reason
FROM ${DECISIONS} AND ${ENTITIES}
ORDER BY ts DESC, id DESC
LIMIT 100`,
    }),
  ],
};
