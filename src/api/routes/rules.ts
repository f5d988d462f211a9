/**
 * Sluice's own view of rule groups with their health, last evaluation and errors, at
 * /api/v1/sluice/rules; Prometheus's shape is at /api/v1/rules (routes/prometheus/rules.ts).
 */
import * as z from 'zod';
import type { FastifyInstance } from 'fastify';
import { docSchema, parseInput } from '../input.ts';
import type { RulesSource } from '../types.ts';

const query = z.strictObject({ type: z.enum(['alert', 'record']).optional() });

/** Registers GET /api/v1/sluice/rules. */
export function ruleRoutes(app: FastifyInstance, rules: RulesSource): void {
  app.get('/api/v1/sluice/rules', { schema: { summary: 'Rule groups, health, last evaluation and errors', tags: ['rules'], querystring: docSchema(query) } }, async (request) => {
    const { type } = parseInput(query, request.query, 'query');
    const wanted = type === undefined ? undefined : type === 'alert' ? 'alerting' : 'recording';
    const groups = rules.groups().map((g) => ({ ...g, rules: wanted === undefined ? g.rules : g.rules.filter((r) => r.type === wanted) }));
    return { groups };
  });
}
