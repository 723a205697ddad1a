import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createTestRedis, type TestRedis } from '@waiaas/testing';
import { Redis } from 'ioredis';
import {
  CacheKeys,
  createCache,
  RedisCacheService,
  resilientRedisOptions,
  type CacheBundle,
} from '../src/index.js';
import { deferred } from './support/redis-server.js';

// Two instances of the service, as two API processes would have: separate connections
// (and separate subscriber connections) to the same Redis, the same prefix.
describe('invalidation across instances (pub/sub)', () => {
  let redis: TestRedis;
  let clientA: Redis;
  let clientB: Redis;
  let a: RedisCacheService;
  let b: RedisCacheService;

  beforeEach(async () => {
    redis = createTestRedis();
    clientA = new Redis(redis.url, resilientRedisOptions());
    clientB = new Redis(redis.url, resilientRedisOptions());
    await Promise.all([clientA.connect(), clientB.connect()]);
    const l1 = { keyspaces: ['agent', 'policy'], ttlSeconds: 60 };
    a = new RedisCacheService({ client: clientA, prefix: redis.prefix, l1, ownsClient: true });
    b = new RedisCacheService({ client: clientB, prefix: redis.prefix, l1, ownsClient: true });
    await Promise.all([a.waitForSubscription(), b.waitForSubscription()]);
  });

  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
    await redis.cleanup();
  });

  /** Resolves with the next key B's listeners see under `prefix`. */
  function nextInvalidationOnB(prefix: string): Promise<string> {
    const seen = deferred<string>();
    const off = b.onInvalidate(prefix, (key) => {
      off();
      seen.resolve(key);
    });
    return seen.promise;
  }

  it('serves L1 on B until A invalidates, then B reads the new value', async () => {
    const key = CacheKeys.policy('w1');
    await a.set(key, { version: 1 });
    expect(await b.get(key)).toEqual({ version: 1 }); // from Redis, fills B's L1
    expect(await b.get(key)).toEqual({ version: 1 });
    expect(b.stats().l1Hits).toBe(1);

    // A plain set on A changes Redis but not B's L1: B still answers from memory. This is
    // what makes the pub/sub necessary (and shows L1 is really in play).
    await a.set(key, { version: 2 });
    expect(await b.get(key)).toEqual({ version: 1 });

    // Write-through publishes: B drops its copy and reads the new value from Redis.
    const invalidated = nextInvalidationOnB('policy:');
    await a.writeThrough(key, { version: 3 });
    expect(await invalidated).toBe(key);
    expect(await b.get(key)).toEqual({ version: 3 });
    expect(b.stats().remoteInvalidations).toBe(1);
  });

  it('L1 keeps the decoded value: every hit returns the same frozen object, exact types intact', async () => {
    const key = CacheKeys.policy('w2');
    await a.set(key, { lamports: 5n, at: new Date(0), tokens: [{ amount: '1' }] });
    const first = await b.get<{ lamports: bigint; tokens: { amount: string }[] }>(key); // from Redis
    const second = await b.getOrSet(key, () => Promise.resolve(undefined)); // L1
    const third = await b.get<typeof first>(key); // L1
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(first?.lamports).toBe(5n);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.tokens[0])).toBe(true);
    expect(b.stats()).toMatchObject({ hits: 3, l1Hits: 2, fetches: 0 });

    // Still dropped by an invalidation from the other instance: the next read decodes anew.
    const invalidated = nextInvalidationOnB('policy:');
    await a.writeThrough(key, { lamports: 6n, at: new Date(0), tokens: [] });
    await invalidated;
    const fresh = await b.get<typeof first>(key);
    expect(fresh).not.toBe(first);
    expect(fresh?.lamports).toBe(6n);
  });

  it("delete on A removes the key from Redis, from B's L1, and runs B's listeners", async () => {
    const key = CacheKeys.agent('agent-7');
    await a.set(key, { status: 'ACTIVE' });
    expect(await b.get(key)).toEqual({ status: 'ACTIVE' });
    expect(await b.get(key)).toEqual({ status: 'ACTIVE' }); // L1 hit
    const policyKeys: string[] = [];
    b.onInvalidate('policy:', (k) => policyKeys.push(k));

    const invalidated = nextInvalidationOnB('agent:');
    await a.delete(key);
    expect(await invalidated).toBe(key);
    expect(await b.get(key)).toBeUndefined();
    expect(await a.get(key)).toBeUndefined();
    expect(policyKeys).toEqual([]); // listeners only see their prefix
  });

  it('A does not apply its own messages twice', async () => {
    const seenOnA: string[] = [];
    const marker = deferred<void>();
    a.onInvalidate('', (k) => {
      seenOnA.push(k);
      if (k === 'agent:marker') marker.resolve();
    });
    await a.publishInvalidation(['agent:1']);
    // Redis delivers messages to a subscriber in publish order: once A has B's later message,
    // it has also had (and ignored) its own.
    await b.publishInvalidation(['agent:marker']);
    await marker.promise;
    expect(seenOnA).toEqual(['agent:1', 'agent:marker']);
    expect(a.stats().remoteInvalidations).toBe(1);
  });

  it('ignores messages from other prefixes (other deployments or tests)', async () => {
    const other = new Redis(redis.url);
    try {
      const seen: string[] = [];
      b.onInvalidate('', (k) => seen.push(k));
      await other.publish(
        'someone-else:cache:invalidate',
        JSON.stringify({ v: 1, origin: 'x', keys: ['agent:1'] }),
      );
      const mine = nextInvalidationOnB('');
      await a.publishInvalidation(['agent:2']);
      expect(await mine).toBe('agent:2');
      expect(seen).toEqual(['agent:2']);
    } finally {
      other.disconnect();
    }
  });
});

describe('invalidation between two createCache bundles', () => {
  let redis: TestRedis;
  let one: CacheBundle;
  let two: CacheBundle;

  beforeEach(async () => {
    redis = createTestRedis();
    const options = { redisUrl: redis.url, prefix: redis.prefix, l1: { keyspaces: ['agent'] } };
    [one, two] = await Promise.all([createCache(options), createCache(options)]);
  });

  afterEach(async () => {
    await Promise.all([one.close(), two.close()]);
    await redis.cleanup();
  });

  it("a revoke on one instance reaches the other instance's listener (e.g. its auth cache)", async () => {
    const authCacheOnTwo = new Map<string, string>([['agent:a1', 'key-hash']]);
    const dropped = deferred<void>();
    two.cache.onInvalidate('agent:', (key) => {
      authCacheOnTwo.delete(key);
      dropped.resolve();
    });
    await one.cache.delete(CacheKeys.agent('a1'));
    await dropped.promise;
    expect(authCacheOnTwo.has('agent:a1')).toBe(false);
  });
});
