import { Inject, Injectable } from '@nestjs/common';
import { type CacheBundle, type RateLimiter, rateLimitHeaders } from '@waiaas/cache';
import { LRUCache } from 'lru-cache';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CACHE_BUNDLE } from '../infra/tokens.js';

/**
 * Failed authentications per client address (Fastify's `request.ip`: the socket's address,
 * or the forwarded one when TRUST_PROXY says the proxy is trusted). Past the limit, keys from
 * that address that are not already known are refused with 429 before any database lookup,
 * so a flood of random keys costs a Redis read and a refusal, not a query each.
 *
 * The count is shared through Redis; the verdict is also kept in process until the window
 * ends, so once an address is over the limit its refusals cost no round trip at all. They are
 * also held back for a moment ({@link HOLD_MS}) before they are sent: a client that sends its
 * next request when the last is answered (as floods do) is slowed to one a second per
 * connection, so a flood cannot crowd other tenants out of the process. The wait is a timer,
 * not work: nothing else waits on it.
 */
const HOLD_MS = 1000;

@Injectable()
export class AuthFailureLimiter {
  private readonly limiter: RateLimiter;
  /** Address → when its block ends (ms since the epoch). */
  private readonly blocked = new LRUCache<string, number>({ max: 100_000 });

  constructor(@Inject(CACHE_BUNDLE) bundle: CacheBundle, @Inject(APP_CONFIG) config: AppConfig) {
    this.limiter = bundle.createRateLimiter({
      points: config.rateLimit.authFailuresPerMinute,
      windowSeconds: 60,
      keyspace: 'authfail',
    });
  }

  /**
   * Rejects with RATE_LIMITED (with Retry-After), after holding the answer back a moment,
   * while `address` is over its failure limit.
   */
  async assertAllowed(address: string): Promise<void> {
    const until = this.blocked.get(address);
    if (until === undefined) return;
    const resetMs = until - Date.now();
    if (resetMs <= 0) {
      this.blocked.delete(address);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(HOLD_MS, resetMs)));
    throw this.refusal(until - Date.now());
  }

  /** Counts a failed authentication from `address`. */
  async recordFailure(address: string): Promise<void> {
    const result = await this.limiter.consume(address);
    // Blocked from the failure that uses the last point: at most `limit` lookups a window.
    if (!result.allowed || result.remaining === 0)
      this.blocked.set(address, Date.now() + result.resetMs);
  }

  private refusal(resetMs: number): ApiError {
    return new ApiError(
      'RATE_LIMITED',
      `Too many failed authentications from this address; retry in ${Math.ceil(resetMs / 1000)} s`,
      {
        headers: rateLimitHeaders({
          allowed: false,
          limit: this.limiter.limit,
          remaining: 0,
          resetMs,
          retryAfterMs: resetMs,
        }),
      },
    );
  }
}
