/**
 * Deep freezing of validated configuration: once checked, config is read by many modules and
 * changed by none, so a stray write fails loudly in strict mode instead of drifting silently.
 */

/** `T` with every nested property and list entry read-only. */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends ReadonlyMap<infer K, infer V>
    ? ReadonlyMap<K, DeepReadonly<V>>
    : T extends ReadonlySet<infer U>
      ? ReadonlySet<DeepReadonly<U>>
      : T extends readonly unknown[]
        ? { readonly [I in keyof T]: DeepReadonly<T[I]> }
        : T extends object
          ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
          : T;

/**
 * Freezes `value` and every plain object and array reachable from it, in place, and returns it.
 * Other objects (Maps, Dates, class instances, buffers) are left as they are: freezing them
 * would not stop their methods from changing them.
 */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  freezeInto(value, new Set());
  return value as DeepReadonly<T>;
}

function freezeInto(value: unknown, seen: Set<object>): void {
  if (typeof value !== 'object' || value === null || seen.has(value) || !isPlainContainer(value)) return;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) freezeInto((value as Record<PropertyKey, unknown>)[key], seen);
  Object.freeze(value);
}

function isPlainContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
