/**
 * Regex matching cost. The pathological selector of issue 13,
 * `count({__name__=~"([a-z_]|[a-z_]){0,K}X"}) > 0`, over 10,000 series in the store's head,
 * evaluated through the PromQL engine for K = 14, 21 and 28 (goal: K = 28 well under 1 s; time
 * must not grow with K). For comparison, JavaScript's backtracking RegExp on ONE series name for
 * small K, whose time doubles with each step of K. Then everyday selectors over the same series
 * with RE2 (automaton, or the literal shortcuts) and with native RegExp, and their ratio.
 *
 *   npm run bench:regex [-- --series 10000 --rounds 5]
 */
import { parseArgs } from 'node:util';
import { compileRegex } from '../src/regex.ts';
import { Engine } from '../src/rules/promql/index.ts';
import { Head } from '../src/store/head.ts';
import { SeriesCache } from '../src/store/series-cache.ts';

const { values } = parseArgs({ options: { series: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '5' } } });
const seriesCount = Number(values.series);
const rounds = Number(values.rounds);

const head = new Head();
const cache = new SeriesCache();
const names: string[] = [];
for (let i = 0; i < seriesCount; i++) {
  // Half the names end in X, so that a search for the literal X cannot rule them out and the
  // automaton runs over each; none matches (more than K letters come before the X).
  const name = `kafka_server_replica_manager_under_replicated_partitions_${String.fromCharCode(97 + (i % 26))}${i % 2 === 0 ? `_${i}` : 'X'}`;
  names.push(name);
  head.append(cache.ref(name, { cluster: 'c1' }), 0, 1);
}
const engine = new Engine();

/** Median ms of `rounds` runs of `fn`. */
async function median(fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

// One evaluation first, so that the first K measured does not also pay for warming the JIT.
await engine.instant('count({__name__=~"([a-z_]|[a-z_]){0,7}X"}) > 0', 0, head);
console.log(`pathological selector over ${seriesCount} series, PromQL engine on RE2 (median of ${rounds}):`);
for (const k of [14, 21, 28]) {
  const expr = `count({__name__=~"([a-z_]|[a-z_]){0,${k}}X"}) > 0`;
  const ms = await median(() => engine.instant(expr, 0, head));
  console.log(`  K=${k}: ${ms.toFixed(1)} ms`);
}

console.log('JavaScript RegExp (backtracking) on one series name, for comparison:');
let previous: number | undefined;
for (const k of [14, 16, 18, 20]) {
  const re = new RegExp(`^(?:([a-z_]|[a-z_]){0,${k}}X)$`);
  const ms = await median(() => re.test(names[0]!));
  console.log(`  K=${k}: ${ms.toFixed(1)} ms for 1 series${previous === undefined ? '' : ` (x${(ms / previous).toFixed(1)} per 2 steps of K)`}`);
  previous = ms;
}

console.log(`everyday selectors over ${seriesCount} names (median of ${rounds}):`);
// The first runs on the automaton; the other two take the literal shortcuts.
for (const everyday of ['kafka_server_(replica|broker)_.*|sluice_.*', 'kafka_server_replica_.*', `${names[0]}|${names[1]}|sluice_up`]) {
  const re2 = compileRegex(everyday);
  const native = new RegExp(`^(?:${everyday})$`);
  const re2Ms = await median(() => names.filter((n) => re2.matchesWhole(n)).length);
  const nativeMs = await median(() => names.filter((n) => native.test(n)).length);
  console.log(`  ${JSON.stringify(everyday.length > 60 ? `${everyday.slice(0, 57)}...` : everyday)}: RE2 ${re2Ms.toFixed(2)} ms, native RegExp ${nativeMs.toFixed(2)} ms (ratio ${(re2Ms / nativeMs).toFixed(2)})`);
}
const compileMs = await median(() => { for (let i = 0; i < 1000; i++) compileRegex(`kafka_${i}_.*|sluice_${i}`); });
console.log(`compiling 1000 distinct patterns: ${compileMs.toFixed(1)} ms (${(compileMs / 1000).toFixed(3)} ms each; repeated patterns come from a cache)`);
