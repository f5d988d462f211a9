/**
 * The service the restart test kills: the real rules engine (alert state in PostgreSQL)
 * evaluating `chaos_up > 0` every 250 ms over the test's scripted timeline, feeding the real
 * notifier, which delivers to the test's webhook. It loads its modules, prints `loaded` and
 * waits for `go <off after>` on stdin before it opens anything (so the test can start the next
 * process while the current one runs, as a supervisor restarting it at once would), then prints
 * `ready` once both run. From <off after> (ms since the epoch, or "never") nothing fires.
 *
 *   node --import tsx test/notify/restart-kill-child.ts <database url> <schema> <webhook url> <rule file> <seed> <t0>
 */
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { parseNotifyConfig } from '../../src/notify/config.ts';
import { Notifier } from '../../src/notify/notifier.ts';
import { RuleManager } from '../../src/rules/manager.ts';
import { openPgDb } from '../../src/store/db-pg.ts';
import { timeline, timelineQuerier } from './kill-timeline.ts';

const [url, schema, hook, ruleFile, seed, t0] = process.argv.slice(2);
if (t0 === undefined) throw new Error('usage: restart-kill-child.ts <database url> <schema> <webhook url> <rule file> <seed> <t0>');
process.stdout.write('loaded\n');
const [line] = (await once(process.stdin, 'data')) as [Buffer];
const offAfter = /^go (\d+|never)\n$/.exec(line.toString('utf8'))?.[1];
if (offAfter === undefined) throw new Error(`expected "go <off after>" on stdin, got ${JSON.stringify(line.toString('utf8'))}`);
// PostgreSQL only (PGlite does not survive SIGKILL), without loading PGlite: this process starts 22 times.
const db = await openPgDb({ url: url!, schema: schema! });
const config = parseNotifyConfig({
  route: { receiver: 'ops', group_by: ['team'], group_wait: '1s', group_interval: '2s', repeat_interval: '1h' },
  receivers: [{ name: 'ops', webhook_configs: [{ url: hook!, send_resolved: true }] }],
});
const registry = new Registry();
// A short lease, so that a row whose sender was killed mid-send is taken over within the test.
const notifier = new Notifier({ config, db, registry, pollMs: 100, leaseMs: 1500, retry: { initialMs: 200, maxMs: 1000 } });
notifier.start();
await notifier.ready();
const rules = new RuleManager({
  querier: timelineQuerier(timeline(Number(seed), Number(t0)), offAfter === 'never' ? Number.POSITIVE_INFINITY : Number(offAfter)),
  sink: { write: async () => undefined },
  alertSink: notifier,
  db,
  registry,
  // Firing alerts are resent every 2 s and valid for 8 s (4 resend delays) from each send.
  resendDelayMs: 2000,
});
await rules.reload([ruleFile!]);
rules.start();
process.stdout.write('ready\n');
// Keep the process alive (the wall clock's timers do not) until the test kills it.
setInterval(() => undefined, 60_000);
