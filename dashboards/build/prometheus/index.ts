/** The boards reading Sluice's Prometheus API (a Grafana data source of type prometheus). */
export { alerts_ } from './alerts.ts';
export { brokers_ } from './brokers.ts';
export { clients_ } from './clients.ts';
export { fleet } from './fleet.ts';
export { groups_ } from './groups.ts';
export { topics_ } from './topics.ts';
