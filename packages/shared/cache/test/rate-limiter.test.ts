import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createTestRedis, recordRedisCommands, type TestRedis } from '@waiaas/testing';
import { Redis } from 'ioredis';
import {
  type CacheBundle,
  createCache,
  isCacheError,
  MemoryRateLimiter,
  rateLimitHeaders,
  type RateLimiter,
  RedisRateLimiter,
  resilientRedisOptions,
} from '../src/index.js';

const backends = [
  {
    name: 'redis',
    make: (redis: TestRedis, points: number) =>
      createCache({ redisUrl: redis.url, prefix: redis.prefix, rateLimit: { points } }),
  },
  {
    name: 'memory',
    make: (redis: TestRedis, points: number) =>
      createCache({ prefix: redis.prefix, rateLimit: { points } }),
  },
] as const;

describe.each(backends)('RateLimiter ($name)', ({ make }) => {
  let redis: TestRedis;
  let bundle: CacheBundle;
  let limiter: RateLimiter;

  beforeEach(async () => {
    redis = createTestRedis();
    bundle = await make(redis, 5);
    limiter = bundle.rateLimiter;
  });

  afterEach(async () => {
    await bundle.close();
    await redis.cleanup();
  });

  it('allows N per window, then denies with remaining 0 and a retry time', async () => {
    expect(limiter.limit).toBe(5);
    expect(limiter.windowSeconds).toBe(60);
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await limiter.consume('key-a'));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    for (const r of results) {
      expect(r.limit).toBe(5);
      expect(r.resetMs).toBeGreaterThan(0);
      expect(r.resetMs).toBeLessThanOrEqual(60_000);
    }
    const denied = results[5]!;
    expect(denied.retryAfterMs).toBe(denied.resetMs);
    expect(results[0]!.retryAfterMs).toBeUndefined();
    // Other keys have their own budget.
    expect(await limiter.consume('key-b')).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('consumes several points at once and refuses bad input with a CacheError', async () => {
    expect(await limiter.consume('key-c', 3)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await limiter.consume('key-c', 3)).toMatchObject({ allowed: false, remaining: 0 });
    const bad: unknown = await limiter.consume('key-c', 0).catch((e: unknown) => e);
    expect(isCacheError(bad, 'CACHE_INVALID_CONFIG')).toBe(true);
    const badKey: unknown = await limiter.consume('').catch((e: unknown) => e);
    expect(isCacheError(badKey, 'CACHE_INVALID_KEY')).toBe(true);
  });

  it('reset gives a key its whole budget back', async () => {
    for (let i = 0; i < 5; i++) await limiter.consume('key-d');
    expect((await limiter.consume('key-d')).allowed).toBe(false);
    await limiter.reset('key-d');
    expect(await limiter.consume('key-d')).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('consumeWithGeneration counts in the same window as consume and reads the generation cache.generation reads', async () => {
    // No token yet: the first read creates it, and every reader after agrees on it.
    const first = await bundle.consumeWithGeneration('key-g', 'access:owner-g');
    expect(first.rate).toMatchObject({ allowed: true, remaining: 4 });
    expect(first.generation).toEqual(expect.any(String));
    expect(await bundle.cache.generation('access:owner-g')).toBe(first.generation);
    // One budget, whichever way it is taken.
    expect(await limiter.consume('key-g')).toMatchObject({ allowed: true, remaining: 3 });
    const third = await bundle.consumeWithGeneration('key-g', 'access:owner-g');
    expect(third).toEqual({
      rate: expect.objectContaining({ allowed: true, remaining: 2 }),
      generation: first.generation,
    });
    // A bump is seen by the very next read.
    await bundle.cache.bumpGeneration('access:owner-g');
    const bumped = await bundle.consumeWithGeneration('key-g', 'access:owner-g');
    expect(bumped.generation).not.toBe(first.generation);
    expect(bumped.generation).toBe(await bundle.cache.generation('access:owner-g'));
    // Over the limit it still answers the generation (the caller decides what to refuse).
    await bundle.consumeWithGeneration('key-g', 'access:owner-g');
    const over = await bundle.consumeWithGeneration('key-g', 'access:owner-g');
    expect(over.rate).toMatchObject({ allowed: false, remaining: 0 });
    expect(over.rate.retryAfterMs).toBe(over.rate.resetMs);
    expect(over.generation).toBe(bumped.generation);
    const badKey: unknown = await bundle
      .consumeWithGeneration('', 'access:owner-g')
      .catch((e: unknown) => e);
    expect(isCacheError(badKey, 'CACHE_INVALID_KEY')).toBe(true);
  });

  it('a short window resets', async () => {
    const fast = bundle.createRateLimiter({ points: 1, windowSeconds: 1, keyspace: 'rl-fast' });
    expect((await fast.consume('k')).allowed).toBe(true);
    const denied = await fast.consume('k');
    expect(denied.allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, denied.resetMs + 50));
    expect((await fast.consume('k')).allowed).toBe(true);
  });
});

describe('RedisRateLimiter across instances', () => {
  let redis: TestRedis;
  let clients: Redis[];

  beforeEach(async () => {
    redis = createTestRedis();
    clients = [
      new Redis(redis.url, resilientRedisOptions()),
      new Redis(redis.url, resilientRedisOptions()),
    ];
    await Promise.all(clients.map((c) => c.connect()));
  });

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.quit()));
    await redis.cleanup();
  });

  it('two instances share one budget per key, stored under the prefix', async () => {
    const [one, two] = clients.map(
      (c) => new RedisRateLimiter(c, { points: 4, prefix: redis.prefix }),
    ) as [RedisRateLimiter, RedisRateLimiter];
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(await one.consume('shared'));
      results.push(await two.consume('shared'));
    }
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, false, false]);
    expect(results.map((r) => r.remaining)).toEqual([3, 2, 1, 0, 0, 0]);
    const ttl = await clients[0]!.pttl(`${redis.prefix}ratelimit:shared`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('counts in the counter the library-based limiter kept: a window opened before an upgrade carries on', async () => {
    const limiter = new RedisRateLimiter(clients[0]!, { points: 10, prefix: redis.prefix });
    const counter = `${redis.prefix}ratelimit:carried`;
    await clients[1]!.set(counter, '7', 'EX', 30);
    expect(await limiter.consume('carried')).toMatchObject({ allowed: true, remaining: 2 });
    expect(await clients[1]!.get(counter)).toBe('8');
    // A counter that lost its expiry gets the window back instead of counting forever.
    await clients[1]!.set(`${redis.prefix}ratelimit:stuck`, '3');
    const stuck = await limiter.consume('stuck');
    expect(stuck).toMatchObject({ allowed: true, remaining: 6, resetMs: 60_000 });
    expect(await clients[1]!.pttl(`${redis.prefix}ratelimit:stuck`)).toBeGreaterThan(0);
  });

  it('consumeAndGet is one command for the count and the read, and reads a key that is not a string as absent', async () => {
    const limiter = new RedisRateLimiter(clients[0]!, { points: 5, prefix: redis.prefix });
    await limiter.consume('warm'); // the script is loaded on this connection
    const other = `${redis.prefix}access:one-command`;
    await clients[1]!.set(other, 'token-1');
    const recorder = await recordRedisCommands(redis.url, redis.prefix, ['::instances']);
    try {
      const commands = await recorder.during(async () => {
        expect(await limiter.consumeAndGet('one', other)).toEqual({
          result: expect.objectContaining({ allowed: true, remaining: 4 }),
          value: 'token-1',
        });
      });
      expect(commands).toEqual([
        ['evalsha', expect.any(String), '2', `${redis.prefix}ratelimit:one`, other, '1', '60'],
      ]);
    } finally {
      await recorder.close();
    }
    await clients[1]!.del(other);
    expect((await limiter.consumeAndGet('one', other)).value).toBeNull();
    await clients[1]!.hset(other, 'not', 'a string');
    expect(await limiter.consumeAndGet('one', other)).toEqual({
      result: expect.objectContaining({ allowed: true, remaining: 2 }),
      value: null,
    });
  });

  it('in-process limiters do not share (which is why Redis is used when there is one)', async () => {
    const one = new MemoryRateLimiter({ points: 2 });
    const two = new MemoryRateLimiter({ points: 2 });
    await one.consume('k');
    await one.consume('k');
    expect((await one.consume('k')).allowed).toBe(false);
    expect((await two.consume('k')).allowed).toBe(true);
  });
});

describe('rateLimitHeaders', () => {
  it('gives RateLimit-* in seconds, rounded up, and Retry-After only when denied', () => {
    expect(
      rateLimitHeaders({ allowed: true, limit: 1200, remaining: 1199, resetMs: 59_001 }),
    ).toEqual({
      'RateLimit-Limit': '1200',
      'RateLimit-Remaining': '1199',
      'RateLimit-Reset': '60',
    });
    expect(
      rateLimitHeaders({
        allowed: false,
        limit: 10,
        remaining: 0,
        resetMs: 1500,
        retryAfterMs: 1500,
      }),
    ).toEqual({
      'RateLimit-Limit': '10',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '2',
      'Retry-After': '2',
    });
  });
});
