// The exposition parser reads back every label value prom-client (the broker's metrics endpoint)
// writes, whatever it holds: escapes, NUL, braces, commas, quotes, line separators, 64 KiB.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Gauge, Registry } from 'prom-client';
import { parsePrometheusText } from '../../src/collect/scrape.ts';

const unit = fc.oneof(
  fc.constantFrom('\u0000', '\\', '"', '\n', '\r', '\t', '{', '}', ',', '=', ' ', '\u2028', '\u0085', '\u00a0', '#', 'n', '\\n'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const value = fc.oneof(
  { weight: 9, arbitrary: fc.string({ unit, maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit, minLength: 1, maxLength: 3 }).map((s) => s.repeat(Math.ceil(65_536 / s.length))) },
);

test('client ids and users of any characters come back from the text format unchanged', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.tuple(value, value), { minLength: 1, maxLength: 6, selector: (e) => JSON.stringify(e) }), async (entities) => {
      const registry = new Registry();
      const gauge = new Gauge({ name: 'kafka_server_produce_byte_rate', help: 'x', labelNames: ['user', 'client_id'], registers: [registry] });
      entities.forEach(([user, client], i) => gauge.set({ user, client_id: client }, i));
      const { samples, bad } = parsePrometheusText(await registry.metrics());
      assert.equal(bad, 0);
      assert.deepEqual(
        samples.map((s) => [s.labels.user, s.labels.client_id, s.value]),
        entities.map(([user, client], i) => [user, client, i]),
      );
    }),
    { numRuns: 300 },
  );
});
