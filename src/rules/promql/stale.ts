/**
 * Prometheus's staleness marker: a NaN with one particular bit pattern, written when a series
 * disappears so that instant selectors stop returning it at once instead of after the lookback
 * delta. https://prometheus.io/docs/prometheus/latest/querying/basics/#staleness
 */

const bits = new BigUint64Array([0x7ff0000000000002n]);

/** Prometheus's staleness marker value (NaN with bit pattern 0x7ff0000000000002). */
export const STALE_NAN: number = new Float64Array(bits.buffer)[0]!;

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);

/**
 * True when `v` is the staleness marker, not just any NaN. The marker is a signalling NaN, and
 * some paths through the JS engine set its quiet bit (0x7ff8000000000002); that still counts.
 */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  scratch[0] = v;
  return scratchWords[0] === 2 && (scratchWords[1] === 0x7ff00000 || scratchWords[1] === 0x7ff80000);
}
