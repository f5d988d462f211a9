import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { checkBootstrap, parseCollectConfig } from '../../src/collect/config.ts';
import { isSluiceError } from '../../src/errors.ts';

const good = { clusters: [{ name: 'prod', bootstrap: ['127.0.0.1:9092'] }] };

test('defaults are applied and the result is frozen', () => {
  const c = parseCollectConfig(good);
  assert.deepEqual(c.clusters[0]!.intervals, { host: 15, cluster: 30, topics: 30, clients: 15 });
  assert.deepEqual(c.clusters[0]!.metrics, []);
  assert.ok(Object.isFrozen(c.clusters[0]));
});

test('an unknown key is one error naming its path', () => {
  assert.throws(() => parseCollectConfig({ clusters: [{ ...good.clusters[0], intervals: { topic: 5 } }] }), (err: unknown) => {
    assert.ok(isSluiceError(err, 'SLUICE_ERR_CONFIG_INVALID'));
    assert.equal(err.message, 'clusters[0].intervals.topic: unknown key');
    assert.equal(err.path, 'clusters[0].intervals.topic');
    return true;
  });
});

test('a wrong type is one error naming its path and what was found', () => {
  assert.throws(() => parseCollectConfig({ clusters: [{ ...good.clusters[0], metrics: [{ url: 'http://h:1/metrics', broker: 'one' }] }] }), (err: unknown) => {
    assert.ok(isSluiceError(err, 'SLUICE_ERR_CONFIG_INVALID'));
    assert.match(err.message, /^clusters\[0\]\.metrics\[0\]/);
    return true;
  });
  assert.throws(() => parseCollectConfig({ clusters: [{ name: 'prod', bootstrap: '127.0.0.1:9092' }] }), (err: unknown) => {
    assert.ok(isSluiceError(err));
    assert.equal(err.message, 'clusters[0].bootstrap: expected a list, got "127.0.0.1:9092"');
    return true;
  });
});

test('an unreachable bootstrap is one error naming the path', async () => {
  // A port nothing listens on: bind one, note it, close it.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const config = parseCollectConfig({ clusters: [{ name: 'prod', bootstrap: [`127.0.0.1:${port}`], timeouts: { connectMs: 500, requestMs: 500 } }] });
  await assert.rejects(checkBootstrap(config), (err: unknown) => {
    assert.ok(isSluiceError(err, 'SLUICE_ERR_CONFIG_INVALID'));
    assert.equal(err.path, 'clusters[0].bootstrap');
    assert.match(err.message, new RegExp(`^clusters\\[0\\]\\.bootstrap: no bootstrap server of cluster "prod" answered \\(127\\.0\\.0\\.1:${port}\\)`));
    return true;
  });
});

test('a negative or fractional record read budget is one error naming its path', () => {
  assert.equal(parseCollectConfig({ clusters: [{ ...good.clusters[0], timeLag: { recordReadsPerCycle: 0 } }] }).clusters[0]!.timeLag?.recordReadsPerCycle, 0);
  for (const bad of [-1, 2.5]) {
    assert.throws(() => parseCollectConfig({ clusters: [{ ...good.clusters[0], timeLag: { recordReadsPerCycle: bad } }] }), (err: unknown) => {
      assert.ok(isSluiceError(err, 'SLUICE_ERR_CONFIG_INVALID'));
      assert.equal(err.path, 'clusters[0].timeLag.recordReadsPerCycle');
      return true;
    });
  }
});
