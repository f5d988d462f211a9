/**
 * Balance: per-broker load over time from the stored samples (bytes in and out as the balancing
 * planner counts them, produce or fetch plus replication; disk as the sum of the broker's log
 * sizes), the newest stored plan of each cluster with every broker's load before and predicted
 * after (`balance_plans.plan`, migration 010), and the current execution with its moves
 * (`balance_executions`, `balance_moves`).
 */
import { type Board, table, timeseries } from '../panels.ts';
import * as v from '../variables.ts';
import { ALL, inVar, label, oneOf, series } from '../sql.ts';

const brokers = [inVar('cluster', 'cluster'), inVar('broker', 'broker')];
const allTopics = [...brokers, `NOT s.labels ? 'topic'`];
const brokerLegend = `${label('cluster')} || ' broker ' || ${label('broker')}`;
const ACTIVE = `('running', 'paused', 'cancelling')`;

/** The newest plan of each chosen cluster made by the end of the range. */
const LATEST_PLAN = `latest AS (
  SELECT DISTINCT ON (cluster) id, cluster, created_at, created_by, mode, state, plan FROM balance_plans
  WHERE created_at <= $__timeTo()::timestamptz AND ${oneOf('cluster', 'cluster')}
  ORDER BY cluster, id DESC
)`;

/** Each chosen cluster's current execution by the end of the range: the unfinished one, else the newest. */
const CURRENT_EXECUTION = `exec AS (
  SELECT DISTINCT ON (cluster) * FROM balance_executions
  WHERE started_at <= $__timeTo()::timestamptz AND ${oneOf('cluster', 'cluster')}
  ORDER BY cluster, state IN ${ACTIVE} DESC, id DESC
)`;

/** A group's max/min ratio of one spread side as text (`∞` when a broker carries nothing: JSON has no Infinity). */
const ratioText = (side: string): string => `coalesce(to_char((sp->'${side}'->>'ratio')::numeric, 'FM999990.00'), '∞') || '×'`;

/** One resource of a plan's broker entry, before or after. */
const load = (when: 'before' | 'after', resource: string): string => `(b->'${when}'->>'${resource}')::float8`;

const PER_BROKER_COLUMNS = [
  ['bytesIn', 'bytes in', 'Bps'], ['bytesOut', 'bytes out', 'Bps'], ['disk', 'disk', 'bytes'], ['leaders', 'leaders', 'short'], ['replicas', 'replicas', 'short'],
] as const;

/** The balance board. */
export const balance: Board = {
  uid: 'sluice-balance',
  title: 'Sluice / Balance',
  description: 'Partition balancing: per-broker bytes in, bytes out and disk over time, the newest plan with every broker\'s load before and predicted after, and the current execution with its moves.',
  tags: ['sluice', 'kafka', 'balance'],
  variables: [v.cluster, v.broker],
  panels: [
    timeseries({ title: 'Bytes in per broker', description: 'Bytes/s written to each broker, produced and replicated together: what the planner counts as a broker\'s bytes in (every replica receives the partition\'s bytes)', w: 8, h: 8, unit: 'Bps' },
      { sql: series({ metric: ['kafka_server_brokertopicmetrics_bytesin_total', 'kafka_server_brokertopicmetrics_replicationbytesin_total'], where: allTopics, legend: brokerLegend, kind: 'counter' }) }),
    timeseries({ title: 'Bytes out per broker', description: 'Bytes/s read from each broker, fetched by consumers and replicated to followers together: what the planner counts as a leader\'s bytes out', w: 8, h: 8, unit: 'Bps' },
      { sql: series({ metric: ['kafka_server_brokertopicmetrics_bytesout_total', 'kafka_server_brokertopicmetrics_replicationbytesout_total'], where: allTopics, legend: brokerLegend, kind: 'counter' }) }),
    timeseries({ title: 'Disk per broker', description: 'Bytes of the partition logs on each broker (the sum of its kafka_log_log_size series)', w: 8, h: 8, unit: 'bytes' },
      { sql: series({ metric: 'kafka_log_log_size', where: brokers, legend: brokerLegend }) }),
    table({ title: 'Latest plan', description: 'The newest plan of each cluster made by the end of the range: mode, state, moves, bytes to copy, expected time at the replication throttle, and each resource group\'s max/min bytes in per broker before → predicted after', w: 24, h: 5 }, {
      sql: `WITH ${LATEST_PLAN}
SELECT latest.cluster, latest.id::float8 AS plan, latest.created_at AS created, latest.created_by AS "by", latest.mode, latest.state,
       jsonb_array_length(latest.plan->'moves')::int4 AS moves, jsonb_array_length(latest.plan->'reassignments')::int4 AS reassignments,
       (latest.plan->>'bytesMoved')::float8 AS "bytes to copy", (latest.plan->>'expectedSeconds')::float8 AS "expected s",
       (SELECT string_agg(g->>'group' || ' ' || ${ratioText('before')} || ' → ' || ${ratioText('after')}, ', ' ORDER BY g->>'group')
        FROM jsonb_array_elements(latest.plan->'groups') g, jsonb_array_elements(g->'spreads') sp WHERE sp->>'resource' = 'bytesIn') AS "max/min bytes in",
       jsonb_array_length(latest.plan->'unmet')::int4 AS unmet
FROM latest
ORDER BY 1`,
    }),
    table({ title: 'Per-broker load: before and predicted after', description: 'Every broker in the newest plan of its cluster: its resource group, and its bytes in, bytes out, disk, leaders and replicas before the plan and predicted after it', w: 24, h: 8, sortBy: 'broker', desc: false,
      columns: [
        { field: 'cluster', name: 'cluster' }, { field: 'plan', name: 'plan' }, { field: 'broker', name: 'broker' }, { field: 'group', name: 'group' }, { field: 'drained', name: 'drained' },
        ...PER_BROKER_COLUMNS.flatMap(([, name, unit]) => [{ field: `${name} before`, name: `${name} before`, unit }, { field: `${name} after`, name: `${name} after`, unit }]),
      ] }, {
      sql: `WITH ${LATEST_PLAN}
SELECT latest.cluster, latest.id::float8 AS plan, (b->>'id')::int4 AS broker, b->>'group' AS "group", CASE WHEN (b->>'drained')::boolean THEN 'drained' ELSE '' END AS drained,
       ${PER_BROKER_COLUMNS.map(([key, name]) => `${load('before', key)} AS "${name} before", ${load('after', key)} AS "${name} after"`).join(',\n       ')}
FROM latest, jsonb_array_elements(latest.plan->'brokers') b
WHERE ${oneOf(`b->>'id'`, 'broker')}
ORDER BY 1, 3`,
    }),
    table({ title: 'Current execution', description: 'Each cluster\'s unfinished execution (else its newest): state, what a person asked of it, moves and bytes done, the replication throttle (the override, else the lowest sized rate), and what blocks it', w: 24, h: 5 }, {
      sql: `WITH ${CURRENT_EXECUTION}
SELECT exec.cluster, exec.id::float8 AS execution, exec.plan_id::float8 AS plan, exec.state, coalesce(exec.requested, '') AS requested,
       exec.started_at AS started, exec.updated_at AS updated, exec.finished_at AS finished,
       (SELECT count(*) FILTER (WHERE m.state = 'done') FROM balance_moves m WHERE m.execution_id = exec.id)::int4 AS "moves done",
       (SELECT count(*) FROM balance_moves m WHERE m.execution_id = exec.id)::int4 AS moves,
       (SELECT coalesce(sum(m.bytes) FILTER (WHERE m.state = 'done'), 0) FROM balance_moves m WHERE m.execution_id = exec.id)::float8 AS "bytes done",
       (SELECT coalesce(sum(m.bytes), 0) FROM balance_moves m WHERE m.execution_id = exec.id)::float8 AS bytes,
       coalesce(exec.throttle_override, (SELECT min(least((r->>'leaderRate')::float8, (r->>'followerRate')::float8)) FROM jsonb_array_elements(exec.sizing->'brokers') r)) AS "throttle B/s",
       coalesce(exec.blocked, '') AS blocked, coalesce(exec.error, '') AS error
FROM exec
ORDER BY 1`,
    }),
    table({ title: 'Moves of the current execution', description: 'Each reassignment of the current execution with its state (pending, in-flight, done, cancelled, failed): replicas before → after, bytes copied, when it started and finished; the broker variable keeps the moves touching the chosen brokers', w: 24, h: 9, sortBy: 'seq', desc: false }, {
      sql: `WITH ${CURRENT_EXECUTION}
SELECT exec.cluster, exec.id::float8 AS execution, m.seq, m.topic, m.partition,
       translate(m.replicas_before::text, ' ', '') || ' → ' || translate(m.replicas_after::text, ' ', '') AS replicas,
       m.bytes, m.state, m.started_at AS started, m.finished_at AS finished, coalesce(m.error, '') AS error
FROM exec JOIN balance_moves m ON m.execution_id = exec.id
WHERE (${ALL} IN ($broker) OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(m.replicas_before || m.replicas_after) r WHERE r IN ($broker)))
ORDER BY 1, 2, 3`,
    }),
  ],
};
