/**
 * `@waiaas/cache`: the caching layer of WAIaaS. A {@link CacheService} with TTLs
 * from the seed's table ({@link CACHE_TTL}: balance 10 s, policy 5 min, rate limit 1 min,
 * agent 10 min), single-flight `getOrSet`, bigint-safe encoding and invalidation that reaches
 * every instance over Redis pub/sub; backed by Redis (single node or Cluster, ioredis) or, with
 * no Redis configured, by process memory. A Redis outage never throws: reads fall through to
 * the source and `health()` reports it. Also a per-key {@link RateLimiter} (Redis, with an
 * in-memory fallback). Start with {@link createCache}.
 */
export { createCache, resilientRedisOptions, DEFAULT_RATE_LIMIT_POINTS } from './create-cache.js';
export type { CreateCacheOptions, CacheBundle, ConsumedWithGeneration } from './create-cache.js';
export type {
  CacheService,
  CacheServiceOptions,
  CacheHealth,
  CacheServerInfo,
  CacheStats,
  CacheEvent,
  CacheOperation,
  InvalidationListener,
} from './cache.types.js';
export { RedisCacheService, INVALIDATION_CHANNEL } from './redis-cache.service.js';
export type { RedisCacheServiceOptions, L1Options } from './redis-cache.service.js';
export { MemoryCacheService } from './memory-cache.service.js';
export type { MemoryCacheServiceOptions } from './memory-cache.service.js';
export { RedisRateLimiter, MemoryRateLimiter, rateLimitHeaders } from './rate-limiter.js';
export type {
  ConsumedAndRead,
  RateLimiter,
  RateLimiterOptions,
  RateLimitResult,
} from './rate-limiter.js';
export {
  CACHE_TTL,
  CacheKeys,
  DEFAULT_TTL_SECONDS,
  buildTtlTable,
  keyspaceOf,
  resolveTtlSeconds,
} from './keys.js';
export type { CacheTtlTable } from './keys.js';
export { encodeCacheValue, decodeCacheValue } from './codec.js';
export { CacheError, isCacheError } from './errors.js';
export type { CacheErrorCode, CacheErrorContext } from './errors.js';
