/** Brokers and hosts: traffic against capacity, utilization, request handlers, latency, CPU, disk, network. */
import { type Board, codes, stateTimeline, table, timeseries } from '../panels.ts';
import * as v from '../variables.ts';
import { inVar, label, latestCte, ratio, series, utilization } from '../sql.ts';

const brokers = [inVar('cluster', 'cluster'), inVar('broker', 'broker')];
const allTopics = [...brokers, `NOT s.labels ? 'topic'`];
const hosts = [inVar('cluster', 'cluster'), inVar('instance', 'instance')];
const brokerLegend = `${label('cluster')} || ' broker ' || ${label('broker')}`;
const hostLegend = `${label('cluster')} || ' ' || ${label('instance')}`;
const REQUESTS = `${label('request')} IN ('Produce', 'Fetch', 'FetchConsumer', 'FetchFollower')`;

/** The brokers and hosts board. */
export const brokers_: Board = {
  uid: 'sluice-brokers',
  title: 'Sluice / Brokers and hosts',
  description: 'Per broker: traffic in and out against network capacity, utilization, request handler idle, request latency; per host: CPU, disk, network.',
  tags: ['sluice', 'kafka'],
  variables: [v.cluster, v.broker, v.instance],
  panels: [
    stateTimeline({ title: 'Broker up', description: 'Whether each broker answered the cluster collector\'s probe', w: 24, h: 5, mappings: codes([[0, 'down', 'red'], [1, 'up', 'green']]) },
      { sql: series({ metric: 'sluice_cluster_broker_up', where: brokers, legend: brokerLegend, within: 'min', combine: 'min' }) }),
    timeseries({ title: 'Traffic in vs capacity', description: 'Bytes/s produced and replicated into each broker, and its network-in capacity (sluice_broker_network_capacity_bytes_per_second, bundled brokers)', w: 12, h: 8, unit: 'Bps' },
      { sql: series({ metric: 'kafka_server_brokertopicmetrics_bytesin_total', where: allTopics, legend: `${brokerLegend} || ' produce'`, kind: 'counter' }) },
      { sql: series({ metric: 'kafka_server_brokertopicmetrics_replicationbytesin_total', where: brokers, legend: `${brokerLegend} || ' replication'`, kind: 'counter' }) },
      { sql: series({ metric: 'sluice_broker_network_capacity_bytes_per_second', where: [...brokers, `${label('direction')} = 'in'`], legend: `${brokerLegend} || ' capacity'`, combine: 'max' }) }),
    timeseries({ title: 'Traffic out vs capacity', description: 'Bytes/s fetched from and replicated out of each broker, and its network-out capacity', w: 12, h: 8, unit: 'Bps' },
      { sql: series({ metric: 'kafka_server_brokertopicmetrics_bytesout_total', where: allTopics, legend: `${brokerLegend} || ' fetch'`, kind: 'counter' }) },
      { sql: series({ metric: 'kafka_server_brokertopicmetrics_replicationbytesout_total', where: brokers, legend: `${brokerLegend} || ' replication'`, kind: 'counter' }) },
      { sql: series({ metric: 'sluice_broker_network_capacity_bytes_per_second', where: [...brokers, `${label('direction')} = 'out'`], legend: `${brokerLegend} || ' capacity'`, combine: 'max' }) }),
    timeseries({ title: 'Utilization', description: 'What the quota loop steers below its target, per broker: the largest of request handler busy (1 - idle), bytes in (produce + replication) over network-in capacity and bytes out over network-out capacity. Brokers that export no capacity (Apache Kafka) show handler busy only', w: 12, h: 8, unit: 'percentunit', min: 0, thresholds: [{ value: 0.7, color: 'orange' }, { value: 0.9, color: 'red' }] },
      { sql: utilization(brokers, brokerLegend) }),
    timeseries({ title: 'Request handler idle', description: 'Fraction of request handler time idle (RequestHandlerAvgIdlePercent); below 0.3 the broker queues requests', w: 12, h: 8, unit: 'percentunit', min: 0, max: 1 },
      { sql: series({ metric: 'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', where: brokers, legend: brokerLegend, combine: 'avg' }) }),
    timeseries({ title: 'Request latency p99', description: 'Total time p99 of produce and fetch requests (RequestMetrics TotalTimeMs)', w: 12, h: 8, unit: 'ms' },
      { sql: series({ metric: 'kafka_network_requestmetrics_totaltimems', where: [...brokers, `${label('quantile')} = '0.99'`, REQUESTS], legend: `${brokerLegend} || ' ' || ${label('request')}`, combine: 'max' }) }),
    timeseries({ title: 'Request queue time p99', description: 'Time requests wait for a handler, p99 (RequestQueueTimeMs)', w: 12, h: 8, unit: 'ms' },
      { sql: series({ metric: 'kafka_network_requestmetrics_requestqueuetimems', where: [...brokers, `${label('quantile')} = '0.99'`, REQUESTS], legend: `${brokerLegend} || ' ' || ${label('request')}`, combine: 'max' }) }),
    timeseries({ title: 'Host CPU', description: 'Share of CPU time not idle, by mode (node_exporter, over all CPUs of the host)', w: 12, h: 8, unit: 'percentunit', min: 0, stack: true },
      { sql: series({ metric: 'sluice_host_cpu_utilization', where: [...hosts, `${label('mode')} <> 'idle'`], legend: `${hostLegend} || ' ' || ${label('mode')}` }) }),
    timeseries({ title: 'Host load', description: '1-minute load average', w: 12, h: 8, unit: 'short' },
      { sql: series({ metric: 'node_load1', where: hosts, legend: hostLegend, combine: 'max' }) }),
    timeseries({ title: 'Disk used', description: 'Used share of each filesystem (1 - avail / size)', w: 12, h: 8, unit: 'percentunit', min: 0, max: 1, thresholds: [{ value: 0.8, color: 'orange' }, { value: 0.9, color: 'red' }] },
      { sql: ratio(
        { metric: 'node_filesystem_avail_bytes', where: hosts, legend: `${hostLegend} || ' ' || ${label('mountpoint')}`, combine: 'max' },
        { metric: 'node_filesystem_size_bytes', where: hosts, legend: `${hostLegend} || ' ' || ${label('mountpoint')}`, combine: 'max' },
        '1 - $a / nullif($b, 0)',
      ) }),
    timeseries({ title: 'Log dir used', description: 'Bytes in each broker\'s log dir and its capacity (bundled brokers)', w: 12, h: 8, unit: 'bytes' },
      { sql: series({ metric: 'sluice_broker_log_dir_used_bytes', where: brokers, legend: `${brokerLegend} || ' used'`, combine: 'max' }) },
      { sql: series({ metric: 'sluice_broker_log_dir_capacity_bytes', where: brokers, legend: `${brokerLegend} || ' capacity'`, combine: 'max' }) }),
    timeseries({ title: 'Host network', description: 'Bytes/s received (+) and transmitted (-) by each host, loopback left out', w: 12, h: 8, unit: 'Bps' },
      { sql: series({ metric: 'node_network_receive_bytes_total', where: [...hosts, `${label('device')} <> 'lo'`], legend: `${hostLegend} || ' receive'`, kind: 'counter' }) },
      { sql: series({ metric: 'node_network_transmit_bytes_total', where: [...hosts, `${label('device')} <> 'lo'`], legend: `${hostLegend} || ' transmit'`, kind: 'counter', scale: '-$v' }) }),
    table({ title: 'Brokers', description: 'Latest leaders, replicas and partition health of each broker', w: 24, h: 7, sortBy: 'broker', desc: false }, {
      sql: `WITH ${latestCte('up', { metric: 'sluice_cluster_broker_up', where: brokers, legend: brokerLegend, combine: 'min' })},
${latestCte('leaders', { metric: 'sluice_cluster_broker_leaders', where: brokers, legend: brokerLegend })},
${latestCte('replicas', { metric: 'sluice_cluster_broker_replicas', where: brokers, legend: brokerLegend })},
${latestCte('urp', { metric: 'kafka_server_replicamanager_underreplicatedpartitions', where: brokers, legend: brokerLegend })},
${latestCte('idle', { metric: 'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', where: brokers, legend: brokerLegend, combine: 'avg' })}
SELECT up.key AS broker, CASE WHEN up.v = 1 THEN 'up' ELSE 'down' END AS state, leaders.v AS leaders, replicas.v AS replicas,
       urp.v AS "under-replicated (led here)", idle.v AS "handler idle"
FROM up LEFT JOIN leaders USING (key) LEFT JOIN replicas USING (key) LEFT JOIN urp USING (key) LEFT JOIN idle USING (key)
ORDER BY 1`,
    }),
  ],
};
