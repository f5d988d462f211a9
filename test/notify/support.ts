/**
 * Shared parts of the notification tests: databases with the notification tables (PGlite, and
 * PostgreSQL at DATABASE_URL when set, each test on a schema of its own), real HTTP servers that
 * record what they receive, and alerts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MIGRATIONS_DIR, migrate, type Migration } from '../../src/store/migrate.ts';
import type { Db } from '../../src/store/types.ts';
import type { OutgoingAlert } from '../../src/notify/types.ts';
import { forEachBackend, type TestBackend } from '../store/support.ts';

export { DATABASE_URL, uniqueSchema } from '../store/support.ts';

/** Every migration file shipped, in order. */
export function shippedMigrations(): Migration[] {
  const dirs = [MIGRATIONS_DIR, ...(process.env.SLUICE_TEST_EXTRA_MIGRATIONS === undefined ? [] : [process.env.SLUICE_TEST_EXTRA_MIGRATIONS])];
  const found = new Map<number, Migration>();
  for (const dir of dirs) {
    for (const file of readdirSync(dir).sort()) {
      const match = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(file);
      if (match !== null) found.set(Number(match[1]), { version: Number(match[1]), name: match[2]!, sql: readFileSync(`${dir}/${file}`, 'utf8') });
    }
  }
  return [...found.values()].sort((a, b) => a.version - b.version);
}

/** Brings `db` up to the shipped schema. */
export async function migrateAll(db: Db): Promise<void> {
  await migrate(db, { migrations: shippedMigrations() });
}

/** Declares `suite` once per backend; `fresh()` gives a migrated Db on an empty schema. */
export function forEachNotifyBackend(suite: (backend: { name: TestBackend['name']; fresh(): Promise<Db> }) => void): void {
  forEachBackend((backend) => {
    suite({
      name: backend.name,
      async fresh() {
        const db = await backend.fresh({ migrate: false });
        await migrateAll(db);
        return db;
      },
    });
  });
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
