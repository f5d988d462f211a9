/**
 * The built-in status page: `/` is a static HTML page with a small script (src/api/status-page/,
 * served as it is: no build step) that draws `GET /api/v1/status` and refreshes itself.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { StatusSource } from '../status-page/view.ts';

const ASSETS = new URL('../status-page/', import.meta.url);

/** The page's files and their content types, by the path they are served at. */
const FILES: readonly (readonly [path: string, file: string, type: string])[] = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/status-page/status.js', 'status.js', 'text/javascript; charset=utf-8'],
  ['/status-page/status.css', 'status.css', 'text/css; charset=utf-8'],
];

/** Registers the page, its assets and GET /api/v1/status. */
export function statusPageRoutes(app: FastifyInstance, source: StatusSource): void {
  for (const [path, file, type] of FILES) {
    // Read once, when the API is built: the files ship with the sources and never change while it runs.
    const body = readFileSync(new URL(file, ASSETS));
    app.get(path, { schema: { hide: true } }, async (_request, reply) => reply.header('content-type', type).header('cache-control', 'no-cache').send(body));
  }
  app.get('/api/v1/status', {
    schema: { summary: 'What the status page shows: clusters and brokers, top clients, firing alerts, recent quota decisions', tags: ['status'] },
  }, async (_request, reply) => reply.header('cache-control', 'no-store').send(await source.status()));
}
