import { Inject, Injectable } from '@nestjs/common';
import {
  type CacheBundle,
  type ConsumedWithGeneration,
  type RateLimiter,
  type RateLimitResult,
  rateLimitHeaders,
} from '@waiaas/cache';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../common/api-error.js';
import { CACHE_BUNDLE } from '../infra/tokens.js';

/**
 * Per-API-key rate limiting (fixed window in Redis, via @waiaas/cache's RateLimiter). Counted
 * only for keys that are known (unknown keys are limited per client address instead, by
 * {@link AuthFailureLimiter}); the counter key is the key's SHA-256, so raw keys never reach
 * Redis. Taking and applying are separate so that the count can travel in the same command
 * as the principal's access generation, and the verdict wait until the key is known good.
 */
@Injectable()
export class RateLimitService {
  private readonly limiter: RateLimiter;

  constructor(@Inject(CACHE_BUNDLE) private readonly bundle: CacheBundle) {
    this.limiter = bundle.rateLimiter;
  }

  /** Counts one request for the key whose SHA-256 (hex) is `keyHash`. */
  take(keyHash: string): Promise<RateLimitResult> {
    return this.limiter.consume(counterOf(keyHash));
  }

  /**
   * {@link take}, and the token of the cache generation `generationKey`, in one Redis command.
   */
  takeWithGeneration(keyHash: string, generationKey: string): Promise<ConsumedWithGeneration> {
    return this.bundle.consumeWithGeneration(counterOf(keyHash), generationKey);
  }

  /** Sets the RateLimit-* headers; throws RATE_LIMITED when `result` is over the limit. */
  apply(result: RateLimitResult, reply: FastifyReply): void {
    const headers = rateLimitHeaders(result);
    void reply.headers(headers);
    if (!result.allowed) {
      throw new ApiError(
        'RATE_LIMITED',
        `At most ${result.limit} requests per ${this.limiter.windowSeconds} s per API key`,
        { headers },
      );
    }
  }
}

/** The counter of a key: half its SHA-256 (hex), plenty to tell keys apart. */
function counterOf(keyHash: string): string {
  return keyHash.slice(0, 32);
}
