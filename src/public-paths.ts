/**
 * How the API names files of the server: relative to a stable place (`rules/host.yaml`,
 * `request/x.yaml`), never by absolute path, so that answers do not tell a caller how the server
 * is laid out and read the same wherever Sluice is installed.
 */
import { basename, isAbsolute, resolve } from 'node:path';

/** A directory of the server and the name the API shows for it. */
export type PublicPlace = readonly [dir: string, name: string];

/** `path` as the API shows it: `name/relative` under one of `places`, else its base name when absolute. */
export function publicPath(path: string, places: readonly PublicPlace[]): string {
  for (const [given, name] of places) {
    const dir = resolve(given); // without a trailing slash
    if (path.startsWith(`${dir}/`)) return `${name}/${path.slice(dir.length + 1)}`;
  }
  return isAbsolute(path) ? basename(path) : path;
}

/**
 * `value` with every absolute path under one of `places` written as `name/relative`, wherever it
 * sits in a string (file lists, `file;group` keys, messages naming `file:line:col`).
 */
export function withPublicPaths<T>(value: T, places: readonly PublicPlace[]): T {
  const rewrite = (s: string): string => {
    let out = s;
    for (const [dir, name] of places) out = out.replaceAll(`${resolve(dir)}/`, `${name}/`);
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return rewrite(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [rewrite(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
