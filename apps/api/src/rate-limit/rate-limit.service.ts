import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type RateLimiter, rateLimitHeaders } from '@waiaas/cache';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../common/api-error.js';
import { RATE_LIMITER } from '../infra/tokens.js';

/**
 * Per-API-key rate limiting (fixed window in Redis, via @waiaas/cache's RateLimiter). The
 * counter key is a digest of the bearer token, so raw keys never reach Redis.
 */
@Injectable()
export class RateLimitService {
  constructor(@Inject(RATE_LIMITER) private readonly limiter: RateLimiter) {}

  /** Counts one request for `token`, sets the RateLimit-* headers, throws RATE_LIMITED when over. */
  async consume(token: string, reply: FastifyReply): Promise<void> {
    const keyId = createHash('sha256').update(token, 'utf8').digest('base64url').slice(0, 32);
    const result = await this.limiter.consume(keyId);
    const headers = rateLimitHeaders(result);
    for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
    if (!result.allowed) {
      throw new ApiError(
        'RATE_LIMITED',
        `At most ${result.limit} requests per ${this.limiter.windowSeconds} s per API key`,
        {
          headers,
        },
      );
    }
  }
}
