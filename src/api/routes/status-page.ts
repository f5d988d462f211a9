/**
 * The built-in status page, rendered on the server so that it reads whole without JavaScript:
 * `/` (clusters, brokers, consumer groups, clients, alerts, decisions), `/groups?cluster=&group=`
 * (a group's partitions; names in the store's reversible form, see groupHref), the page's stylesheet and script (src/status-page/, served as they are:
 * no build step; the script only fetches the page again to refresh it), and the same data as JSON
 * at GET /api/v1/status.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { labelValueFromStore } from '../../store/labels.ts';
import { groupMain, groupTitle } from '../status-page/group-page.ts';
import { checkShell, fillShell, text } from '../status-page/html.ts';
import { statusMain, updatedLine } from '../status-page/render.ts';
import type { StatusSource } from '../status-page/view.ts';

const ASSETS = new URL('../status-page/', import.meta.url);

/** The page's static files and their content types, by the path they are served at. */
const FILES: readonly (readonly [path: string, file: string, type: string])[] = [
  ['/status-page/status.js', 'status.js', 'text/javascript; charset=utf-8'],
  ['/status-page/status.css', 'status.css', 'text/css; charset=utf-8'],
];

const HTML = 'text/html; charset=utf-8';

/** A query parameter that must be given once, or why it is not usable. */
function oneParam(query: unknown, name: string): string | { error: string } {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  if (typeof value === 'string' && value !== '') return value;
  const got = value === undefined ? 'none' : Array.isArray(value) ? `${value.length} values` : 'an empty value';
  return { error: `query.${name}: expected one non-empty ${name === 'group' ? 'consumer group name' : 'cluster name'}, got ${got}` };
}

/** Registers the pages, their assets and GET /api/v1/status. */
export function statusPageRoutes(app: FastifyInstance, source: StatusSource): void {
  // Read once, when the API is built: the files ship with the sources and never change while it runs.
  const shell = readFileSync(new URL('index.html', ASSETS), 'utf8');
  checkShell(shell);
  for (const [path, file, type] of FILES) {
    const body = readFileSync(new URL(file, ASSETS));
    app.get(path, { schema: { hide: true } }, async (_request, reply) => reply.header('content-type', type).header('cache-control', 'no-cache').send(body));
  }
  const page = (reply: FastifyReply, code: number, slots: Parameters<typeof fillShell>[1]) =>
    reply.code(code).header('content-type', HTML).header('cache-control', 'no-store').send(fillShell(shell, slots));

  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    const view = await source.status();
    return page(reply, 200, { title: 'Sluice', refreshMs: view.refreshSeconds * 1000, updated: updatedLine(view.at), main: statusMain(view) });
  });

  app.get('/groups', { schema: { hide: true } }, async (request, reply) => {
    const cluster = oneParam(request.query, 'cluster');
    const group = oneParam(request.query, 'group');
    const bad = [cluster, group].flatMap((p) => (typeof p === 'string' ? [] : [p.error]));
    if (typeof cluster !== 'string' || typeof group !== 'string') {
      const main = `<p class="back"><a href="/">← all clusters</a></p>${bad.map((e) => `<p class="error" role="alert">${text(e)}</p>`).join('')}`;
      // Nothing to refresh (0).
      return page(reply, 400, { title: 'Sluice · bad request', refreshMs: 0, updated: '<p id="updated"></p>', main });
    }
    const view = await source.group(labelValueFromStore(cluster), labelValueFromStore(group));
    // A group that is not there is a 404 that keeps refreshing: it shows once the group is collected.
    return page(reply, view.group === null ? 404 : 200, { title: groupTitle(view.cluster, view.name), refreshMs: view.refreshSeconds * 1000, updated: updatedLine(view.at), main: groupMain(view) });
  });

  app.get('/api/v1/status', {
    schema: { summary: 'What the status page shows: clusters with brokers, consumer groups and top clients, firing alerts, recent quota decisions', tags: ['status'] },
  }, async (_request, reply) => reply.header('cache-control', 'no-store').send(await source.status()));
}
