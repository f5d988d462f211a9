/** The annotations of the Prometheus boards. */
import type { AnnotationQuery } from '@grafana/schema';
import { promAnnotation } from '../panels.ts';
import { CLUSTER, sel } from '../promql.ts';

/**
 * A region wherever a broker of the chosen clusters did not answer the cluster collector's probe
 * (Grafana marks where a series is above zero: 1 - up is 1 while the broker is down).
 */
export const brokerDown: AnnotationQuery = promAnnotation('Broker down', `1 - ${sel('sluice_cluster_broker_up', [CLUSTER])} > 0`, '{{cluster}} broker {{broker}} down', ['cluster', 'broker'], '15s');
