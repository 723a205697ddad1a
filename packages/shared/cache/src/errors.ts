import { CodedError } from '@waiaas/shared';

/**
 * Stable error codes of `@waiaas/cache`. Clients may depend on them: never rename one once
 * shipped, only add new ones.
 *
 * @example
 * ```ts
 * const code: CacheErrorCode = 'CACHE_INVALID_TTL';
 * ```
 */
export type CacheErrorCode =
  | 'CACHE_VALUE_NOT_ENCODABLE'
  | 'CACHE_INVALID_TTL'
  | 'CACHE_INVALID_KEY'
  | 'CACHE_INVALID_CONFIG'
  | 'CACHE_UNAVAILABLE';

/**
 * Typed context carried by each code.
 *
 * @example
 * ```ts
 * if (isCacheError(e, 'CACHE_VALUE_NOT_ENCODABLE')) e.context.path; // typed by code
 * ```
 */
export interface CacheErrorContext {
  /** The value (or a part of it, at `path`) cannot be stored faithfully. */
  CACHE_VALUE_NOT_ENCODABLE: { key: string; path: string; found: string };
  /** A TTL that is not a positive, finite number of seconds. */
  CACHE_INVALID_TTL: { key: string; ttlSeconds: number };
  /** An empty key, or one that is not a string. */
  CACHE_INVALID_KEY: { key: string };
  /** A factory/constructor option that cannot work. */
  CACHE_INVALID_CONFIG: { option: string; reason: string };
  /** Redis could not be reached at start-up (fail fast). Never includes credentials. */
  CACHE_UNAVAILABLE: { target: string; reason: string };
}

/**
 * The one error class of `@waiaas/cache`. It is thrown only for mistakes a caller can fix
 * (configuration, an unstorable value) and for an unreachable Redis at start-up; a Redis
 * outage at run time never throws (reads miss, writes are best effort).
 *
 * @example
 * ```ts
 * try {
 *   await cache.set('agent:1', { onRevoke: () => {} });
 * } catch (e) {
 *   if (isCacheError(e, 'CACHE_VALUE_NOT_ENCODABLE')) console.error(e.context.path);
 * }
 * ```
 */
export class CacheError<C extends CacheErrorCode = CacheErrorCode> extends CodedError<
  CacheErrorContext,
  C
> {
  override readonly name = 'CacheError';
}

/**
 * True when `error` is a {@link CacheError}, optionally with the given code (narrowing its
 * `context`).
 *
 * @example
 * ```ts
 * if (isCacheError(e, 'CACHE_INVALID_TTL')) log.warn({ ttl: e.context.ttlSeconds });
 * ```
 */
export function isCacheError<C extends CacheErrorCode>(
  error: unknown,
  code?: C,
): error is CacheError<C> {
  return error instanceof CacheError && (code === undefined || error.code === code);
}
