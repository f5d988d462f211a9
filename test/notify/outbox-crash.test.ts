import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, it } from 'node:test';
import { parseNotifyConfig } from '../../src/notify/config.ts';
import { Notifier } from '../../src/notify/notifier.ts';
import { DATABASE_URL, freshPgSchema, startServer, waitFor } from './support.ts';

const CHILD = fileURLToPath(new URL('./outbox-crash-child.ts', import.meta.url));
const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

// A process killed with SIGKILL must leave its writes in a server that outlives it: PostgreSQL.
it('sends exactly once what a process killed after the outbox write left behind', { skip: DATABASE_URL === undefined ? 'DATABASE_URL is not set' : false }, async () => {
  const { db, schema } = await freshPgSchema(cleanup);
  const server = await startServer();
  cleanup.push(() => server.close());
  const hook = `${server.url}/hook`;

  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, DATABASE_URL!, schema, hook], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  await waitFor(() => out.includes('\n') || child.exitCode !== null, 'the child to write the outbox row', 60_000);
  assert.match(out, /^written \d+\n$/);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  assert.equal(server.requests.length, 0);
  const pending = await db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM notify_outbox');
  assert.deepEqual(pending.rows, [{ status: 'pending', attempts: 0 }]);

  const config = parseNotifyConfig({ route: { receiver: 'ops' }, receivers: [{ name: 'ops', webhook_configs: [{ url: hook }] }] });
  const notifier = new Notifier({ config, db, pollMs: 100 });
  notifier.start();
  cleanup.push(() => notifier.stop());
  await waitFor(async () => (await db.query<{ status: string }>('SELECT status FROM notify_outbox')).rows[0]?.status === 'sent', 'the row to be sent');
  // Several more sender rounds: none may send the row again.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.deepEqual(server.requests.map((r) => [r.url, r.status]), [['/hook', 200]]);
  const body = JSON.parse(server.requests[0]!.body) as { receiver: string; alerts: { labels: Record<string, string> }[] };
  assert.deepEqual([body.receiver, body.alerts.map((a) => a.labels.group)], ['ops', ['billing']]);
});
