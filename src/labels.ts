/**
 * Label words every part of Sluice shares: what a label set is, and the names Prometheus allows
 * for labels and metrics. Each caller words its own message for a name it refuses, and says
 * itself whether names starting `__` (reserved by Prometheus) are allowed where it reads them.
 * https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels
 */

/** Label names to values. */
export type Labels = Readonly<Record<string, string>>;

/** Label names as Prometheus allows them: letters, digits and _, not starting with a digit. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Metric names as Prometheus allows them: letters, digits, _ and :, not starting with a digit. */
export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
