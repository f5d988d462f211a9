/**
 * Shared parts of the notification tests: databases with the notification tables (PGlite, and
 * PostgreSQL at DATABASE_URL when set, each test on a schema of its own), real HTTP servers that
 * record what they receive, and alerts.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDb } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { quoteIdent } from '../../src/store/sql.ts';
import type { Db } from '../../src/store/types.ts';
import type { OutgoingAlert } from '../../src/notify/types.ts';
import { DATABASE_URL, forEachBackend, uniqueSchema, type TestBackend } from '../store/support.ts';

export { DATABASE_URL, uniqueSchema } from '../store/support.ts';

/** Brings `db` up to the shipped schema. */
export async function migrateAll(db: Db): Promise<void> {
  await migrate(db);
}

/**
 * A migrated Db on a new schema of the PostgreSQL server at DATABASE_URL, for tests whose child
 * processes are SIGKILLed (a PGlite data directory does not survive that reliably); the schema
 * is dropped and the Db closed by `cleanup`.
 */
export async function freshPgSchema(cleanup: (() => Promise<void>)[]): Promise<{ db: Db; schema: string }> {
  const schema = uniqueSchema();
  const db = await openDb({ url: DATABASE_URL!, schema });
  cleanup.push(async () => {
    await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await db.close();
  });
  await migrateAll(db);
  return { db, schema };
}

/** Declares `suite` once per backend; `fresh()` gives a migrated Db on an empty schema. */
export function forEachNotifyBackend(suite: (backend: { name: TestBackend['name']; fresh(): Promise<Db> }) => void): void {
  forEachBackend((backend) => suite({ name: backend.name, fresh: () => backend.fresh() }));
}

/** One request a test server received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status the server answered. */
  readonly status: number;
}

/** A real HTTP server on 127.0.0.1 answering each request with what `answer` says. */
export interface TestServer {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** Starts a server whose `answer(request)` gives the status for each request (default 200). */
export async function startServer(answer: (req: IncomingMessage) => number = () => 200): Promise<TestServer> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer(req);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `status ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Polls `check` every 20 ms until it is true or `deadlineMs` passes (then throws). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, deadlineMs = 20_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A firing KafkaConsumerLag alert for consumer group `group`, started at `now`, valid for a day. */
export function lagAlert(group: string, now: number, extra: Record<string, string> = {}): OutgoingAlert {
  return {
    labels: { alertname: 'KafkaConsumerLag', cluster: 'c1', group, severity: 'warning', ...extra },
    annotations: { summary: `Consumer group ${group} is behind`, description: 'lag above 1000 for 10m' },
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + 86_400_000).toISOString(),
    generatorURL: 'http://sluice.example:8080/graph?g0.expr=sluice_consumer_lag',
  };
}
