/**
 * Clients and quotas over Sluice's Prometheus API: each user / client-id's byte rates against its
 * quotas, throttle time and utilization. Traffic by business group is left out: the group of an
 * entity is in the quota loop's decisions, which only the PostgreSQL boards read.
 */
import { type Board, table, timeseries } from '../panels.ts';
import { agg, CLIENT_ID, CLUSTER, orNone, sel, USER } from '../promql.ts';
import { brokerDown } from './annotations.ts';
import * as v from './variables.ts';

const clients = [CLUSTER, USER, CLIENT_ID];
const BY_CLIENT = ['cluster', 'user', 'client_id'];
/** `user / client-id` as Kafka names the quota entity; (none) for clients without a user. */
const CLIENT_LEGEND = '{{user}} / {{client_id}}';

/** `op` of `metric` per client, (none) standing for a missing user. */
const perClient = (op: 'sum' | 'max', metric: string, matchers: readonly string[] = clients): string => orNone(agg(op, BY_CLIENT, sel(metric, matchers)), 'user');
const quota = (key: 'producer_byte_rate' | 'consumer_byte_rate'): string => perClient('max', 'sluice_client_quota', [...clients, `quota="${key}"`]);

/** The clients and quotas board. */
export const clients_: Board = {
  uid: 'sluice-clients-prom',
  title: 'Sluice / Clients and quotas (Prometheus)',
  description: 'Per user and client-id: produce and fetch byte rates against their quotas, throttle time and quota utilization on the busiest broker. Read through Sluice\'s Prometheus API.',
  tags: ['sluice-prometheus', 'kafka', 'quotas'],
  variables: [v.cluster, v.user, v.clientId],
  annotations: [brokerDown],
  panels: [
    timeseries({ title: 'Produce rate vs quota', description: 'Bytes/s each entity produces over all brokers, and its producer_byte_rate quota (enforced on each broker)', w: 12, h: 8, unit: 'Bps' },
      { expr: perClient('sum', 'sluice_client_produce_byte_rate'), legend: CLIENT_LEGEND },
      { expr: quota('producer_byte_rate'), legend: `${CLIENT_LEGEND} quota` }),
    timeseries({ title: 'Fetch rate vs quota', description: 'Bytes/s each entity fetches over all brokers, and its consumer_byte_rate quota', w: 12, h: 8, unit: 'Bps' },
      { expr: perClient('sum', 'sluice_client_fetch_byte_rate'), legend: CLIENT_LEGEND },
      { expr: quota('consumer_byte_rate'), legend: `${CLIENT_LEGEND} quota` }),
    timeseries({ title: 'Throttle time', description: 'Throttle time per request, the largest over brokers, by request kind', w: 12, h: 8, unit: 'ms' },
      { expr: perClient('max', 'sluice_client_produce_throttle_time_ms'), legend: `${CLIENT_LEGEND} produce` },
      { expr: perClient('max', 'sluice_client_fetch_throttle_time_ms'), legend: `${CLIENT_LEGEND} fetch` },
      { expr: perClient('max', 'sluice_client_request_throttle_time_ms'), legend: `${CLIENT_LEGEND} request` }),
    timeseries({ title: 'Quota utilization', description: 'Rate over the quota that applies, on the busiest broker: 1 means Kafka holds the client at its quota', w: 12, h: 8, unit: 'percentunit', min: 0, thresholds: [{ value: 0.9, color: 'orange' }, { value: 1, color: 'red' }] },
      { expr: orNone(agg('max', [...BY_CLIENT, 'quota'], sel('sluice_client_quota_utilization', clients)), 'user'), legend: `${CLIENT_LEGEND} {{quota}}` }),
    table({
      title: 'Clients', description: 'Latest rates, quotas and throttling of each entity', w: 24, h: 8, sortBy: 'produce B/s', desc: true,
      columns: [
        { field: 'cluster', name: 'cluster' }, { field: 'user', name: 'user' }, { field: 'client_id', name: 'client-id' },
        { field: 'Value #A', name: 'produce B/s', unit: 'Bps' }, { field: 'Value #B', name: 'producer quota', unit: 'Bps' },
        { field: 'Value #C', name: 'fetch B/s', unit: 'Bps' }, { field: 'Value #D', name: 'consumer quota', unit: 'Bps' },
        { field: 'Value #E', name: 'utilization (max)', unit: 'percentunit' }, { field: 'Value #F', name: 'produce throttle ms', unit: 'ms' },
      ],
    },
    { expr: perClient('sum', 'sluice_client_produce_byte_rate') },
    { expr: quota('producer_byte_rate') },
    { expr: perClient('sum', 'sluice_client_fetch_byte_rate') },
    { expr: quota('consumer_byte_rate') },
    { expr: orNone(agg('max', BY_CLIENT, sel('sluice_client_quota_utilization', clients)), 'user') },
    { expr: perClient('max', 'sluice_client_produce_throttle_time_ms') }),
  ],
};
