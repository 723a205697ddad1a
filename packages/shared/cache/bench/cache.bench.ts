/**
 * Cache benchmark: latency of cache-hit reads against the local Redis (with the raw ioredis
 * GET of the same payload as the ceiling), and the getOrSet hit rate under a typical
 * workload (Zipf-distributed balance reads with the seed's 10 s TTL). Prints tables.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 pnpm --filter @waiaas/cache bench
 *
 * Writes only under its own random prefix and deletes it at the end.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  CacheKeys,
  createCache,
  MemoryCacheService,
  RedisCacheService,
  resilientRedisOptions,
} from '../src/index.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `waiaas-bench:${randomBytes(4).toString('hex')}:`;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20_000);

/** A realistic cached value: a wallet balance with token accounts (bigints). */
const payload = {
  address: '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin',
  lamports: 12_345_678_901_234n,
  tokens: Array.from({ length: 5 }, (_, i) => ({
    mint: `Mint${i}`.padEnd(44, 'x'),
    amount: BigInt(i) * 10n ** 9n,
  })),
  slot: 312_456_789n,
  at: new Date(),
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(name: string, op: () => Promise<unknown>): Promise<Record<string, string>> {
  for (let i = 0; i < 1000; i++) await op(); // warm-up
  const times = new Array<number>(SAMPLES);
  const started = performance.now();
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await op();
    times[i] = performance.now() - t0;
  }
  const total = performance.now() - started;
  times.sort((a, b) => a - b);
  return {
    read: name,
    'p50 ms': percentile(times, 50).toFixed(3),
    'p99 ms': percentile(times, 99).toFixed(3),
    'max ms': (times[times.length - 1] ?? 0).toFixed(3),
    'ops/s (sequential)': Math.round(SAMPLES / (total / 1000)).toString(),
  };
}

/** Zipf(s) over n ranks, as cumulative weights, for a skewed "some wallets are hot" load. */
function zipfSampler(n: number, s: number): () => number {
  const cumulative: number[] = [];
  let sum = 0;
  for (let k = 1; k <= n; k++) {
    sum += 1 / k ** s;
    cumulative.push(sum);
  }
  return () => {
    const x = Math.random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

async function main(): Promise<void> {
  const raw = new Redis(url, resilientRedisOptions());
  await raw.connect();
  const bundle = await createCache({ redisUrl: url, prefix });
  const withL1 = new RedisCacheService({
    client: raw,
    prefix,
    l1: { keyspaces: ['balance'], ttlSeconds: 5 },
  });
  await withL1.waitForSubscription();
  const memory = new MemoryCacheService({ prefix });

  try {
    // ---- 1. cache-hit read latency ----
    const key = CacheKeys.balance(payload.address);
    await bundle.cache.set(key, payload, 300);
    await memory.set(key, payload, 300);
    const rawKey = prefix + 'raw:' + key;
    await raw.set(
      rawKey,
      JSON.stringify(payload, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
      'EX',
      300,
    );

    const rows = [
      await measure('ceiling: raw ioredis GET (same payload, no decode)', () => raw.get(rawKey)),
      await measure('RedisCacheService.get (hit)', () => bundle.cache.get(key)),
      await measure('RedisCacheService.get (hit, L1)', () => withL1.get(key)),
      await measure('MemoryCacheService.get (hit)', () => memory.get(key)),
    ];
    const ceilingP50 = Number(rows[0]!['p50 ms']);
    for (const row of rows) row['p50 / ceiling'] = (Number(row['p50 ms']) / ceilingP50).toFixed(2);
    console.log(`\nCache-hit read latency (${SAMPLES} sequential reads each, ${url})`);
    console.table(rows);

    // ---- 2. getOrSet hit rate under a typical workload ----
    const wallets = 2_000;
    const requests = 50_000;
    const concurrency = 32;
    const rpcMs = 2;
    const pick = zipfSampler(wallets, 1.1);
    const workload = async (
      cache: typeof bundle.cache,
      label: string,
    ): Promise<Record<string, string>> => {
      const before = cache.stats();
      let issued = 0;
      const started = performance.now();
      const worker = async (): Promise<void> => {
        while (issued < requests) {
          issued += 1;
          const address = `wallet-${pick()}`;
          await cache.getOrSet(CacheKeys.balance(address), async () => {
            await new Promise((resolve) => setTimeout(resolve, rpcMs));
            return { ...payload, address };
          });
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const seconds = (performance.now() - started) / 1000;
      const after = cache.stats();
      const fetches = after.fetches - before.fetches;
      return {
        backend: label,
        requests: String(requests),
        'source fetches': String(fetches),
        coalesced: String(after.coalesced - before.coalesced),
        'hit rate': `${((1 - fetches / requests) * 100).toFixed(2)} %`,
        'req/s': Math.round(requests / seconds).toString(),
      };
    };
    console.log(
      `\ngetOrSet under load: ${requests} balance reads over ${wallets} wallets (Zipf s=1.1), ` +
        `${concurrency} concurrent callers, TTL 10 s, source ${rpcMs} ms; cold cache at start`,
    );
    console.table([await workload(bundle.cache, 'redis'), await workload(memory, 'memory')]);

    // ---- 3. stampede ----
    let calls = 0;
    await Promise.all(
      Array.from({ length: 1000 }, () =>
        bundle.cache.getOrSet(CacheKeys.policy('stampede'), async () => {
          calls += 1;
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { daily: 1n };
        }),
      ),
    );
    console.log(`\nStampede: 1000 concurrent getOrSet on one cold key → ${calls} source fetch(es)`);
  } finally {
    await withL1.close();
    await bundle.close();
    await memory.close();
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await raw.unlink(...keys);
    } while (cursor !== '0');
    await raw.quit();
  }
}

await main();
