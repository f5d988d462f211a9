/** Consumer groups over Sluice's Prometheus API: lag in messages and seconds, Burrow-style status, the groups furthest behind. */
import { type Board, codes, stateTimeline, table, timeseries } from '../panels.ts';
import { agg, CLUSTER, GROUP, sel, TOPICS } from '../promql.ts';
import { brokerDown } from './annotations.ts';
import * as v from './variables.ts';

const groups = [CLUSTER, GROUP];
const BY_GROUP = ['cluster', 'group'];
const GROUP_LEGEND = '{{cluster}} {{group}}';
/** LAG_STATUS_CODES of src/collect/lag/burrow.ts. */
const STATUS = codes([[0, 'NOTFOUND', 'text'], [1, 'OK', 'green'], [2, 'WARN', 'orange'], [3, 'ERR', 'red'], [4, 'STOP', 'red'], [5, 'STALL', 'purple'], [6, 'REWIND', 'blue']]);

const LAG = agg('sum', BY_GROUP, sel('kafka_consumergroup_group_sum_lag', groups));
const TIME_LAG = agg('max', BY_GROUP, sel('kafka_consumergroup_group_max_lag_seconds', groups));
const STATE = agg('max', BY_GROUP, sel('sluice_consumergroup_status', groups));
const MEMBERS = agg('max', BY_GROUP, sel('sluice_consumergroup_members', groups));
/** The ten groups furthest behind. */
const TOP10 = `topk(10, ${LAG})`;
/** `expr` of the groups among the ten furthest behind. */
const ofTop10 = (expr: string): string => `${expr} and on (cluster, group) ${TOP10}`;

/** The consumer groups board. */
export const groups_: Board = {
  uid: 'sluice-consumer-groups-prom',
  title: 'Sluice / Consumer groups (Prometheus)',
  description: 'Per consumer group: lag in messages and in seconds, Burrow-style status, members, and the groups furthest behind. Read through Sluice\'s Prometheus API.',
  tags: ['sluice-prometheus', 'kafka'],
  variables: [v.cluster, v.group, v.topic],
  annotations: [brokerDown],
  panels: [
    timeseries({ title: 'Lag', description: 'Messages behind, summed over the group\'s partitions (kafka_consumergroup_group_sum_lag)', w: 12, h: 8, unit: 'short' },
      { expr: LAG, legend: GROUP_LEGEND }),
    timeseries({ title: 'Time lag', description: 'Seconds since the oldest unconsumed message was produced, largest over partitions (kafka_consumergroup_group_max_lag_seconds)', w: 12, h: 8, unit: 's' },
      { expr: TIME_LAG, legend: GROUP_LEGEND }),
    stateTimeline({ title: 'Status', description: 'Burrow-style evaluation of each group\'s commits over its window: OK, WARN (lag growing), ERR (stopped, stalled or rewound partitions)', w: 24, h: 6, mappings: STATUS },
      { expr: STATE, legend: GROUP_LEGEND }),
    timeseries({ title: 'Lag by topic', description: 'Messages behind per group and topic (kafka_consumergroup_group_topic_sum_lag)', w: 12, h: 8, unit: 'short' },
      { expr: agg('sum', [...BY_GROUP, 'topic'], sel('kafka_consumergroup_group_topic_sum_lag', [...groups, ...TOPICS])), legend: `${GROUP_LEGEND} {{topic}}` }),
    timeseries({ title: 'Members', description: 'Members of each group (DescribeGroups)', w: 12, h: 8, unit: 'short', decimals: 0 },
      { expr: MEMBERS, legend: GROUP_LEGEND }),
    table({
      title: 'Top laggards', description: 'The ten groups furthest behind at the end of the range, with time lag and status', w: 24, h: 8, sortBy: 'lag', desc: true,
      columns: [
        { field: 'cluster', name: 'cluster' }, { field: 'group', name: 'group' }, { field: 'Value #A', name: 'lag' }, { field: 'Value #B', name: 'time lag (s)' },
        { field: 'Value #C', name: 'status', mappings: STATUS }, { field: 'Value #D', name: 'members' },
      ],
    },
    { expr: TOP10 }, { expr: ofTop10(TIME_LAG) }, { expr: ofTop10(STATE) }, { expr: ofTop10(MEMBERS) }),
    table({
      title: 'Groups by status', description: 'How many groups are in each status now', w: 24, h: 5,
      columns: [{ field: 'status', name: 'status', mappings: STATUS }, { field: 'Value', name: 'groups' }],
    },
    { expr: `count_values("status", ${STATE})` }),
  ],
};
