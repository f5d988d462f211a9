import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Registry } from 'prom-client';
import { HostCollector, cpuUtilization } from '../../src/collect/host.ts';
import { parsePrometheusText } from '../../src/collect/scrape.ts';
import { CollectScheduler } from '../../src/collect/scheduler.ts';
import { parseCollectConfig } from '../../src/collect/config.ts';
import type { Store } from '../../src/store/index.ts';
import { closeTestStore, latestValue, openTestStore } from './support.ts';
import { BACKENDS } from '../helpers/backends.ts';

for (const backend of BACKENDS) {
  describe(`host collector on ${backend}`, () => {
    let store: Store;
    before(async () => { store = await openTestStore(backend); });
    after(async () => { await closeTestStore(store); });

    /** node_exporter text with the CPU counters given. */
    function exposition(user: number, idle: number): string {
      return [
        '# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.',
        '# TYPE node_cpu_seconds_total counter',
        `node_cpu_seconds_total{cpu="0",mode="idle"} ${idle}`,
        `node_cpu_seconds_total{cpu="0",mode="user"} ${user}`,
        `node_cpu_seconds_total{cpu="1",mode="idle"} ${idle}`,
        `node_cpu_seconds_total{cpu="1",mode="user"} ${user}`,
        'node_load1 1.25',
        'node_memory_MemAvailable_bytes 8.589934592e+09',
        'node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/data \\"x\\""} 1000',
        'node_filesystem_size_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/data \\"x\\""} 4000',
        'node_network_receive_bytes_total{device="eth0"} 123 1700000000000',
        'node_network_transmit_bytes_total{device="eth0"} 456',
        'go_goroutines 12',
        '',
      ].join('\n');
    }

    test('the parser reads labels with escapes, exponents and timestamps, and counts bad lines', () => {
      const { samples, bad } = parsePrometheusText(`${exposition(1, 2)}broken{x="1" 3\n`);
      assert.equal(bad, 1);
      assert.deepEqual(samples.find((s) => s.name === 'node_filesystem_avail_bytes'), { name: 'node_filesystem_avail_bytes', labels: { device: '/dev/sda1', fstype: 'ext4', mountpoint: '/data "x"' }, value: 1000 });
      assert.equal(samples.find((s) => s.name === 'node_memory_MemAvailable_bytes')!.value, 8589934592);
      assert.equal(samples.find((s) => s.name === 'node_network_receive_bytes_total')!.value, 123);
    });

    test('cpu utilization by mode comes from counter deltas; a counter going back gives nothing', () => {
      const u = cpuUtilization(new Map([['user', 10], ['idle', 30]]), new Map([['user', 13], ['idle', 39]]));
      assert.deepEqual(Object.fromEntries(u!), { user: 0.25, idle: 0.75 });
      assert.equal(cpuUtilization(new Map([['user', 10]]), new Map([['user', 5]])), undefined);
    });

    test('host series are stored as node_exporter names them, with cluster and instance', async () => {
      let body = exposition(100, 300);
      const server: Server = createServer((_req, res) => res.end(body));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      const config = parseCollectConfig({ clusters: [{ name: 'test', bootstrap: ['127.0.0.1:1'], hosts: [`http://127.0.0.1:${port}/metrics`, 'http://127.0.0.1:1/metrics'] }] }).clusters[0]!;
      const scheduler = new CollectScheduler({ collectors: [new HostCollector(config)], sink: store.writer, registry: new Registry(), jitter: 0 });
      try {
        const [first] = await scheduler.runOnce();
        assert.deepEqual(first!.result!.errors.map((e) => e.subject), ['http://127.0.0.1:1/metrics']);
        body = exposition(106, 309); // per CPU: 6 s user, 9 s idle
        await scheduler.runOnce();
        const instance = `127.0.0.1:${port}`;
        assert.equal(await latestValue(store, 'sluice_host_cpu_utilization', { cluster: 'test', instance, mode: 'user' }), 0.4);
        assert.equal(await latestValue(store, 'sluice_host_cpu_utilization', { cluster: 'test', instance, mode: 'idle' }), 0.6);
        assert.equal(await latestValue(store, 'node_cpu_seconds_total', { cluster: 'test', instance, cpu: '1', mode: 'user' }), 106);
        assert.equal(await latestValue(store, 'node_load1', { cluster: 'test', instance }), 1.25);
        assert.equal(await latestValue(store, 'node_filesystem_size_bytes', { cluster: 'test', instance, mountpoint: '/data "x"' }), 4000);
        assert.equal(await latestValue(store, 'node_network_transmit_bytes_total', { cluster: 'test', instance, device: 'eth0' }), 456);
        assert.equal(await latestValue(store, 'go_goroutines', { cluster: 'test' }), undefined);
        assert.equal(await latestValue(store, 'sluice_collector_errors_total', { cluster: 'test', collector: 'host' }), 2);
      } finally {
        await scheduler.stop();
        server.close();
      }
    });
  });
}
