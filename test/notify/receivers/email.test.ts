import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { VirtualClock } from '../../../src/clock.ts';
import { parseNotifyConfig } from '../../../src/notify/config.ts';
import { Notifier } from '../../../src/notify/notifier.ts';
import { EmailReceiver } from '../../../src/notify/receivers/email.ts';
import type { Notification, OutgoingAlert } from '../../../src/notify/types.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { forEachNotifyBackend } from '../support.ts';

const T0 = Date.UTC(2024, 2, 10, 12, 0, 0);
const PASSWORD = 's3cret-smtp-pass';

interface Mail {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
}

/** The value of header `name` in a raw message, unfolded. */
function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  return head.split(/\r?\n/).find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim();
}

/** The message with quoted-printable soft breaks and escapes undone, enough to search its bodies. */
function decoded(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function alert(topic: string): OutgoingAlert {
  return {
    labels: { alertname: 'KafkaConsumerLag', group: 'billing', topic },
    annotations: { summary: `billing is behind on ${topic}` },
    startsAt: new Date(T0).toISOString(),
    endsAt: new Date(T0 + 86_400_000).toISOString(),
    generatorURL: `http://sluice.example:8080/graph?topic=${topic}`,
  };
}

let server: SMTPServer;
let port = 0;
const mails: Mail[] = [];
/** SMTP code to refuse recipients with, or 0 to accept. */
let refuse = 0;

before(async () => {
  server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === 'sluice' && auth.password === PASSWORD) callback(null, { user: 'sluice' });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (refuse === 0) callback();
      else callback(Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: refuse }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function emailConfig(password = PASSWORD) {
  return parseNotifyConfig({
    route: { receiver: 'mail', group_by: ['alertname'] },
    receivers: [{ name: 'mail', email_configs: [{ to: 'oncall@example.org', from: 'sluice@example.org', smarthost: `127.0.0.1:${port}`, auth_username: 'sluice', auth_password: password, require_tls: false, headers: { 'X-Team': 'kafka' } }] }],
    external_url: 'http://sluice.example:8080',
  });
}

forEachNotifyBackend((backend) => {
  it('mails the group with the default subject and both bodies', async () => {
    mails.length = 0;
    const db = await backend.fresh();
    const clock = new VirtualClock(T0);
    const notifier = new Notifier({ config: emailConfig(), db, clock, logger: silentLogger() });
    notifier.start();
    await notifier.send([alert('invoices'), alert('payments')]);
    clock.advance(30_000);
    await notifier.idle();
    await notifier.stop();
    assert.equal(mails.length, 1);
    const mail = mails[0]!;
    assert.deepEqual([mail.from, mail.to], ['sluice@example.org', ['oncall@example.org']]);
    assert.equal(header(mail.raw, 'Subject'), '[FIRING:2] KafkaConsumerLag (group=billing)');
    assert.equal(header(mail.raw, 'X-Team'), 'kafka');
    assert.match(header(mail.raw, 'Message-ID') ?? '', /^<[0-9a-z]+-1\.sluice@example\.org>$/, 'the Message-ID is the outbox row\'s, the same on every attempt');
    const body = decoded(mail.raw);
    assert.match(body, /Content-Type: text\/plain/);
    assert.match(body, /Content-Type: text\/html/);
    for (const line of ['[FIRING] KafkaConsumerLag', '  topic = invoices', '  summary = billing is behind on payments', 'Started: 2024-03-10T12:00:00.000Z', 'Source: http://sluice.example:8080/graph?topic=invoices']) {
      assert.ok(body.includes(line), `body lacks ${JSON.stringify(line)}`);
    }
    assert.ok(body.includes('<a href="http://sluice.example:8080/graph?topic=payments">Source</a>'), 'html body lacks the source link');
    const rows = await db.query<{ status: string }>('SELECT status FROM notify_outbox');
    assert.deepEqual(rows.rows, [{ status: 'sent' }]);
  });
});

describe('EmailReceiver outcomes', () => {
  const n: Notification = {
    receiver: 'mail',
    groupKey: '{}:{}',
    status: 'firing',
    groupLabels: {},
    alerts: [{ ...alert('t'), status: 'firing', fingerprint: '0000000000000001' }],
    externalURL: '',
  };
  const receiver = (password?: string) => new EmailReceiver(emailConfig(password).receivers[0]!.email_configs[0]!);

  it('treats SMTP 4xx as retryable and 5xx as final', async () => {
    refuse = 451;
    const soft = await receiver().send(n);
    refuse = 550;
    const hard = await receiver().send(n);
    refuse = 0;
    assert.deepEqual([soft.ok, soft.retryable, hard.ok, hard.retryable], [false, true, false, false]);
    assert.match(hard.error ?? '', /550/);
  });

  it('keeps the password out of the error', async () => {
    const result = await receiver('wrong-password-value').send(n);
    assert.deepEqual([result.ok, result.retryable], [false, false]);
    assert.ok(!(result.error ?? '').includes('wrong-password-value'), result.error);
    assert.match(result.error ?? '', /535/);
  });

  it('retries when the smarthost cannot be reached', async () => {
    const config = parseNotifyConfig({ route: { receiver: 'm' }, receivers: [{ name: 'm', email_configs: [{ to: 'a@b.c', from: 'd@e.f', smarthost: '127.0.0.1:1', require_tls: false }] }] });
    const result = await new EmailReceiver(config.receivers[0]!.email_configs[0]!).send(n);
    assert.deepEqual([result.ok, result.retryable], [false, true]);
  });
});
