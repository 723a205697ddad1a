import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster } from 'ioredis';
import { type CacheBundle, CacheKeys, createCache, RedisCacheService } from '../src/index.js';
import { deferred, type DisposableCluster, startCluster } from './support/redis-server.js';

// A 3-master Redis Cluster of our own (redis-server --cluster-enabled + redis-cli --cluster
// create, on free ports, in temp dirs), so the ioredis Cluster path is exercised for real:
// keys spread over slots on different nodes, multi-key deletes, pub/sub, rate limiting.
describe('Redis Cluster', () => {
  let cluster: DisposableCluster;
  let one: CacheBundle;
  let two: CacheBundle;

  beforeAll(async () => {
    cluster = await startCluster();
    const options = {
      cluster: { nodes: cluster.nodes },
      prefix: 'cluster-test:',
      l1: { keyspaces: ['agent'] },
      rateLimit: { points: 3 },
      // A guard, not a timing claim: on a loaded machine a fresh cluster's slot map can take
      // longer than the production default of 5 s to reach a new client.
      connectTimeoutMs: 30_000,
    };
    one = await createCache(options);
    two = await createCache(options);
  }, 60_000);

  afterAll(async () => {
    await one?.close();
    await two?.close();
    await cluster?.dispose();
  });

  it('stores and reads keys that land on every node', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => CacheKeys.balance(`addr-${i}`));
    await Promise.all(keys.map((k, i) => one.cache.set(k, BigInt(i) * 10n ** 12n)));
    const values = await Promise.all(keys.map((k) => two.cache.get<bigint>(k)));
    expect(values).toEqual(keys.map((_, i) => BigInt(i) * 10n ** 12n));

    // The keys really are spread over the three masters.
    const probe = new Cluster(cluster.nodes, { lazyConnect: true });
    await probe.connect();
    try {
      const perNode = await Promise.all(probe.nodes('master').map((n) => n.dbsize()));
      expect(perNode.filter((n) => n > 0).length).toBe(3);
    } finally {
      await probe.quit();
    }
    expect((await one.health()).ok).toBe(true);
    const info = await one.serverInfo();
    expect(info.usedMemoryBytes).toBeGreaterThan(0);
    expect(info.keyspaceHits).toBeGreaterThanOrEqual(30);
  });

  it('deleteMany across slots works (no CROSSSLOT) and reaches the other instance', async () => {
    const keys = ['agent:x1', 'agent:x2', 'agent:x3', 'agent:x4'];
    await Promise.all(keys.map((k) => one.cache.set(k, { k })));
    await Promise.all(keys.map((k) => two.cache.get(k))); // fill two's L1
    const seen: string[] = [];
    const done = deferred<void>();
    const off = two.cache.onInvalidate('agent:', (k) => {
      seen.push(k);
      if (seen.length === keys.length) done.resolve();
    });
    await one.cache.deleteMany(keys);
    await done.promise;
    off();
    expect(seen).toEqual(keys);
    expect(await Promise.all(keys.map((k) => two.cache.get(k)))).toEqual(keys.map(() => undefined));
    expect(one.cache.stats().errors).toBe(0);
  });

  it('coalesces getOrSet and shares the rate limit budget', async () => {
    let calls = 0;
    const values = await Promise.all(
      Array.from({ length: 50 }, () =>
        one.cache.getOrSet(CacheKeys.policy('w1'), () => {
          calls += 1;
          return Promise.resolve({ daily: 5n });
        }),
      ),
    );
    expect(calls).toBe(1);
    expect(values[49]).toEqual({ daily: 5n });

    const results = [];
    for (let i = 0; i < 2; i++) {
      results.push(await one.rateLimiter.consume('api-key'));
      results.push(await two.rateLimiter.consume('api-key'));
    }
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
  });

  it('consumeWithGeneration works across slots (no CROSSSLOT): counts, creates and reads the token', async () => {
    // The counter and the generation hash to different slots here.
    const first = await one.consumeWithGeneration('gen-key', 'access:cluster-owner');
    expect(first.rate).toMatchObject({ allowed: true, remaining: 2 });
    expect(first.generation).toEqual(expect.any(String));
    const second = await two.consumeWithGeneration('gen-key', 'access:cluster-owner');
    expect(second).toEqual({
      rate: expect.objectContaining({ allowed: true, remaining: 1 }),
      generation: first.generation,
    });
    await one.cache.bumpGeneration('access:cluster-owner');
    const third = await two.consumeWithGeneration('gen-key', 'access:cluster-owner');
    expect(third.rate).toMatchObject({ allowed: true, remaining: 0 });
    expect(third.generation).not.toBe(first.generation);
    expect(await one.cache.generation('access:cluster-owner')).toBe(third.generation);
  });

  it('RedisCacheService accepts a Cluster instance directly', async () => {
    const client = new Cluster(cluster.nodes, { lazyConnect: true });
    await client.connect();
    const cache = new RedisCacheService({ client, prefix: 'cluster-direct:', ownsClient: true });
    try {
      await cache.set('policy:p', 'v');
      expect(await cache.get('policy:p')).toBe('v');
    } finally {
      await cache.close();
    }
  });
});
