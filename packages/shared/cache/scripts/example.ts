/**
 * The README's example, runnable: `pnpm --filter @waiaas/cache example` (in-process cache),
 * or with `REDIS_URL=redis://127.0.0.1:6379` (Redis). Writes under the `waiaas-example:`
 * prefix only, and deletes what it wrote.
 */
import { CacheKeys, createCache, rateLimitHeaders } from '../src/index.js';

const { backend, cache, rateLimiter, consumeWithGeneration, health, close } = await createCache({
  redisUrl: process.env.REDIS_URL, // undefined → in-process cache (zero-configuration run)
  prefix: 'waiaas-example:',
  rateLimit: { points: 3 }, // per key per 60 s window
});

// Read-through with the seed's TTL for the keyspace (balance: 10 s); concurrent misses for
// one key share a single fetch.
const loadBalance = (address: string): Promise<bigint> => {
  console.log(`  (fetching ${address} from the RPC)`);
  return Promise.resolve(1_500_000_000n);
};
const address = '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin';
const [a, b] = await Promise.all([
  cache.getOrSet(CacheKeys.balance(address), () => loadBalance(address)),
  cache.getOrSet(CacheKeys.balance(address), () => loadBalance(address)),
]);
console.log(`${backend}: balance ${a} lamports (bigint: ${typeof b === 'bigint'})`);

// Policy update: write-through, and every instance drops its in-process copy.
cache.onInvalidate('policy:', (key) => console.log(`  invalidated ${key}`));
await cache.writeThrough(CacheKeys.policy('wallet-1'), { perTxLimit: 1_000_000n, version: 2 });
console.log('policy', await cache.get(CacheKeys.policy('wallet-1')));

// Agent revoked: gone here and on every other instance.
await cache.delete(CacheKeys.agent('agent-1'));

// Rate limiting with the numbers for RateLimit-* / Retry-After headers.
for (let i = 0; i < 4; i++) {
  const result = await rateLimiter.consume('api-key-1');
  console.log(result.allowed ? 'allowed' : 'denied ', rateLimitHeaders(result));
}

// A request's count and its owner's access generation, in one Redis command: entries tagged
// with the generation answer reads until bumpGeneration (after a grant is revoked, say).
const { rate, generation } = await consumeWithGeneration('api-key-2', CacheKeys.access('owner-1'));
const owner = await cache.getOrSet('owner:owner-1', () => Promise.resolve({ status: 'ACTIVE' }), {
  generation,
});
console.log('counted', rate.remaining, 'left; owner', owner);
await cache.bumpGeneration(CacheKeys.access('owner-1'));

console.log('health', await health());
console.log('stats', cache.stats());
await cache.deleteMany([CacheKeys.balance(address), CacheKeys.policy('wallet-1')]);
await cache.deleteMany(['owner:owner-1', CacheKeys.access('owner-1')]);
await rateLimiter.reset('api-key-1');
await rateLimiter.reset('api-key-2');
await close();
