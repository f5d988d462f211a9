/**
 * What the loop reads of a client held at its quota, over the real PromQL engine: the brokers'
 * rate gauge is a mean over their quota window, and under a short window it swings with that
 * window's period; read once a step it would show any point of the swing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, SeriesSet } from '../../src/rules/promql/index.ts';
import { readSignals } from '../../src/throttle/signals.ts';

const NOW = 1_800_000_000_000;

/**
 * One broker scraped every second for two minutes; client `held` is let through and held in turn
 * with a 2 s period, as a 2 s quota window of 100 kB/s lets it: its gauge reads 200 kB/s on even
 * seconds and 0 on odd ones (a mean of 100 kB/s).
 */
function swinging(): SeriesSet {
  const set = new SeriesSet();
  const c = { cluster: 'east', broker: '0' };
  for (let t = NOW - 120_000, i = 0; t <= NOW; t += 1000, i++) {
    set.add({ __name__: 'kafka_server_brokertopicmetrics_bytesin_total', ...c }, t, i * 100_000);
    set.add({ __name__: 'kafka_server_brokertopicmetrics_bytesout_total', ...c }, t, 0);
    set.add({ __name__: 'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', ...c }, t, 0.9);
    set.add({ __name__: 'kafka_server_produce_byte_rate', ...c, user: '', client_id: 'held' }, t, i % 2 === 0 ? 200_000 : 0);
    set.add({ __name__: 'kafka_server_produce_throttle_time', ...c, user: '', client_id: 'held' }, t, i % 2 === 0 ? 0 : 1000);
  }
  return set;
}

test('under a quota window shorter than the rate window, a client\'s rate and throttle time are means over the rate window', async () => {
  const source = swinging();
  const read = (quotaWindowMs?: number) => readSignals(new Engine(), source, NOW, {
    cluster: 'east', windowMs: 60_000, stepMs: 5000, rateWindowSec: 5, nominal: { bytesInPerSec: 1e6, bytesOutPerSec: 1e6 },
    ...(quotaWindowMs === undefined ? {} : { quotaWindowMs }),
  });
  // Kafka's 11 s window is longer than the rate window: the gauge is read as it is, here at an
  // even second (NOW is second 120): 200 kB/s, unthrottled, and so at every 5 s step of the history.
  const eleven = (await read()).clients[0]!;
  assert.deepEqual([eleven.clientId, eleven.rate, eleven.throttleMs], ['held', 200_000, 0]);
  assert.deepEqual(eleven.history.rate.slice(-3), [200_000, 0, 200_000]);
  // A 2 s window: the mean of the samples of the 5 s up to each step ([t − 5 s, t]: six, three of
  // each phase), at every step.
  const two = (await read(2000)).clients[0]!;
  assert.deepEqual([two.rate, two.throttleMs], [100_000, 500]);
  assert.deepEqual(two.history.rate.slice(-3), [100_000, 100_000, 100_000]);
});
