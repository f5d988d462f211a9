import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcStat, parseMeminfo, parseNetDev } from '../../../../src/kafka/broker/metrics/host.ts';

test('/proc/stat per-CPU lines become seconds by node_exporter mode', () => {
  const text = 'cpu  10 0 0 0\ncpu0 100 2 300 4000 50 6 7 8 0 0\ncpu1 1 0 0 200 0 0 0 0\nintr 1 2\n';
  const rows = parseProcStat(text);
  assert.deepEqual(rows.filter((r) => r.cpu === '0').map((r) => [r.mode, r.seconds]), [
    ['user', 1], ['nice', 0.02], ['system', 3], ['idle', 40], ['iowait', 0.5], ['irq', 0.06], ['softirq', 0.07], ['steal', 0.08],
  ]);
  assert.equal(rows.find((r) => r.cpu === '1' && r.mode === 'idle')?.seconds, 2);
});

test('/proc/meminfo and /proc/net/dev', () => {
  assert.equal(parseMeminfo('MemTotal:       16000 kB\nMemAvailable:    8000 kB\n', 'MemAvailable'), 8000 * 1024);
  assert.equal(parseMeminfo('MemTotal: 1 kB\n', 'MemAvailable'), null);
  const dev = 'Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n    lo: 1234 10 0 0 0 0 0 0 5678 10 0 0 0 0 0 0\n  eth0: 99 1 0 0 0 0 0 0 77 1 0 0 0 0 0 0\n';
  assert.deepEqual(parseNetDev(dev), [{ device: 'lo', receiveBytes: 1234, transmitBytes: 5678 }, { device: 'eth0', receiveBytes: 99, transmitBytes: 77 }]);
});
