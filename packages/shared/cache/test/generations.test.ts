import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createTestRedis, type TestRedis } from '@waiaas/testing';
import { Redis } from 'ioredis';
import { type CacheBundle, CacheKeys, createCache } from '../src/index.js';
import { type DisposableRedis, eventually, startRedis } from './support/redis-server.js';

// Entries tagged with a generation: answered in process while the generation a read passes is
// the one they were filled under, stale everywhere at once when it is bumped.
const backends = [
  {
    name: 'redis',
    make: (redis: TestRedis) => createCache({ redisUrl: redis.url, prefix: redis.prefix }),
  },
  { name: 'memory', make: (redis: TestRedis) => createCache({ prefix: redis.prefix }) },
] as const;

describe.each(backends)('generations ($name)', ({ make }) => {
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

  it('serves a tagged entry from process memory while its generation holds', async () => {
    const { cache } = bundle;
    const scope = CacheKeys.access('owner-1');
    const generation = await cache.generation(scope);
    expect(generation).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(await cache.generation(scope)).toBe(generation);
    let fetches = 0;
    const load = (): Promise<{ agentIds: string[] }> => {
      fetches += 1;
      return Promise.resolve({ agentIds: ['a1'] });
    };
    const first = await cache.getOrSet(CacheKeys.wallet('w1'), load, { generation });
    const before = cache.stats();
    const second = await cache.getOrSet(CacheKeys.wallet('w1'), load, { generation });
    expect(second).toEqual({ agentIds: ['a1'] });
    expect(second).toBe(first); // the same frozen object, no decode
    expect(Object.isFrozen(second.agentIds)).toBe(true);
    expect(fetches).toBe(1);
    expect(cache.stats().l1Hits - before.l1Hits).toBe(1);
  });

  it('a bump makes every entry of the scope stale at once; other scopes keep theirs', async () => {
    const { cache } = bundle;
    const mine = CacheKeys.access('owner-1');
    const theirs = CacheKeys.access('owner-2');
    const [g1, other] = [await cache.generation(mine), await cache.generation(theirs)];
    let version = 1;
    const load = (): Promise<number> => Promise.resolve(version);
    expect(await cache.getOrSet('wallet:w1', load, { generation: g1 })).toBe(1);
    expect(await cache.getOrSet('wallet:w2', load, { generation: other })).toBe(1);
    version = 2;
    expect(await cache.bumpGeneration(mine)).toBe(true);
    const g2 = await cache.generation(mine);
    expect(g2).not.toBe(g1);
    expect(await cache.getOrSet('wallet:w1', load, { generation: g2 })).toBe(2);
    expect(await cache.generation(theirs)).toBe(other);
    expect(await cache.getOrSet('wallet:w2', load, { generation: other })).toBe(1);
  });

  it('without a generation (store down) the fetcher runs every time and nothing is cached', async () => {
    const { cache } = bundle;
    let fetches = 0;
    const load = (): Promise<number> => Promise.resolve((fetches += 1));
    await cache.getOrSet('wallet:w3', load, { generation: undefined });
    await cache.getOrSet('wallet:w3', load, { generation: undefined });
    expect(fetches).toBe(2);
    expect(await cache.get('wallet:w3')).toBeUndefined();
  });

  it('coalesces concurrent misses of one generation into one fetch', async () => {
    const { cache } = bundle;
    const generation = await cache.generation(CacheKeys.access('owner-3'));
    let fetches = 0;
    const load = async (): Promise<string> => {
      fetches += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 'v';
    };
    const all = await Promise.all(
      Array.from({ length: 50 }, () => cache.getOrSet('wallet:w4', load, { generation })),
    );
    expect(new Set(all)).toEqual(new Set(['v']));
    expect(fetches).toBe(1);
  });
});

describe('generations across instances (Redis)', () => {
  let redis: TestRedis;
  let a: CacheBundle;
  let b: CacheBundle;

  beforeEach(async () => {
    redis = createTestRedis();
    a = await createCache({ redisUrl: redis.url, prefix: redis.prefix });
    b = await createCache({ redisUrl: redis.url, prefix: redis.prefix });
  });

  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
    await redis.cleanup();
  });

  it("a bump on A makes B's in-process entry stale on B's very next read, with no message", async () => {
    const scope = CacheKeys.access('owner-1');
    let granted = ['agent-1'];
    const load = (): Promise<string[]> => Promise.resolve([...granted]);
    const gB = await b.cache.generation(scope);
    expect(await b.cache.getOrSet('wallet:w1', load, { generation: gB })).toEqual(['agent-1']);
    granted = [];
    await a.cache.bumpGeneration(scope);
    const next = await b.cache.generation(scope);
    expect(await b.cache.getOrSet('wallet:w1', load, { generation: next })).toEqual([]);
  });

  it('an entry filled from data read before a bump never answers a read after it', async () => {
    // B reads the generation, then its source (old data) while A commits and bumps; B's fill
    // lands in Redis after the bump. Tagged with the old token, it is a miss for A.
    const scope = CacheKeys.access('owner-2');
    const before = await b.cache.generation(scope);
    await a.cache.bumpGeneration(scope);
    await b.cache.getOrSet('wallet:w2', () => Promise.resolve('old'), { generation: before });
    const after = await a.cache.generation(scope);
    expect(
      await a.cache.getOrSet('wallet:w2', () => Promise.resolve('new'), { generation: after }),
    ).toBe('new');
  });
});

describe('generations when Redis loses its data or goes away', () => {
  let server: DisposableRedis;
  let bundle: CacheBundle;

  beforeEach(async () => {
    server = await startRedis();
    bundle = await createCache({ redisUrl: server.url, prefix: 'gen-test:' });
  });

  afterEach(async () => {
    await bundle.close();
    await server.dispose();
  });

  it('a restarted (empty) Redis gives a fresh token, never one that revives old entries', async () => {
    const scope = CacheKeys.access('owner-1');
    const g1 = await bundle.cache.generation(scope);
    await bundle.cache.getOrSet('wallet:w1', () => Promise.resolve('old'), { generation: g1 });
    await server.kill();
    await server.restart();
    await eventually(async () => (await bundle.health()).ok, 15_000);
    const g2 = await bundle.cache.generation(scope);
    expect(g2).toBeDefined();
    expect(g2).not.toBe(g1);
    expect(
      await bundle.cache.getOrSet('wallet:w1', () => Promise.resolve('new'), { generation: g2 }),
    ).toBe('new');
  });

  it('reads no generation while Redis is down, and retries a bump until it lands', async () => {
    const scope = CacheKeys.access('owner-2');
    const g1 = await bundle.cache.generation(scope);
    await server.kill();
    await eventually(async () => !(await bundle.health()).ok);
    expect(await bundle.cache.generation(scope)).toBeUndefined();
    expect(await bundle.cache.bumpGeneration(scope)).toBe(false);
    // Redis comes back (empty here): the pending bump lands without anyone asking again.
    await server.restart();
    const raw = new Redis(server.url);
    try {
      await eventually(async () => {
        const stored = await raw.get(`gen-test:${scope}`);
        return stored !== null && stored !== g1;
      }, 15_000);
    } finally {
      raw.disconnect();
    }
  });
});
