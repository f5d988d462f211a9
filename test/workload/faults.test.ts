/**
 * Faults reach a control API (here a real node:http server) with the right paths and bodies at
 * their time-scaled moments; a failing call is logged and the run goes on; without a control
 * URL faults are skipped with a warning.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { RunningBroker } from '../../src/kafka/broker/options.ts';
import { faultRequest } from '../../src/workload/faults.ts';
import { parseScenario } from '../../src/workload/scenario.ts';
import { runScenario, startTestBroker } from './support.ts';

/** A request the control server received. */
interface Received {
  /** Wall ms after the run's time 0. */
  readonly t: number;
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

const FAULTS = `
  - { at: 10s, do: stop-broker, broker: 1 }
  - { at: 15s, do: set-latency, broker: 0, ms: 50 }
  - { at: 20s, do: cut-replication, broker: 2 }
  - { at: 25s, do: restore-replication, broker: 2 }
  - { at: 30s, do: set-capacity, broker: 0, networkInBytesPerSec: 5000000, logDirBytes: 100000000 }
  - { at: 35s, do: start-broker, broker: 1 }
`;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

describe('faultRequest', () => {
  test('maps each fault to its path and body', () => {
    const scenario = parseScenario(
      `name: f\nfaults:${FAULTS}  - { at: 0s, do: set-capacity, broker: 3, requestHandlers: 2 }\n  - { at: 0s, do: start-broker, broker: 2, wipe: true }\n`,
    );
    assert.deepEqual(scenario.faults.map(faultRequest), [
      { path: '/brokers/1/stop' },
      { path: '/brokers/0/latency', body: { ms: 50 } },
      { path: '/brokers/2/replication', body: { enabled: false } },
      { path: '/brokers/2/replication', body: { enabled: true } },
      { path: '/brokers/0/capacity', body: { networkInBytesPerSec: 5_000_000, logDirBytes: 100_000_000 } },
      { path: '/brokers/1/start' },
      { path: '/brokers/3/capacity', body: { requestHandlers: 2 } },
      { path: '/brokers/2/start', body: { wipe: true } },
    ]);
  });
});

describe('faults against a control API (timeScale 10)', () => {
  let broker: RunningBroker;
  let server: Server;
  let control: string;
  const received: Received[] = [];
  let startedAtMs = Number.POSITIVE_INFINITY;

  before(async () => {
    broker = await startTestBroker();
    server = createServer((request, response) => {
      const t = Date.now() - startedAtMs;
      void readBody(request).then((body) => {
        received.push({ t, method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'], body });
        // The latency endpoint fails, to show that a failing call does not stop the run.
        response.writeHead(request.url?.endsWith('/latency') ? 500 : 200, { 'content-type': 'application/json' });
        response.end(request.url?.endsWith('/latency') ? '{"error":"no such broker"}' : '{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    control = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await broker?.stop();
  });

  test('each fault arrives at its moment with its path and body; failures are logged', { timeout: 20_000 }, async () => {
    const { run, logs } = await runScenario(`name: faults\nduration: 40s\ntimeScale: 10\nfaults:${FAULTS}`, {
      bootstrap: broker.bootstrap,
      control,
    });
    startedAtMs = run.startedAtMs;
    const summary = await run.done;
    assert.deepEqual(
      received.map(({ method, url, contentType, body }) => ({ method, url, contentType, body })),
      [
        { method: 'POST', url: '/brokers/1/stop', contentType: undefined, body: '' },
        { method: 'POST', url: '/brokers/0/latency', contentType: 'application/json', body: '{"ms":50}' },
        { method: 'POST', url: '/brokers/2/replication', contentType: 'application/json', body: '{"enabled":false}' },
        { method: 'POST', url: '/brokers/2/replication', contentType: 'application/json', body: '{"enabled":true}' },
        { method: 'POST', url: '/brokers/0/capacity', contentType: 'application/json', body: '{"networkInBytesPerSec":5000000,"logDirBytes":100000000}' },
        { method: 'POST', url: '/brokers/1/start', contentType: undefined, body: '' },
      ],
    );
    // Scenario 10 s, 15 s, … 35 s at timeScale 10: wall 1 s, 1.5 s, … 3.5 s after time 0.
    const expected = [1000, 1500, 2000, 2500, 3000, 3500];
    received.forEach((r, i) => {
      const at = expected[i] as number;
      assert.ok(r.t >= at - 5 && r.t <= at + 250, `${r.url} arrived at ${r.t} ms, expected ${at} ms`);
    });
    assert.deepEqual(
      summary.faults.map((f) => [f.fault.do, f.ok, f.status]),
      [
        ['stop-broker', true, 200],
        ['set-latency', false, 500],
        ['cut-replication', true, 200],
        ['restore-replication', true, 200],
        ['set-capacity', true, 200],
        ['start-broker', true, 200],
      ],
    );
    assert.ok(
      logs.some((l) => l.level === 40 && l.msg === 'fault set-latency broker 0: control API answered HTTP 500: {"error":"no such broker"}'),
      JSON.stringify(logs),
    );
    assert.equal(summary.reason, 'finished');
  });

  test('an unreachable control API is logged and the run goes on', { timeout: 20_000 }, async () => {
    const { run, logs } = await runScenario(`name: down\nduration: 1s\nfaults:\n  - { at: 200ms, do: stop-broker, broker: 0 }\n`, {
      bootstrap: broker.bootstrap,
      control: 'http://127.0.0.1:1',
    });
    const summary = await run.done;
    assert.equal(summary.reason, 'finished');
    assert.equal(summary.faults[0]?.ok, false);
    assert.ok(logs.some((l) => l.level === 40 && String(l.msg).startsWith('fault stop-broker broker 0: control API request failed: fetch failed')), JSON.stringify(logs));
  });

  test('without a control URL faults are skipped with a warning', { timeout: 20_000 }, async () => {
    const before = received.length;
    const { run, logs } = await runScenario(`name: skipped\nduration: 1s\nfaults:${FAULTS}`, { bootstrap: broker.bootstrap });
    const summary = await run.done;
    assert.deepEqual(summary.faults, []);
    assert.equal(received.length, before);
    assert.ok(
      logs.some((l) => l.level === 40 && l.msg === "6 fault(s) skipped: no --control URL (faults need the bundled cluster's control API)"),
      JSON.stringify(logs),
    );
  });
});
