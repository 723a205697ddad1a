import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createTestRedis, type TestRedis } from '@waiaas/testing';
import { type CacheBundle, type CacheEvent, createCache, isCacheError } from '../src/index.js';
import { deferred, sleep } from './support/redis-server.js';

// getOrSet's refreshAheadSeconds, against Redis without and with the in-process layer (where
// the API keeps balances) and in memory: a read of an entry about to expire answers at once
// and refreshes it in the background.
const backends = [
  {
    name: 'redis',
    make: (redis: TestRedis, onEvent: (e: CacheEvent) => void): Promise<CacheBundle> =>
      createCache({ redisUrl: redis.url, prefix: redis.prefix, onEvent }),
  },
  {
    name: 'redis with l1',
    make: (redis: TestRedis, onEvent: (e: CacheEvent) => void): Promise<CacheBundle> =>
      createCache({
        redisUrl: redis.url,
        prefix: redis.prefix,
        onEvent,
        l1: { keyspaces: ['balance'], ttlSeconds: 10 },
      }),
  },
  {
    name: 'memory',
    make: (redis: TestRedis, onEvent: (e: CacheEvent) => void): Promise<CacheBundle> =>
      createCache({ prefix: redis.prefix, onEvent }),
  },
] as const;

/**
 * A TTL and a window, and how long to wait after a fill: a key is refreshed at a point of its
 * own in the window's second half, so after AGE_MS every key is inside it, with more than a
 * second left before the entry expires (a loaded machine must not see it expire first).
 */
const TTL = 3;
const AHEAD = 2.9;
const AGE_MS = (TTL - AHEAD / 2) * 1000 + 100;
const KEY = 'balance:Addr1';

describe.each(backends)('refresh-ahead ($name)', ({ make }) => {
  let redis: TestRedis;
  let bundle: CacheBundle;
  let events: CacheEvent[];

  beforeEach(async () => {
    redis = createTestRedis();
    events = [];
    bundle = await make(redis, (e) => events.push(e));
  });

  afterEach(async () => {
    await bundle.cache.idle();
    await bundle.close();
    await redis.cleanup();
  });

  /** Fills KEY with `value` and waits until it is inside the refresh-ahead window. */
  async function fillAndAge(value: string): Promise<void> {
    const options = { ttlSeconds: TTL, refreshAheadSeconds: AHEAD };
    expect(await bundle.cache.getOrSet(KEY, () => Promise.resolve(value), options)).toBe(value);
    await sleep(AGE_MS);
  }

  function read(fetcher: () => Promise<string>): Promise<string> {
    return bundle.cache.getOrSet(KEY, fetcher, { ttlSeconds: TTL, refreshAheadSeconds: AHEAD });
  }

  it('answers from an entry about to expire at once, and refreshes it once in the background', async () => {
    await fillAndAge('1000 lamports');
    const gate = deferred<void>();
    let calls = 0;
    const source = async (): Promise<string> => {
      calls += 1;
      await gate.promise;
      return '2000 lamports';
    };
    // Every read is answered while the source has not answered yet: none waits for it.
    const answers = await Promise.all(Array.from({ length: 20 }, () => read(source)));
    expect(answers).toEqual(Array.from({ length: 20 }, () => '1000 lamports'));
    expect(calls).toBe(1);
    expect(bundle.cache.stats().refreshes).toBe(1);
    expect(events.filter((e) => e.type === 'refresh')).toEqual([
      { type: 'refresh', keyspace: 'balance' },
    ]);
    gate.resolve();
    await bundle.cache.idle();
    expect(await read(() => Promise.reject(new Error('not called')))).toBe('2000 lamports');
  });

  it('keeps a key read more often than its TTL from ever expiring in front of a reader', async () => {
    // Each refresh stores a full TTL: reads for three TTLs' worth of time all find the entry.
    let version = 0;
    const source = (): Promise<string> => Promise.resolve(`v${version++}`);
    const options = { ttlSeconds: 1, refreshAheadSeconds: 0.9 };
    expect(await bundle.cache.getOrSet(KEY, source, options)).toBe('v0');
    const missesBefore = bundle.cache.stats().misses;
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      await bundle.cache.getOrSet(KEY, source, options);
      await sleep(50);
    }
    expect(bundle.cache.stats().misses).toBe(missesBefore);
    expect(version).toBeGreaterThanOrEqual(4);
  });

  it('refreshes keys filled together at points of their own, not in one burst', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `balance:Wallet${i}`);
    const options = { ttlSeconds: TTL, refreshAheadSeconds: AHEAD };
    await Promise.all(
      keys.map((key) => bundle.cache.getOrSet(key, () => Promise.resolve('v1'), options)),
    );
    // Three quarters of the window left: the keys whose point lies above it are refreshed by
    // a read now, the others not yet.
    await sleep((TTL - AHEAD * 0.75) * 1000);
    const refreshed = new Set<string>();
    await Promise.all(
      keys.map((key) =>
        bundle.cache.getOrSet(
          key,
          () => {
            refreshed.add(key);
            return Promise.resolve('v2');
          },
          options,
        ),
      ),
    );
    expect(refreshed.size).toBeGreaterThan(5);
    expect(refreshed.size).toBeLessThan(45);
  });

  it('does not refresh an entry outside the window', async () => {
    let calls = 0;
    const source = (): Promise<string> => Promise.resolve(`v${++calls}`);
    const options = { ttlSeconds: 60, refreshAheadSeconds: 1 };
    for (let i = 0; i < 10; i += 1)
      expect(await bundle.cache.getOrSet(KEY, source, options)).toBe('v1');
    await bundle.cache.idle();
    expect(calls).toBe(1);
    expect(bundle.cache.stats().refreshes).toBe(0);
  });

  it('does not store a refresh whose key was invalidated while it fetched', async () => {
    await fillAndAge('before the transfer');
    const gate = deferred<void>();
    expect(
      await read(async () => {
        await gate.promise;
        return 'read before the transfer';
      }),
    ).toBe('before the transfer');
    await bundle.cache.delete(KEY); // the transfer confirmed: the balance is stale
    gate.resolve();
    await bundle.cache.idle();
    expect(await bundle.cache.get(KEY)).toBeUndefined();
    expect(await read(() => Promise.resolve('after the transfer'))).toBe('after the transfer');
  });

  it('does not replace a value someone else wrote while it fetched', async () => {
    await fillAndAge('old');
    const gate = deferred<void>();
    await read(async () => {
      await gate.promise;
      return 'refreshed from an older read';
    });
    await bundle.cache.set(KEY, 'written meanwhile', TTL);
    gate.resolve();
    await bundle.cache.idle();
    expect(await bundle.cache.get(KEY)).toBe('written meanwhile');
  });

  it('keeps answering with the entry when a refresh fails, and reports the failure', async () => {
    await fillAndAge('last known');
    expect(await read(() => Promise.reject(new Error('rpc down')))).toBe('last known');
    await bundle.cache.idle();
    expect(await bundle.cache.get(KEY)).toBe('last known');
    const failure = events.find((e) => e.type === 'error');
    expect(failure).toMatchObject({ type: 'error', operation: 'refresh' });
    expect((failure as { error: Error }).error.message).toBe('rpc down');
    // The failed refresh is over: the next read in the window tries again.
    expect(await read(() => Promise.resolve('recovered'))).toBe('last known');
    await bundle.cache.idle();
    expect(await bundle.cache.get(KEY)).toBe('recovered');
  });

  it('refuses a window that is not below the TTL, or one given with a generation', () => {
    const source = (): Promise<string> => Promise.resolve('x');
    for (const refreshAheadSeconds of [0, -1, 2, 3, Number.NaN]) {
      expect(() =>
        bundle.cache.getOrSet(KEY, source, { ttlSeconds: 2, refreshAheadSeconds }),
      ).toThrow(expect.objectContaining({ code: 'CACHE_INVALID_CONFIG' }));
    }
    let error: unknown;
    try {
      void bundle.cache.getOrSet('agent:k1', source, { generation: 'g1', refreshAheadSeconds: 1 });
    } catch (e) {
      error = e;
    }
    expect(isCacheError(error, 'CACHE_INVALID_CONFIG')).toBe(true);
  });
});

it("an instance refreshing after another keeps the other's value: one refresh wins per TTL", async () => {
  const redis = createTestRedis();
  const options = { redisUrl: redis.url, prefix: redis.prefix, l1: { keyspaces: ['balance'] } };
  const [a, b] = await Promise.all([createCache(options), createCache(options)]);
  try {
    const getOrSet = (bundle: CacheBundle, fetcher: () => Promise<string>): Promise<string> =>
      bundle.cache.getOrSet(KEY, fetcher, { ttlSeconds: TTL, refreshAheadSeconds: AHEAD });
    expect(await getOrSet(a, () => Promise.resolve('v1'))).toBe('v1');
    expect(await getOrSet(b, () => Promise.reject(new Error('not called')))).toBe('v1');
    await sleep(AGE_MS);
    expect(await getOrSet(a, () => Promise.resolve('v2 from a'))).toBe('v1');
    await a.cache.idle();
    // b still holds v1 in process, inside the window: its refresh finds a's value in Redis
    // and leaves it; b then reads it from there.
    expect(await getOrSet(b, () => Promise.resolve('v2 from b'))).toBe('v1');
    await b.cache.idle();
    expect(await getOrSet(b, () => Promise.reject(new Error('not called')))).toBe('v2 from a');
    expect(await a.cache.get(KEY)).toBe('v2 from a');
  } finally {
    await Promise.all([a.close(), b.close()]);
    await redis.cleanup();
  }
});
