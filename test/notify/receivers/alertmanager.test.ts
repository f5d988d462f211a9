import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { VirtualClock } from '../../../src/clock.ts';
import { parseNotifyConfig } from '../../../src/notify/config.ts';
import { fingerprint } from '../../../src/notify/labels.ts';
import { Notifier } from '../../../src/notify/notifier.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { forEachNotifyBackend, lagAlert, waitFor } from '../support.ts';

const BINARY = '/usr/bin/prometheus-alertmanager';
const missing = !existsSync(BINARY);

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let dir = '';
let child: ChildProcess | undefined;
let url = '';

before(async () => {
  if (missing) return;
  dir = mkdtempSync(join(tmpdir(), 'sluice-am-'));
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  child = spawn(BINARY, [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], { stdio: 'ignore' });
  await waitFor(async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true, 'Alertmanager to be ready', 30_000);
});

after(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

forEachNotifyBackend((backend) => {
  it('forwards alerts that Alertmanager then lists with the same labels and fingerprint', { skip: missing ? `${BINARY} is not installed` : false }, async () => {
    const db = await backend.fresh();
    const now = Date.now();
    const clock = new VirtualClock(now);
    const group = `billing-${backend.name}`;
    const config = parseNotifyConfig({ route: { receiver: 'am', group_by: ['alertname'] }, receivers: [{ name: 'am', alertmanager_configs: [{ url }] }] });
    const notifier = new Notifier({ config, db, clock, logger: silentLogger() });
    notifier.start();
    const sent = lagAlert(group, now);
    await notifier.send([sent]);
    clock.advance(30_000);
    await notifier.idle();
    await notifier.stop();
    const listed = (await (await fetch(`${url}/api/v2/alerts?filter=${encodeURIComponent(`group="${group}"`)}`)).json()) as { labels: Record<string, string>; annotations: Record<string, string>; fingerprint: string; status: { state: string } }[];
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0]!.labels, sent.labels);
    assert.deepEqual(listed[0]!.annotations, sent.annotations);
    assert.equal(listed[0]!.fingerprint, fingerprint(sent.labels));
    assert.equal(listed[0]!.status.state, 'active');
    const rows = await db.query<{ status: string }>('SELECT status FROM notify_outbox');
    assert.deepEqual(rows.rows, [{ status: 'sent' }]);
  });
});
