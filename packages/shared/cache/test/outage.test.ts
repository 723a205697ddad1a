import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  type CacheBundle,
  type CacheEvent,
  createCache,
  isCacheError,
  RedisCacheService,
  type RedisRateLimiter,
} from '../src/index.js';
import { type DisposableRedis, eventually, freePort, startRedis } from './support/redis-server.js';

// A redis-server of our own on a free port, killed and restarted mid-test (never the shared
// one). The service must answer from the source while it is gone, throw nothing, leave no
// unhandled rejection behind, and work again once it is back.
describe('Redis going away and coming back', () => {
  let server: DisposableRedis;
  let bundle: CacheBundle;
  const events: CacheEvent[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  beforeEach(async () => {
    server = await startRedis();
    events.length = 0;
    unhandled.length = 0;
    bundle = await createCache({
      redisUrl: server.url,
      prefix: 'outage-test:',
      l1: { keyspaces: ['agent'] },
      rateLimit: { points: 3 },
      onEvent: (e) => events.push(e),
    });
  });

  afterEach(async () => {
    await bundle.close();
    await server.dispose();
  });

  it('falls through to the source while Redis is down, and recovers when it returns', async () => {
    const { cache } = bundle;
    let sourceCalls = 0;
    const source = (): Promise<bigint> => {
      sourceCalls += 1;
      return Promise.resolve(1_000n + BigInt(sourceCalls));
    };

    // Up: the second read is a cache hit.
    expect(await cache.getOrSet('balance:a', source)).toBe(1_001n);
    expect(await cache.getOrSet('balance:a', source)).toBe(1_001n);
    expect(sourceCalls).toBe(1);

    await server.kill();
    await eventually(async () => !(await bundle.health()).ok);

    // Down: every read goes to the source; nothing throws; writes are skipped.
    expect(await cache.get('balance:a')).toBeUndefined();
    expect(await cache.getOrSet('balance:a', source)).toBe(1_002n);
    expect(await cache.getOrSet('balance:a', source)).toBe(1_003n);
    await expect(cache.set('balance:b', 5n)).resolves.toBeUndefined();
    await expect(cache.delete('balance:a')).resolves.toBeUndefined();
    await expect(cache.writeThrough('policy:w1', { v: 1 })).resolves.toBeUndefined();
    await expect(cache.publishInvalidation(['agent:1'])).resolves.toBeUndefined();
    const health = await bundle.health();
    expect(health).toMatchObject({ ok: false, backend: 'redis' });
    expect(health.error).toBeDefined();
    expect(health.error).not.toContain('password');
    expect((await bundle.serverInfo()).error).toBeDefined();
    // Concurrent misses still coalesce while the store is down.
    const before = sourceCalls;
    await Promise.all(Array.from({ length: 20 }, () => cache.getOrSet('balance:c', source)));
    expect(sourceCalls).toBe(before + 1);
    expect(cache.stats().errors).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'error')).toBe(true);

    // Back on the same port: the client reconnects by itself and caching works again.
    await server.restart();
    await eventually(async () => (await bundle.health()).ok, 15_000);
    await cache.set('balance:d', 7n);
    expect(await cache.get('balance:d')).toBe(7n);
    const calls = sourceCalls;
    expect(await cache.getOrSet('balance:e', source)).toBe(1_000n + BigInt(calls + 1));
    expect(await cache.getOrSet('balance:e', source)).toBe(1_000n + BigInt(calls + 1));
    expect(sourceCalls).toBe(calls + 1);

    expect(unhandled).toEqual([]);
  });

  it('keeps invalidation working after the subscriber reconnects', async () => {
    const other = await createCache({ redisUrl: server.url, prefix: 'outage-test:' });
    try {
      await server.kill();
      await eventually(async () => !(await bundle.health()).ok);
      await server.restart();
      await eventually(async () => (await bundle.health()).ok && (await other.health()).ok, 15_000);

      // The subscription comes back with the connection: a delete on `other` reaches us.
      const seen: string[] = [];
      bundle.cache.onInvalidate('agent:', (k) => seen.push(k));
      await eventually(async () => {
        await other.cache.delete('agent:9');
        return seen.includes('agent:9');
      }, 15_000);
      expect(unhandled).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('rate limiting continues the window in process while Redis is down, never from zero', async () => {
    const { rateLimiter } = bundle;
    expect((await rateLimiter.consume('key-1')).remaining).toBe(2);
    const exhausted = bundle.createRateLimiter({ points: 3, keyspace: 'rl-exhausted' });
    for (let i = 0; i < 3; i++) expect((await exhausted.consume('key-2')).allowed).toBe(true);
    await server.kill();
    await eventually(async () => !(await bundle.health()).ok);

    // What Redis had counted still counts: 1 of 3 used, so 2 more; a spent key gets none.
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await rateLimiter.consume('key-1'));
    expect(results.map((r) => r.allowed)).toEqual([true, true, false, false]);
    expect(results[2]).toMatchObject({ remaining: 0, limit: 3 });
    expect(results[2]!.retryAfterMs).toBeGreaterThan(0);
    expect((await exhausted.consume('key-2')).allowed).toBe(false);
    // A key this instance never saw gets a whole window of its own (one instance announced).
    expect((await rateLimiter.consume('key-3')).remaining).toBe(2);
    // Counted together with a generation: the same fallback, and no generation (trust nothing).
    expect(await bundle.consumeWithGeneration('key-3', 'access:owner-1')).toEqual({
      rate: expect.objectContaining({ allowed: true, remaining: 1 }),
      generation: undefined,
    });
    expect(unhandled).toEqual([]);
  });

  it('several instances split what is left of a window while Redis is down', async () => {
    const others = await Promise.all(
      [0, 1].map(() =>
        createCache({ redisUrl: server.url, prefix: 'outage-test:', rateLimit: { points: 12 } }),
      ),
    );
    try {
      const [a, b] = others.map((o) =>
        o.createRateLimiter({ points: 12, keyspace: 'rl-split', announceIntervalMs: 100 }),
      ) as [RedisRateLimiter, RedisRateLimiter];
      for (let i = 0; i < 2; i++) await a.consume('shared');
      for (let i = 0; i < 2; i++) await b.consume('shared'); // b saw 4 of 12 used
      // Each has heard of the other (announcements every 100 ms): the fallback splits by 2.
      await eventually(() => a.instances() === 2 && b.instances() === 2);
      await a.consume('shared'); // a saw 5
      await server.kill();
      await eventually(async () => !(await others[0]!.health()).ok);
      const allowed = async (limiter: RedisRateLimiter): Promise<number> => {
        let n = 0;
        for (let i = 0; i < 12; i++) if ((await limiter.consume('shared')).allowed) n += 1;
        return n;
      };
      // a: floor((12 - 5) / 2) = 3; b: floor((12 - 4) / 2) = 4; with the 5 before: 12.
      expect([await allowed(a), await allowed(b)]).toEqual([3, 4]);
    } finally {
      await Promise.all(others.map((o) => o.close()));
    }
  });
});

describe('a Redis that stops answering (CLIENT PAUSE), not just one that is gone', () => {
  const clients = [
    {
      name: 'factory client (ioredis commandTimeout)',
      make: (url: string) => createCache({ redisUrl: url, prefix: 'pause-test:' }),
    },
    {
      name: 'client with ioredis defaults (service operation timeout)',
      make: async (url: string) => {
        const cache = new RedisCacheService({
          client: new Redis(url),
          prefix: 'pause-test:',
          ownsClient: true,
        });
        await cache.waitForSubscription();
        return { cache, close: () => cache.close() };
      },
    },
  ];

  it.each(clients)('$name: reads fall through instead of waiting', async ({ make }) => {
    const server = await startRedis();
    const admin = new Redis(server.url);
    const { cache, close } = await make(server.url);
    try {
      await cache.set('policy:p', 'cached');
      expect(await cache.get('policy:p')).toBe('cached');
      // Redis holds every command for 3 s (and no CLIENT UNPAUSE could get through either).
      await admin.call('CLIENT', 'PAUSE', '3000', 'ALL');
      // The value is in Redis, but Redis does not answer: a miss, then the source.
      expect(await cache.get('policy:p')).toBeUndefined();
      expect(await cache.getOrSet('policy:p', () => Promise.resolve('from source'))).toBe(
        'from source',
      );
      // Answering again: a hit. (The write that timed out may still have landed late.)
      await eventually(async () => (await cache.get('policy:p')) !== undefined);
      expect(['cached', 'from source']).toContain(await cache.get('policy:p'));
    } finally {
      await close();
      admin.disconnect();
      await server.dispose();
    }
  });

  it('a client with ioredis defaults never queues while Redis is gone, and recovers', async () => {
    const server = await startRedis();
    const client = new Redis(server.url); // defaults: would queue commands while disconnected
    const cache = new RedisCacheService({ client, prefix: 'defaults-test:', ownsClient: true });
    try {
      await cache.waitForSubscription();
      await cache.set('policy:p', 'v');
      await server.kill();
      await eventually(async () => !(await cache.health()).ok);
      // Each of these would wait for the reconnection if handed to the client's offline queue.
      const results = await Promise.all([
        cache.get('policy:p'),
        cache.getOrSet('policy:p', () => Promise.resolve('from source')),
        cache.set('policy:q', 1).then(() => 'set skipped'),
        cache.delete('policy:p').then(() => 'delete skipped'),
      ]);
      expect(results).toEqual([undefined, 'from source', 'set skipped', 'delete skipped']);
      await server.restart();
      await eventually(async () => (await cache.health()).ok, 15_000);
      await cache.set('policy:p', 'again');
      expect(await cache.get('policy:p')).toBe('again');
    } finally {
      await cache.close();
      await server.dispose();
    }
  });
});

describe('start-up without Redis', () => {
  it('fails fast with CACHE_UNAVAILABLE and no credentials in the error', async () => {
    const port = await freePort();
    const error: unknown = await createCache({
      redisUrl: `redis://user:s3cret@127.0.0.1:${port}`,
      connectTimeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(isCacheError(error, 'CACHE_UNAVAILABLE')).toBe(true);
    expect(String((error as Error).message)).not.toContain('s3cret');
    expect(JSON.stringify((error as { context: unknown }).context)).not.toContain('s3cret');
  });

  it('accepts redisOptions with lazyConnect: false, and refuses an ioredis keyPrefix', async () => {
    const server = await startRedis();
    try {
      const eager = await createCache({
        redisUrl: server.url,
        redisOptions: { lazyConnect: false },
      });
      await eager.cache.set('policy:p', 1);
      expect(await eager.cache.get('policy:p')).toBe(1);
      await eager.close();
      const error: unknown = await createCache({
        redisUrl: server.url,
        redisOptions: { keyPrefix: 'x:' },
      }).catch((e: unknown) => e);
      expect(isCacheError(error, 'CACHE_INVALID_CONFIG')).toBe(true);
    } finally {
      await server.dispose();
    }
  });

  it('with failFast: false, starts degraded and recovers once Redis appears', async () => {
    const port = await freePort();
    const bundle = await createCache({
      redisUrl: `redis://127.0.0.1:${port}`,
      failFast: false,
      connectTimeoutMs: 500,
    });
    let server: DisposableRedis | undefined;
    try {
      expect((await bundle.health()).ok).toBe(false);
      expect(await bundle.cache.getOrSet('policy:p', () => Promise.resolve('from db'))).toBe(
        'from db',
      );
      server = await startRedis({ port });
      await eventually(async () => (await bundle.health()).ok, 15_000);
      await bundle.cache.set('policy:p', 'cached');
      expect(await bundle.cache.get('policy:p')).toBe('cached');
    } finally {
      await bundle.close();
      await server?.dispose();
    }
  });
});
