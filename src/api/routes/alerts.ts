/**
 * Sluice's own view of active alerts (pending and firing, and resolved ones still being
 * notified, with the silences and alerts that mute each) at /api/v1/sluice/alerts, optionally
 * filtered by state and by label matchers in Alertmanager's syntax
 * (`?filter=alertname="KafkaConsumerLagHigh"&filter=cluster=~"prod-.*"`). Prometheus's shape is
 * at /api/v1/alerts (routes/prometheus/rules.ts).
 */
import * as z from 'zod';
import type { FastifyInstance } from 'fastify';
import { docSchema, parseInput } from '../input.ts';
import type { AlertsSource, ApiAlert } from '../types.ts';
import { matchesAll, parseMatcherText } from '../matchers.ts';

const query = z.strictObject({
  state: z.enum(['pending', 'firing', 'resolved']).optional(),
  filter: z.union([z.string(), z.array(z.string())]).optional(),
});

/** Registers GET /api/v1/sluice/alerts. */
export function alertRoutes(app: FastifyInstance, source: AlertsSource): void {
  app.get('/api/v1/sluice/alerts', { schema: { summary: 'Active alerts, filtered by state and label matchers', tags: ['alerts'], querystring: docSchema(query) } }, async (request) => {
    const q = parseInput(query, request.query, 'query');
    const filters = (q.filter === undefined ? [] : Array.isArray(q.filter) ? q.filter : [q.filter]).map((text, i) => parseMatcherText(text, `query.filter[${i}]`));
    const alerts: ApiAlert[] = [...(await source.alerts())].filter((a) => (q.state === undefined || a.state === q.state) && matchesAll(filters, a.labels));
    return { alerts };
  });
}
