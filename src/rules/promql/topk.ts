/**
 * topk and bottomk. Which of several equal values is kept follows from the order series arrive
 * in and the binary heap Prometheus keeps (a newcomer replaces the heap's root only when strictly
 * better), so the heap here works the same way: sift-up on push, sift-down then sift-up on fix.
 * https://prometheus.io/docs/prometheus/latest/querying/operators/#aggregation-operators
 */
import type { VectorSample } from './context.ts';

type Less = (a: VectorSample, b: VectorSample) => boolean;

/** Heap order of topk: NaN is smallest, so any number displaces it. */
const topLess: Less = (a, b) => Number.isNaN(a.value) || a.value < b.value;
/** Heap order of bottomk: NaN is largest. */
const bottomLess: Less = (a, b) => Number.isNaN(a.value) || a.value > b.value;

/** The k largest samples, largest first (NaN last). */
export function topkHeap(samples: readonly VectorSample[], k: number): VectorSample[] {
  return select(samples, k, topLess, (root, s) => root.value < s.value || (Number.isNaN(root.value) && !Number.isNaN(s.value)), (a, b) => cmpDesc(a, b));
}

/** The k smallest samples, smallest first (NaN last, as in Prometheus). */
export function bottomkHeap(samples: readonly VectorSample[], k: number): VectorSample[] {
  return select(samples, k, bottomLess, (root, s) => root.value > s.value || (Number.isNaN(root.value) && !Number.isNaN(s.value)), (a, b) => cmpAsc(a, b));
}

function cmpDesc(a: VectorSample, b: VectorSample): number {
  if (Number.isNaN(a.value)) return Number.isNaN(b.value) ? 0 : 1;
  if (Number.isNaN(b.value)) return -1;
  return b.value - a.value;
}

function cmpAsc(a: VectorSample, b: VectorSample): number {
  if (Number.isNaN(a.value)) return Number.isNaN(b.value) ? 0 : 1;
  if (Number.isNaN(b.value)) return -1;
  return a.value - b.value;
}

function select(samples: readonly VectorSample[], k: number, less: Less, replaces: (root: VectorSample, s: VectorSample) => boolean, order: (a: VectorSample, b: VectorSample) => number): VectorSample[] {
  const heap: VectorSample[] = [];
  for (const s of samples) {
    if (heap.length < k) {
      heap.push(s);
      up(heap, heap.length - 1, less);
    } else if (replaces(heap[0]!, s)) {
      heap[0] = s;
      if (!down(heap, 0, less)) up(heap, 0, less);
    }
  }
  return heap.sort(order);
}

function up(h: VectorSample[], j: number, less: Less): void {
  while (j > 0) {
    const i = (j - 1) >> 1;
    if (!less(h[j]!, h[i]!)) break;
    [h[i], h[j]] = [h[j]!, h[i]!];
    j = i;
  }
}

function down(h: VectorSample[], i0: number, less: Less): boolean {
  let i = i0;
  const n = h.length;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h[j2]!, h[j1]!)) j = j2;
    if (!less(h[j]!, h[i]!)) break;
    [h[i], h[j]] = [h[j]!, h[i]!];
    i = j;
  }
  return i > i0;
}
