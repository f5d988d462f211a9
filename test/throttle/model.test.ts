/**
 * Load models: the network resources are identities, handlers are fitted with non-negative
 * coefficients (known ones recovered within 2%), collinear bytes in and out share one coefficient,
 * a poor fit is reported as poor, fallbacks say why, and utilization is the busiest resource's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { correlation, fitLoadModel, predictUtilization, resourcesAt, type LoadPoint } from '../../src/throttle/model.ts';

const MB = 1_000_000;
const network = { bytesInPerSec: 100 * MB, bytesOutPerSec: 200 * MB };

/** A deterministic pseudo-random sequence (so the data, and the test, are the same every run). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

function point(bytesIn: number, bytesOut: number, requests: number, handlers: number): LoadPoint {
  return { bytesIn, bytesOut, requests, handlers, utilization: Math.max(handlers, bytesIn / network.bytesInPerSec, bytesOut / network.bytesOutPerSec) };
}

function synthetic(n: number, noise: number, seed = 7): LoadPoint[] {
  const r = lcg(seed);
  return Array.from({ length: n }, () => {
    const bytesIn = (10 + 50 * r()) * MB;
    const bytesOut = (20 + 80 * r()) * MB;
    const requests = 1000 + 4000 * r();
    return point(bytesIn, bytesOut, requests, 0.05 + 6e-9 * bytesIn + 2e-9 * bytesOut + 2e-5 * requests + noise * (r() - 0.5));
  });
}

const within = (got: number, want: number) => assert.ok(Math.abs(got - want) / want < 0.02, `${got} vs ${want}`);

test('recovers known handler coefficients within 2% from synthetic data', () => {
  const m = fitLoadModel(synthetic(120, 0.002), network);
  assert.equal(m.kind, 'fit');
  within(m.coefficients.bytesIn, 6e-9);
  within(m.coefficients.bytesOut, 2e-9);
  within(m.coefficients.requests, 2e-5);
  within(m.intercept, 0.05);
  assert.ok(m.r2 > 0.99, `R² ${m.r2}`);
  assert.ok(m.residualStd < 0.001, `residual std ${m.residualStd}`);
  assert.equal(m.samples, 120);
  assert.equal(m.collinear, false);
  assert.equal(m.reason, 'handlers by non-negative least squares');
});

test('no coefficient comes out negative: more traffic never frees a handler', () => {
  // Handlers fall as bytes out rise (a coincidence of the window): least squares would say −3e-9 per byte out.
  const r = lcg(3);
  const points = Array.from({ length: 60 }, () => {
    const bytesIn = (10 + 50 * r()) * MB;
    const bytesOut = (20 + 80 * r()) * MB;
    return point(bytesIn, bytesOut, 1000 + 4000 * r(), 0.4 + 6e-9 * bytesIn - 3e-9 * bytesOut);
  });
  const m = fitLoadModel(points, network);
  assert.equal(m.kind, 'fit');
  assert.equal(m.coefficients.bytesOut, 0);
  assert.ok(m.coefficients.bytesIn >= 0 && m.coefficients.requests >= 0 && m.intercept >= 0, JSON.stringify(m.coefficients));
});

test('bytes in and out that move together are fitted as one input, and the model says so', () => {
  // A consumer group reads everything produced: out = 2 × in, give or take 1%.
  const r = lcg(5);
  const points = Array.from({ length: 40 }, () => {
    const bytesIn = (10 + 50 * r()) * MB;
    const bytesOut = 2 * bytesIn * (1 + 0.01 * (r() - 0.5));
    return point(bytesIn, bytesOut, 2000, 0.02 + 3e-9 * (bytesIn + bytesOut));
  });
  const m = fitLoadModel(points, network);
  assert.equal(m.collinear, true);
  assert.ok(m.inOutCorrelation > 0.99, `correlation ${m.inOutCorrelation}`);
  assert.equal(m.coefficients.bytesIn, m.coefficients.bytesOut);
  within(m.coefficients.bytesIn, 3e-9);
  assert.equal(m.coefficients.requests, 0);
  assert.match(m.reason, /^handlers by non-negative least squares; bytes in and out moved together \(correlation 1\.00\): one coefficient for their sum; requests did not vary and were left out$/);
});

test('a fit to noise is reported as poor', () => {
  const r = lcg(11);
  const noise = synthetic(100, 0).map((p) => ({ ...p, handlers: 0.3 + 0.4 * r() }));
  const m = fitLoadModel(noise, network);
  assert.equal(m.kind, 'fit');
  assert.ok(m.r2 < 0.1, `R² ${m.r2}`);
  assert.ok(m.residualStd > 0.1, `residual std ${m.residualStd}`);
});

test('too few points, or traffic that does not vary, leave handlers unmodelled and say why', () => {
  const few = fitLoadModel(synthetic(5, 0), network);
  assert.equal(few.kind, 'fixed');
  assert.equal(few.reason, '5 samples, fewer than the 12 a fit needs: handlers not modelled, the network bounds traffic');
  assert.deepEqual([few.coefficients, few.intercept, few.network], [{ bytesIn: 0, bytesOut: 0, requests: 0 }, 0, network]);
  const flat = fitLoadModel(Array.from({ length: 30 }, () => point(10 * MB, 20 * MB, 500, 0.2)), network);
  assert.equal(flat.kind, 'fixed');
  assert.equal(flat.reason, 'traffic did not vary over the window (relative spread in 0.000, out 0.000): handlers not modelled, the network bounds traffic');
});

test('utilization is the busiest resource\'s, never the sum', () => {
  const m = fitLoadModel(synthetic(120, 0), network);
  const traffic = { bytesIn: 20 * MB, bytesOut: 50 * MB, requests: 2000 };
  // Handlers: 0.05 + 0.12 + 0.1 + 0.04 = 0.31; network in 0.2, out 0.25.
  const r = resourcesAt(m, traffic);
  assert.ok(Math.abs(r.handlers! - 0.31) < 1e-6 && r.networkIn === 0.2 && r.networkOut === 0.25, JSON.stringify(r));
  assert.ok(Math.abs(predictUtilization(m, traffic) - 0.31) < 1e-6);
  assert.equal(predictUtilization(m, { ...traffic, bytesIn: 80 * MB }), 0.8, 'network in at 80 of 100 MB/s is over the handlers\' 0.67');
  const fixed = fitLoadModel([], network);
  assert.equal(predictUtilization(fixed, traffic), 0.25, 'network only: out at 50 of 200 MB/s');
});

test('correlation: 1 for a line, −1 for a falling one, NaN when a side is flat', () => {
  assert.equal(correlation([1, 2, 3], [2, 4, 6]), 1);
  assert.equal(correlation([1, 2, 3], [6, 4, 2]), -1);
  assert.ok(Number.isNaN(correlation([1, 2, 3], [5, 5, 5])));
});
