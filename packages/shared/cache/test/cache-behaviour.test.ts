import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createTestRedis, type TestRedis } from '@waiaas/testing';
import { Redis } from 'ioredis';
import {
  type CacheBundle,
  type CacheEvent,
  CacheKeys,
  createCache,
  isCacheError,
} from '../src/index.js';
import { deferred, eventually, sleep } from './support/redis-server.js';
import { MemoryCacheService } from '../src/index.js';

// One behavioural table, run against both implementations: Redis (the shared test server,
// under this test's own key prefix) and in-process memory.
const backends = [
  {
    name: 'redis',
    make: async (redis: TestRedis, onEvent?: (e: CacheEvent) => void): Promise<CacheBundle> =>
      createCache({ redisUrl: redis.url, prefix: redis.prefix, onEvent }),
  },
  {
    name: 'memory',
    make: async (redis: TestRedis, onEvent?: (e: CacheEvent) => void): Promise<CacheBundle> =>
      createCache({ prefix: redis.prefix, onEvent }),
  },
] as const;

describe.each(backends)('CacheService ($name)', ({ name, make }) => {
  let redis: TestRedis;
  let bundle: CacheBundle;

  beforeEach(async () => {
    redis = createTestRedis();
    bundle = await make(redis);
  });

  afterEach(async () => {
    await bundle.close();
    await redis.cleanup();
  });

  it('is the implementation the factory was asked for', () => {
    expect(bundle.backend).toBe(name);
    expect(bundle.cache.backend).toBe(name);
  });

  it('stores, reads, and deletes; a miss is undefined, null is a value', async () => {
    const { cache } = bundle;
    expect(await cache.get('policy:none')).toBeUndefined();
    await cache.set('policy:w1', { maxPerTx: '100' });
    await cache.set('agent:nothing', null);
    expect(await cache.get('policy:w1')).toEqual({ maxPerTx: '100' });
    expect(await cache.get('agent:nothing')).toBeNull();
    await cache.delete('policy:w1');
    expect(await cache.get('policy:w1')).toBeUndefined();
    expect(await cache.get('agent:nothing')).toBeNull();
  });

  it('round-trips bigint and Date exactly', async () => {
    const value = {
      lamports: 18_446_744_073_709_551_615n,
      spent: [1n, 9_007_199_254_740_993n],
      at: new Date('2026-11-22T03:00:00.123Z'),
    };
    await bundle.cache.set(CacheKeys.balance('Addr1'), value);
    const back = await bundle.cache.get<typeof value>(CacheKeys.balance('Addr1'));
    expect(back).toEqual(value);
    expect(typeof back?.lamports).toBe('bigint');
    expect(back?.at).toBeInstanceOf(Date);
  });

  it('returns a copy: mutating a read value does not change the cache', async () => {
    await bundle.cache.set('policy:w1', { limits: [1n] });
    const first = await bundle.cache.get<{ limits: bigint[] }>('policy:w1');
    first?.limits.push(2n);
    expect(await bundle.cache.get('policy:w1')).toEqual({ limits: [1n] });
  });

  it('expires entries after their TTL', async () => {
    await bundle.cache.set('balance:short', 5n, 1);
    await bundle.cache.set('balance:long', 6n, 30);
    expect(await bundle.cache.get('balance:short')).toBe(5n);
    await sleep(1000);
    // Gone once its second is up (polled briefly: expiry is not a timing assertion).
    await eventually(async () => (await bundle.cache.get('balance:short')) === undefined, 3000);
    expect(await bundle.cache.get('balance:long')).toBe(6n);
  });

  it('deleteMany removes every key given and nothing else', async () => {
    await Promise.all(['agent:1', 'agent:2', 'agent:3'].map((k) => bundle.cache.set(k, k)));
    await bundle.cache.deleteMany(['agent:1', 'agent:3']);
    expect(await bundle.cache.get('agent:1')).toBeUndefined();
    expect(await bundle.cache.get('agent:2')).toBe('agent:2');
    expect(await bundle.cache.get('agent:3')).toBeUndefined();
  });

  it('coalesces 100 concurrent getOrSet misses on a cold key into one fetch', async () => {
    const { cache } = bundle;
    const gate = deferred<void>();
    let calls = 0;
    const fetcher = async (): Promise<bigint> => {
      calls += 1;
      await gate.promise;
      return 42n;
    };
    const all = Promise.all(
      Array.from({ length: 100 }, () => cache.getOrSet('balance:cold', fetcher)),
    );
    gate.resolve();
    const values = await all;
    expect(calls).toBe(1);
    expect(values).toEqual(Array.from({ length: 100 }, () => 42n));
    expect(cache.stats()).toMatchObject({ fetches: 1, coalesced: 99 });
    // ...and the value is now cached: a later call does not fetch.
    expect(await cache.getOrSet('balance:cold', fetcher)).toBe(42n);
    expect(calls).toBe(1);
  });

  it('passes a fetcher error to every waiter and caches nothing', async () => {
    const { cache } = bundle;
    const gate = deferred<void>();
    let calls = 0;
    const failing = async (): Promise<string> => {
      calls += 1;
      await gate.promise;
      throw new Error('rpc down');
    };
    const settled = Promise.allSettled(
      Array.from({ length: 5 }, () => cache.getOrSet('balance:e', failing)),
    );
    gate.resolve();
    const results = await settled;
    expect(calls).toBe(1);
    expect(
      results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'rpc down'),
    ).toBe(true);
    expect(await cache.getOrSet('balance:e', () => Promise.resolve('ok'))).toBe('ok');
  });

  it('does not cache a fetch that was invalidated while it ran', async () => {
    const { cache } = bundle;
    const gate = deferred<void>();
    const fetching = deferred<void>();
    const stale = cache.getOrSet('policy:w9', async () => {
      fetching.resolve(); // the flight has missed the cache and is reading the source
      await gate.promise;
      return 'old policy';
    });
    await fetching.promise;
    await cache.delete('policy:w9');
    gate.resolve();
    expect(await stale).toBe('old policy'); // the caller still gets its answer
    expect(await cache.get('policy:w9')).toBeUndefined(); // but it was not cached
    // A call after the invalidation started its own fetch rather than joining the stale one.
    expect(await cache.getOrSet('policy:w9', () => Promise.resolve('new policy'))).toBe(
      'new policy',
    );
  });

  it('a getOrSet fill never overwrites a value written while it fetched', async () => {
    const { cache } = bundle;
    const gate = deferred<void>();
    const fetching = deferred<void>();
    const filling = cache.getOrSet('policy:w5', async () => {
      fetching.resolve();
      await gate.promise;
      return { version: 1 }; // read from the source before the update below
    });
    await fetching.promise;
    await cache.set('policy:w5', { version: 2 }); // e.g. a write-through from the update
    gate.resolve();
    expect(await filling).toEqual({ version: 1 });
    expect(await cache.get('policy:w5')).toEqual({ version: 2 });
  });

  it('does not cache undefined from a fetcher', async () => {
    expect(
      await bundle.cache.getOrSet('agent:ghost', () => Promise.resolve(undefined)),
    ).toBeUndefined();
    let fetched = false;
    await bundle.cache.getOrSet('agent:ghost', () => {
      fetched = true;
      return Promise.resolve(undefined);
    });
    expect(fetched).toBe(true);
  });

  it('runs onInvalidate listeners by key prefix on delete, writeThrough and publishInvalidation', async () => {
    const { cache } = bundle;
    const agentKeys: string[] = [];
    const allKeys: string[] = [];
    cache.onInvalidate('agent:', (k) => agentKeys.push(k));
    const off = cache.onInvalidate('', (k) => allKeys.push(k));
    await cache.delete('agent:1');
    await cache.writeThrough('policy:w1', { v: 2 });
    await cache.publishInvalidation(['agent:2', 'balance:x']);
    off();
    await cache.delete('agent:3');
    expect(agentKeys).toEqual(['agent:1', 'agent:2', 'agent:3']);
    expect(allKeys).toEqual(['agent:1', 'policy:w1', 'agent:2', 'balance:x']);
    expect(await cache.get('policy:w1')).toEqual({ v: 2 }); // write-through kept the value
  });

  it('counts hits and misses and reports them as events', async () => {
    await bundle.close();
    const events: CacheEvent[] = [];
    bundle = await make(redis, (e) => events.push(e));
    await bundle.cache.get('agent:1');
    await bundle.cache.set('agent:1', 'a');
    await bundle.cache.get('agent:1');
    await bundle.cache.get('agent:1');
    expect(bundle.cache.stats()).toMatchObject({ hits: 2, misses: 1, errors: 0 });
    expect(events.filter((e) => e.type === 'hit' || e.type === 'miss')).toEqual([
      { type: 'miss', keyspace: 'agent' },
      { type: 'hit', keyspace: 'agent', layer: 'store' },
      { type: 'hit', keyspace: 'agent', layer: 'store' },
    ]);
  });

  it('reports health', async () => {
    const health = await bundle.health();
    expect(health.ok).toBe(true);
    expect(health.backend).toBe(name);
    expect(typeof health.latencyMs).toBe('number');
  });

  it('reports server figures for the operator endpoint', async () => {
    await bundle.cache.set('agent:1', 'a');
    await bundle.cache.get('agent:1');
    const info = await bundle.serverInfo();
    expect(info.backend).toBe(name);
    expect(info.error).toBeUndefined();
    expect(info.keyspaceHits).toBeGreaterThanOrEqual(1);
    expect(info.hitRate).toBeGreaterThan(0);
    if (name === 'redis') expect(info.usedMemoryBytes).toBeGreaterThan(0);
    else expect(info.entries).toBe(1);
  });

  it.each([
    ['a function', { f: () => 1 }],
    ['undefined', undefined],
  ])('refuses to store %s with a CacheError', async (_what, value) => {
    const error: unknown = await bundle.cache.set('policy:bad', value).catch((e: unknown) => e);
    expect(isCacheError(error, 'CACHE_VALUE_NOT_ENCODABLE')).toBe(true);
    expect(await bundle.cache.get('policy:bad')).toBeUndefined();
  });

  it('refuses a bad TTL and an empty key with a CacheError', async () => {
    const badTtl: unknown = await bundle.cache.set('policy:x', 1, 0).catch((e: unknown) => e);
    expect(isCacheError(badTtl, 'CACHE_INVALID_TTL')).toBe(true);
    const badKey: unknown = await bundle.cache.get('').catch((e: unknown) => e);
    expect(isCacheError(badKey, 'CACHE_INVALID_KEY')).toBe(true);
  });
});

describe('MemoryCacheService bounds', () => {
  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const cache = new MemoryCacheService({ maxEntries: 2 });
    await cache.set('agent:1', 1);
    await cache.set('agent:2', 2);
    await cache.get('agent:1'); // 1 is now more recently used than 2
    await cache.set('agent:3', 3);
    expect(await cache.get('agent:1')).toBe(1);
    expect(await cache.get('agent:2')).toBeUndefined();
    expect(await cache.get('agent:3')).toBe(3);
    expect((await cache.serverInfo()).entries).toBe(2);
    await cache.close();
  });

  it('refuses a maxEntries that cannot work', () => {
    expect(() => new MemoryCacheService({ maxEntries: 0 })).toThrow(
      expect.objectContaining({ code: 'CACHE_INVALID_CONFIG' }),
    );
  });
});

describe('RedisCacheService storage details', () => {
  let redis: TestRedis;
  let bundle: CacheBundle;
  let raw: Redis;

  beforeEach(async () => {
    redis = createTestRedis();
    bundle = await createCache({ redisUrl: redis.url, prefix: redis.prefix, ttl: { balance: 7 } });
    raw = new Redis(redis.url);
  });

  afterEach(async () => {
    await bundle.close();
    raw.disconnect();
    await redis.cleanup();
  });

  it('writes under the prefix with the seed TTL table as default (overridable)', async () => {
    const { cache } = bundle;
    await cache.set(CacheKeys.policy('w1'), 1);
    await cache.set(CacheKeys.agent('a1'), 1);
    await cache.set(CacheKeys.balance('b1'), 1);
    await cache.set('other:x', 1);
    const pttl = async (key: string): Promise<number> => raw.pttl(redis.prefix + key);
    const within = (ms: number, seconds: number): boolean =>
      ms > (seconds - 2) * 1000 && ms <= seconds * 1000;
    expect(within(await pttl('policy:w1'), 300)).toBe(true);
    expect(within(await pttl('agent:a1'), 600)).toBe(true);
    expect(within(await pttl('balance:b1'), 7)).toBe(true); // overridden from 10
    expect(within(await pttl('other:x'), 60)).toBe(true); // default for unknown keyspaces
    expect(await raw.exists('policy:w1')).toBe(0); // nothing outside the prefix
  });

  it('treats a value it cannot decode as a miss, not an error thrown at the caller', async () => {
    await raw.set(`${redis.prefix}policy:corrupt`, 'not superjson', 'EX', 60);
    expect(await bundle.cache.get('policy:corrupt')).toBeUndefined();
    expect(await bundle.cache.getOrSet('policy:corrupt', () => Promise.resolve('fresh'))).toBe(
      'fresh',
    );
    expect(await bundle.cache.get('policy:corrupt')).toBe('fresh');
  });
});
