import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScrapeCache } from '../../src/collect/exporter.ts';

test('ScrapeCache: one scrape shared by consumers, never the same scrape twice for one consumer', async () => {
  let hits = 0;
  const server = createServer((_req, res) => { hits++; res.end(`x_total ${hits}\n`); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  try {
    const cache = new ScrapeCache(60_000);
    const a = {};
    const b = {};
    const [ra, rb] = await Promise.all([cache.get(url, 5000, a), cache.get(url, 5000, b)]);
    assert.equal(hits, 1);
    assert.equal(ra, rb);
    assert.equal((await cache.get(url, 5000, b)).length, 1);
    assert.equal(hits, 2, 'b had the first scrape: its next read scrapes again');
    assert.equal((await cache.get(url, 5000, a))[0]!.value, 2, 'a gets the scrape b started');
    assert.equal(hits, 2);
    const own = new ScrapeCache(0);
    await own.get(url, 5000, a);
    await own.get(url, 5000, b);
    assert.equal(hits, 4, 'a finished scrape is not reused after its TTL');
  } finally {
    server.close();
  }
});
