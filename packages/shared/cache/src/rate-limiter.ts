import type { Cluster, Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { CacheError } from './errors.js';
import { CACHE_TTL } from './keys.js';

// Rate limiting is `rate-limiter-flexible` rather than our own Lua script: its Redis
// limiter is one atomic script per request (SET NX + INCRBY + PTTL), it is widely used and
// maintained, works with ioredis single node and Cluster (one key per call), refuses to
// queue on a client that is not ready (`rejectIfRedisNotReady`), and takes an
// `insuranceLimiter` that answers from process memory while Redis is down, so an outage
// degrades to per-instance limits instead of no limits or no service.

/**
 * The numbers an HTTP layer needs for `RateLimit-*` and `Retry-After` headers.
 *
 * @example
 * ```ts
 * const r = await limiter.consume(apiKeyId);
 * if (!r.allowed) reply.header('Retry-After', Math.ceil(r.retryAfterMs! / 1000));
 * ```
 */
export interface RateLimitResult {
  /** False when this request is over the limit (answer 429). */
  allowed: boolean;
  /** Points allowed per window. */
  limit: number;
  /** Points left in the current window (0 when denied). */
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
  /** When denied: milliseconds to wait before retrying. */
  retryAfterMs?: number;
}

/**
 * A fixed-window limiter per key (an API key id, say): `limit` points per `windowSeconds`.
 *
 * @example
 * ```ts
 * const r = await limiter.consume(apiKeyId);
 * reply.headers(rateLimitHeaders(r));
 * if (!r.allowed) return reply.code(429).send(problem);
 * ```
 */
export interface RateLimiter {
  /** Points per window. */
  readonly limit: number;
  /** Window length in seconds. */
  readonly windowSeconds: number;
  /**
   * Takes `points` (default 1) from `key`'s budget. Never throws for a store outage (the
   * Redis limiter then counts in process memory).
   * @throws {CacheError} `CACHE_INVALID_CONFIG` for points that are not a positive integer,
   *   `CACHE_INVALID_KEY` for an empty key
   */
  consume(key: string, points?: number): Promise<RateLimitResult>;
  /** Forgets `key`'s usage (e.g. after rotating a key). Best effort. */
  reset(key: string): Promise<void>;
}

/**
 * Options of the rate limiters.
 *
 * @example
 * ```ts
 * new MemoryRateLimiter({ points: 1200, windowSeconds: 60, keyspace: 'ratelimit' });
 * ```
 */
export interface RateLimiterOptions {
  /** Points per window, e.g. 1200 requests a minute. */
  points: number;
  /** Window in whole seconds. Default 60 (the seed's `ratelimit` TTL). */
  windowSeconds?: number;
  /** Keyspace of the counters; keys are `<prefix><keyspace>:<key>`. Default `'ratelimit'`. */
  keyspace?: string;
  /** Deployment prefix, as for the cache (e.g. `'waiaas:'`). */
  prefix?: string;
}

abstract class FlexibleRateLimiter implements RateLimiter {
  readonly limit: number;
  readonly windowSeconds: number;
  protected abstract readonly limiter: RateLimiterAbstract;

  protected constructor(options: RateLimiterOptions) {
    this.limit = options.points;
    this.windowSeconds = options.windowSeconds ?? CACHE_TTL.ratelimit;
    assertPositiveInteger('points', this.limit);
    assertPositiveInteger('windowSeconds', this.windowSeconds);
  }

  async consume(key: string, points = 1): Promise<RateLimitResult> {
    if (typeof key !== 'string' || key.length === 0) {
      throw new CacheError('CACHE_INVALID_KEY', { key: String(key) }, 'Invalid rate-limit key');
    }
    assertPositiveInteger('points', points);
    try {
      const res = await this.limiter.consume(key, points);
      return {
        allowed: true,
        limit: this.limit,
        remaining: res.remainingPoints,
        resetMs: res.msBeforeNext,
      };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const resetMs = Math.max(0, rejection.msBeforeNext);
        return { allowed: false, limit: this.limit, remaining: 0, resetMs, retryAfterMs: resetMs };
      }
      // Only reachable if the insurance limiter itself failed: fail open rather than turn a
      // limiter fault into an outage of the whole API.
      return {
        allowed: true,
        limit: this.limit,
        remaining: this.limit,
        resetMs: this.windowSeconds * 1000,
      };
    }
  }

  async reset(key: string): Promise<void> {
    try {
      await this.limiter.delete(key);
    } catch {
      // Best effort, as every store write.
    }
  }
}

/**
 * {@link RateLimiter} shared by every instance through Redis (single node or Cluster), with
 * an in-memory insurance limiter while Redis is down.
 *
 * @example
 * ```ts
 * const limiter = new RedisRateLimiter(client, { points: 1200, prefix: 'waiaas:' });
 * const { allowed, remaining } = await limiter.consume(apiKeyId);
 * ```
 */
export class RedisRateLimiter extends FlexibleRateLimiter {
  protected readonly limiter: RateLimiterRedis;

  constructor(client: Redis | Cluster, options: RateLimiterOptions) {
    super(options);
    this.limiter = new RateLimiterRedis({
      storeClient: client,
      keyPrefix: `${options.prefix ?? ''}${options.keyspace ?? 'ratelimit'}`,
      points: this.limit,
      duration: this.windowSeconds,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ points: this.limit, duration: this.windowSeconds }),
    });
  }
}

/**
 * {@link RateLimiter} in process memory, for running without Redis.
 *
 * @example
 * ```ts
 * const limiter = new MemoryRateLimiter({ points: 1200 });
 * await limiter.consume(apiKeyId);
 * ```
 */
export class MemoryRateLimiter extends FlexibleRateLimiter {
  protected readonly limiter: RateLimiterMemory;

  constructor(options: RateLimiterOptions) {
    super(options);
    this.limiter = new RateLimiterMemory({
      keyPrefix: `${options.prefix ?? ''}${options.keyspace ?? 'ratelimit'}`,
      points: this.limit,
      duration: this.windowSeconds,
    });
  }
}

/**
 * HTTP headers for a result: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
 * (seconds, rounded up; IETF draft-ietf-httpapi-ratelimit-headers) and, when denied,
 * `Retry-After` (seconds, RFC 9110).
 *
 * @example
 * ```ts
 * rateLimitHeaders({ allowed: false, limit: 10, remaining: 0, resetMs: 1500, retryAfterMs: 1500 });
 * // { 'RateLimit-Limit': '10', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '2', 'Retry-After': '2' }
 * ```
 */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(result.limit),
    'RateLimit-Remaining': String(result.remaining),
    'RateLimit-Reset': String(Math.ceil(result.resetMs / 1000)),
  };
  if (!result.allowed) {
    headers['Retry-After'] = String(
      Math.max(1, Math.ceil((result.retryAfterMs ?? result.resetMs) / 1000)),
    );
  }
  return headers;
}

function assertPositiveInteger(option: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new CacheError(
      'CACHE_INVALID_CONFIG',
      { option, reason: 'must be a positive integer' },
      `Invalid rate limiter ${option}: ${String(value)}`,
    );
  }
}
