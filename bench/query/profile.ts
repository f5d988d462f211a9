/**
 * Where Sluice's time went during a query's timed runs, from a V8 CPU profile (the inspector's
 * Profiler, as `node --cpu-prof` writes it): self time per part of the path (store read, PromQL
 * engine, the API's JSON, HTTP and the rest) and the costliest functions. Pure: profile in,
 * figures out.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** A .cpuprofile. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A profile's summary. */
export interface ProfileSummary {
  readonly totalMs: number;
  /** Self time per part, ms, largest first. */
  readonly parts: readonly { readonly part: string; readonly ms: number }[];
  /** Self time per function, ms, largest first. */
  readonly functions: readonly { readonly name: string; readonly ms: number }[];
}

/** The part of the path a function belongs to, by its file. */
function partOf(url: string, name: string): string {
  if (url.includes('/src/store/')) return 'store read (src/store)';
  if (url.includes('/src/rules/promql/')) return 'PromQL engine (src/rules/promql)';
  if (url.includes('/src/api/routes/prometheus/')) return 'API params + JSON (src/api/routes/prometheus)';
  if (/\/node_modules\/(pg|postgres-|@electric-sql\/)/.test(url)) return 'database driver (pg, PGlite)';
  if (url.includes('/node_modules/fastify') || url.includes('/node_modules/find-my-way') || url.includes('/node_modules/light-my-request')) return 'fastify';
  if (url.startsWith('node:')) return 'node internals (http, streams)';
  if (name === '(garbage collector)') return 'garbage collector';
  if (name === 'dispatch' && url === '') return 'the profiler itself';
  if (name === '(idle)') return 'idle (waiting: PostgreSQL, the client)';
  if (name === '(program)') return name;
  if (url === '') return `native (${name === '' ? 'anonymous' : 'V8 builtins'})`;
  return 'other JavaScript';
}

/** Self time by part and by function of `profile`. */
export function summarizeProfile(profile: CpuProfile, top = 12): ProfileSummary {
  const byId = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    total += us;
    const part = partOf(url, functionName);
    parts.set(part, (parts.get(part) ?? 0) + us);
    const file = url.replace(/^.*\/(src|node_modules)\//, '$1/');
    const name = `${functionName || '(anonymous)'}${file === '' ? '' : ` ${file}${lineNumber > 0 ? `:${lineNumber + 1}` : ''}`}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total / 1000,
    parts: sorted(parts).map(([part, us]) => ({ part, ms: us / 1000 })),
    functions: sorted(functions).slice(0, top).map(([name, us]) => ({ name, ms: us / 1000 })),
  };
}
