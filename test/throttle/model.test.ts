/** Load model fit: known coefficients recovered within 2%, poor fits reported as poor, fallbacks said. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capacityOf, fitLoadModel, predictUtilization, type LoadPoint } from '../../src/throttle/model.ts';

const MB = 1_000_000;
const nominal = { bytesInPerSec: 100 * MB, bytesOutPerSec: 200 * MB };

/** A deterministic pseudo-random sequence (so the data, and the test, are the same every run). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

function synthetic(n: number, noise: number, seed = 7): LoadPoint[] {
  const r = lcg(seed);
  return Array.from({ length: n }, () => {
    const bytesIn = (10 + 50 * r()) * MB;
    const bytesOut = (20 + 80 * r()) * MB;
    const requests = 1000 + 4000 * r();
    const utilization = 0.05 + 6e-9 * bytesIn + 2e-9 * bytesOut + 2e-5 * requests + noise * (r() - 0.5);
    return { bytesIn, bytesOut, requests, utilization };
  });
}

test('recovers known coefficients within 2% from synthetic data', () => {
  const m = fitLoadModel(synthetic(120, 0.002), nominal);
  assert.equal(m.kind, 'fit');
  const within = (got: number, want: number) => assert.ok(Math.abs(got - want) / want < 0.02, `${got} vs ${want}`);
  within(m.coefficients.bytesIn, 6e-9);
  within(m.coefficients.bytesOut, 2e-9);
  within(m.coefficients.requests, 2e-5);
  within(m.intercept, 0.05);
  assert.ok(m.r2 > 0.99, `R² ${m.r2}`);
  assert.ok(m.residualStd < 0.001, `residual std ${m.residualStd}`);
  assert.equal(m.samples, 120);
});

test('a fit to noise is reported as poor', () => {
  const r = lcg(11);
  const noise = synthetic(100, 0).map((p) => ({ ...p, utilization: 0.3 + 0.4 * r() }));
  const m = fitLoadModel(noise, nominal);
  assert.equal(m.kind, 'fit');
  assert.ok(m.r2 < 0.1, `R² ${m.r2}`);
  assert.ok(m.residualStd > 0.1, `residual std ${m.residualStd}`);
});

test('too few points, or traffic that does not vary, fall back to fixed weights and say why', () => {
  const few = fitLoadModel(synthetic(5, 0), nominal);
  assert.equal(few.kind, 'fixed');
  assert.equal(few.reason, '5 samples, fewer than the 12 a fit needs: fixed weights from nominal capacity');
  assert.deepEqual(few.coefficients, { bytesIn: 1 / (100 * MB), bytesOut: 1 / (200 * MB), requests: 0 });
  const flat = fitLoadModel(Array.from({ length: 30 }, () => ({ bytesIn: 10 * MB, bytesOut: 20 * MB, requests: 500, utilization: 0.2 })), nominal);
  assert.equal(flat.kind, 'fixed');
  assert.equal(flat.reason, 'traffic did not vary over the window (relative spread in 0.000, out 0.000): fixed weights from nominal capacity');
});

test('an input that does not vary is left out of the fit, not given an arbitrary weight', () => {
  const points = synthetic(60, 0).map((p) => ({ ...p, requests: 2000, utilization: 0.05 + 6e-9 * p.bytesIn + 2e-9 * p.bytesOut }));
  const m = fitLoadModel(points, nominal);
  assert.equal(m.kind, 'fit');
  assert.equal(m.coefficients.requests, 0);
  assert.equal(m.reason, 'regression; requests did not vary and were left out');
  assert.ok(Math.abs(m.coefficients.bytesIn - 6e-9) / 6e-9 < 0.02);
});

test('capacity: the bytes in at which predicted utilization reaches the target, less the margin', () => {
  const m = fitLoadModel(synthetic(120, 0), nominal);
  const current = { bytesIn: 20 * MB, bytesOut: 50 * MB, requests: 2000 };
  // 0.7 = 0.05 + 6e-9·x + 2e-9·50e6 + 2e-5·2000 → x = (0.7 − 0.05 − 0.1 − 0.04) / 6e-9 = 85 MB/s.
  assert.ok(Math.abs(capacityOf(m, 'bytesIn', 0.7, current, 0) - 85 * MB) < 0.01 * MB);
  assert.ok(Math.abs(predictUtilization(m, current) - 0.31) < 1e-6);
  assert.equal(capacityOf({ ...m, coefficients: { ...m.coefficients, bytesIn: 0 } }, 'bytesIn', 0.7, current), Infinity);
  assert.equal(capacityOf(m, 'bytesIn', 0.1, current, 0), 0);
});
