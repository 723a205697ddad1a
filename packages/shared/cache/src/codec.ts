import superjson from 'superjson';
import { CacheError } from './errors.js';

// Encoding is superjson (tRPC's serializer, well kept) rather than a hand-rolled tagged
// JSON reviver: it round-trips bigint, Date, Map, Set, undefined-in-objects and shared
// references, and keeps type tags out of band (in `meta`), so a user object that happens to
// look like a tag (`{ $bigint: '1' }`) can never be mis-decoded.

/** What the cache stores faithfully: JSON plus bigint, Date, Map, Set, RegExp, URL. */
const SUPPORTED_CLASSES: readonly (new (...args: never[]) => unknown)[] = [
  Date,
  Map,
  Set,
  RegExp,
  URL,
];

/**
 * superjson silently drops functions and symbols and turns class instances (a
 * `Prisma.Decimal`, say) into plain objects; a cache must not hand back something other than
 * what was stored, so such values are refused up front with the path that offends.
 */
function assertEncodable(key: string, value: unknown, path: string, seen: WeakSet<object>): void {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
      return;
    case 'undefined':
      // Top-level undefined means "miss" to get(); nested undefined round-trips.
      if (path === '$') fail(key, path, 'undefined');
      return;
    case 'function':
    case 'symbol':
      fail(key, path, typeof value);
  }
  if (value === null) return;
  const object = value as object;
  if (seen.has(object)) return;
  seen.add(object);
  if (Array.isArray(object)) {
    object.forEach((item, i) => assertEncodable(key, item, `${path}[${i}]`, seen));
    return;
  }
  if (object instanceof Map) {
    for (const [k, v] of object) {
      assertEncodable(key, k, `${path}<key>`, seen);
      assertEncodable(key, v, `${path}.get(${String(k)})`, seen);
    }
    return;
  }
  if (object instanceof Set) {
    for (const item of object) assertEncodable(key, item, `${path}<item>`, seen);
    return;
  }
  if (SUPPORTED_CLASSES.some((cls) => object instanceof cls)) return;
  const proto = Object.getPrototypeOf(object) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const name = (object.constructor as { name?: string } | undefined)?.name ?? 'unknown class';
    fail(key, path, `instance of ${name}`);
  }
  for (const [k, v] of Object.entries(object)) assertEncodable(key, v, `${path}.${k}`, seen);
}

function fail(key: string, path: string, found: string): never {
  throw new CacheError(
    'CACHE_VALUE_NOT_ENCODABLE',
    { key, path, found },
    `Cache value for "${key}" is not encodable: ${found} at ${path}`,
  );
}

/**
 * Encodes a value for storage (superjson), refusing what would not come back identical.
 *
 * @throws {CacheError} `CACHE_VALUE_NOT_ENCODABLE`
 * @example
 * ```ts
 * const raw = encodeCacheValue('balance:abc', { lamports: 5n });
 * decodeCacheValue(raw); // { lamports: 5n }
 * ```
 */
export function encodeCacheValue(key: string, value: unknown): string {
  assertEncodable(key, value, '$', new WeakSet());
  return superjson.stringify(value);
}

/**
 * Decodes what {@link encodeCacheValue} produced.
 *
 * @example
 * ```ts
 * decodeCacheValue<{ n: bigint }>(encodeCacheValue('k', { n: 1n })).n; // 1n
 * ```
 */
export function decodeCacheValue<T>(raw: string): T {
  return superjson.parse<T>(raw);
}
