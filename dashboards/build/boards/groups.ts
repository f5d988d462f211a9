/** Consumer groups: lag in messages and seconds, Burrow-style status, the groups furthest behind. */
import { type Board, codes, stateTimeline, table, timeseries } from '../panels.ts';
import * as v from '../variables.ts';
import { inVar, label, latestCte, latestCtes, NOT_INTERNAL_TOPIC, series } from '../sql.ts';

const groups = [inVar('cluster', 'cluster'), inVar('group', 'group')];
const groupLegend = `${label('cluster')} || ' ' || ${label('group')}`;
/** LAG_STATUS_CODES of src/collect/lag/burrow.ts. */
const STATUS = codes([[0, 'NOTFOUND', 'text'], [1, 'OK', 'green'], [2, 'WARN', 'orange'], [3, 'ERR', 'red'], [4, 'STOP', 'red'], [5, 'STALL', 'purple'], [6, 'REWIND', 'blue']]);

/** The consumer groups board. */
export const groups_: Board = {
  uid: 'sluice-consumer-groups',
  title: 'Sluice / Consumer groups',
  description: 'Per consumer group: lag in messages and in seconds, Burrow-style status, members, and the groups furthest behind.',
  tags: ['sluice', 'kafka'],
  variables: [v.cluster, v.group, v.topic],
  panels: [
    timeseries({ title: 'Lag', description: 'Messages behind, summed over the group\'s partitions (kafka_consumergroup_group_sum_lag)', w: 12, h: 8, unit: 'short' },
      { sql: series({ metric: 'kafka_consumergroup_group_sum_lag', where: groups, legend: groupLegend }) }),
    timeseries({ title: 'Time lag', description: 'Seconds since the oldest unconsumed message was produced, largest over partitions (kafka_consumergroup_group_max_lag_seconds)', w: 12, h: 8, unit: 's' },
      { sql: series({ metric: 'kafka_consumergroup_group_max_lag_seconds', where: groups, legend: groupLegend, combine: 'max' }) }),
    stateTimeline({ title: 'Status', description: 'Burrow-style evaluation of each group\'s commits over its window: OK, WARN (lag growing), ERR (stopped, stalled or rewound partitions)', w: 24, h: 6, mappings: STATUS },
      { sql: series({ metric: 'sluice_consumergroup_status', where: groups, legend: groupLegend, within: 'max', combine: 'max' }) }),
    timeseries({ title: 'Lag by topic', description: 'Messages behind per group and topic (kafka_consumergroup_group_topic_sum_lag)', w: 12, h: 8, unit: 'short' },
      { sql: series({ metric: 'kafka_consumergroup_group_topic_sum_lag', where: [...groups, inVar('topic', 'topic'), NOT_INTERNAL_TOPIC], legend: `${groupLegend} || ' ' || ${label('topic')}` }) }),
    timeseries({ title: 'Members', description: 'Members of each group (DescribeGroups)', w: 12, h: 8, unit: 'short', decimals: 0 },
      { sql: series({ metric: 'sluice_consumergroup_members', where: groups, legend: groupLegend, combine: 'max' }) }),
    table({ title: 'Top laggards', description: 'The ten groups furthest behind at the end of the range, with time lag and status', w: 24, h: 8, sortBy: 'lag', desc: true }, {
      sql: `WITH ${latestCte('lag', { metric: 'kafka_consumergroup_group_sum_lag', where: groups, legend: groupLegend })},
${latestCte('seconds', { metric: 'kafka_consumergroup_group_max_lag_seconds', where: groups, legend: groupLegend, combine: 'max' })},
${latestCte('status', { metric: 'sluice_consumergroup_status', where: groups, legend: groupLegend, combine: 'max' })},
${latestCte('members', { metric: 'sluice_consumergroup_members', where: groups, legend: groupLegend, combine: 'max' })}
SELECT lag.key AS "group", lag.v AS lag, seconds.v AS "time lag (s)",
       CASE status.v::int WHEN 0 THEN 'NOTFOUND' WHEN 1 THEN 'OK' WHEN 2 THEN 'WARN' WHEN 3 THEN 'ERR' ELSE 'unknown' END AS status,
       members.v AS members
FROM lag LEFT JOIN seconds USING (key) LEFT JOIN status USING (key) LEFT JOIN members USING (key)
ORDER BY lag.v DESC, 1
LIMIT 10`,
    }),
    table({ title: 'Groups by status', description: 'How many groups are in each status now', w: 24, h: 5 }, {
      sql: `${latestCtes({ metric: 'sluice_consumergroup_status', where: groups, legend: groupLegend })}
SELECT CASE l.v::int WHEN 0 THEN 'NOTFOUND' WHEN 1 THEN 'OK' WHEN 2 THEN 'WARN' WHEN 3 THEN 'ERR' ELSE 'unknown' END AS status, count(*) AS groups
FROM l
GROUP BY 1
ORDER BY 1`,
    }),
  ],
};
