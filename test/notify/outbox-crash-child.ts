/**
 * The process the outbox crash test kills: it hands one alert to a Notifier with group_wait 0,
 * prints `written <ids>` once the notification is in the outbox and then holds the sender off
 * for good, so that SIGKILL lands between the outbox write and the send.
 *
 *   node --import tsx test/notify/outbox-crash-child.ts <database url> <schema> <webhook url>
 */
import { parseNotifyConfig } from '../../src/notify/config.ts';
import { Notifier } from '../../src/notify/notifier.ts';
import { openDb } from '../../src/store/db.ts';
import { lagAlert } from './support.ts';

const [url, schema, hook] = process.argv.slice(2);
if (url === undefined || schema === undefined || hook === undefined) throw new Error('usage: outbox-crash-child.ts <database url> <schema> <webhook url>');
const db = await openDb({ url, schema });
const config = parseNotifyConfig({ route: { receiver: 'ops', group_by: ['alertname'], group_wait: '0s' }, receivers: [{ name: 'ops', webhook_configs: [{ url: hook }] }] });
const notifier = new Notifier({
  config,
  db,
  afterOutboxWrite: (ids) => {
    process.stdout.write(`written ${ids.join(',')}\n`);
    return new Promise<void>(() => undefined);
  },
});
notifier.start();
await notifier.send([lagAlert('billing', Date.now())]);
// Keep the process alive (the wall clock's timers do not) until the test kills it.
setInterval(() => undefined, 60_000);
