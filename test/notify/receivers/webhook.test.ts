import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { parseNotifyConfig } from '../../../src/notify/config.ts';
import { defaultSubject } from '../../../src/notify/receivers/payload.ts';
import { WebhookReceiver } from '../../../src/notify/receivers/webhook.ts';
import type { NotifiedAlert, Notification } from '../../../src/notify/types.ts';
import { startServer } from '../support.ts';

const alert = (group: string, status: 'firing' | 'resolved'): NotifiedAlert => ({
  status,
  labels: { alertname: 'KafkaConsumerLag', cluster: 'c1', group },
  annotations: {},
  startsAt: '2024-03-10T12:00:00.000Z',
  endsAt: '2024-03-10T13:00:00.000Z',
  generatorURL: '',
  fingerprint: group,
});
const notification = (alerts: NotifiedAlert[]): Notification => ({
  receiver: 'ops',
  groupKey: '{}:{alertname="KafkaConsumerLag"}',
  status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
  groupLabels: { alertname: 'KafkaConsumerLag' },
  alerts,
  externalURL: '',
});

function receiver(url: string, extra: Record<string, unknown> = {}): WebhookReceiver {
  const config = parseNotifyConfig({ route: { receiver: 'ops' }, receivers: [{ name: 'ops', webhook_configs: [{ url, hmac_secret: 'the-hmac-key', ...extra }] }] });
  return new WebhookReceiver(config.receivers[0]!.webhook_configs[0]!);
}

describe('defaultSubject', () => {
  it('counts firing alerts and names the common labels outside the group', () => {
    assert.equal(defaultSubject(notification([alert('billing', 'firing'), alert('billing', 'resolved')])), '[FIRING:1] KafkaConsumerLag (cluster=c1 group=billing)');
    assert.equal(defaultSubject(notification([alert('billing', 'resolved'), alert('orders', 'resolved')])), '[RESOLVED] KafkaConsumerLag (cluster=c1)');
    assert.equal(defaultSubject({ ...notification([alert('billing', 'firing')]), groupLabels: {} }), '[FIRING:1] (alertname=KafkaConsumerLag cluster=c1 group=billing)');
  });
});

describe('WebhookReceiver outcomes', () => {
  it('retries 5xx, gives up on 4xx', async () => {
    let status = 503;
    const server = await startServer(() => status);
    try {
      const soft = await receiver(`${server.url}/hook`).send(notification([alert('a', 'firing')]));
      status = 404;
      const hard = await receiver(`${server.url}/hook`).send(notification([alert('a', 'firing')]));
      assert.deepEqual(soft, { ok: false, retryable: true, error: `${server.url}/hook answered 503: status 503` });
      assert.deepEqual(hard, { ok: false, retryable: false, error: `${server.url}/hook answered 404: status 404` });
    } finally {
      await server.close();
    }
  });

  it('sends URL credentials as Basic auth', async () => {
    const server = await startServer();
    try {
      const result = await receiver(server.url.replace('http://', 'http://alice:pa55word@') + '/hook').send(notification([alert('a', 'firing')]));
      assert.deepEqual(result, { ok: true, retryable: false });
      assert.equal(server.requests[0]!.headers.authorization, `Basic ${Buffer.from('alice:pa55word').toString('base64')}`);
    } finally {
      await server.close();
    }
  });

  it('retries a connection error and keeps credentials and query out of the error', async () => {
    const closed = await startServer();
    await closed.close();
    const port = new URL(closed.url).port;
    const result = await receiver(`http://alice:pa55word@127.0.0.1:${port}/hook?token=t0ken`).send(notification([alert('a', 'firing')]));
    assert.deepEqual(result, { ok: false, retryable: true, error: `http://127.0.0.1:${port}/hook?[redacted]: ECONNREFUSED` });
  });

  it('retries when no answer comes within the timeout', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await receiver(`http://127.0.0.1:${port}/slow`, { timeout: '200ms' }).send(notification([alert('a', 'firing')]));
      assert.deepEqual(result, { ok: false, retryable: true, error: `http://127.0.0.1:${port}/slow: no answer within 200 ms` });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
