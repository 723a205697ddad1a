import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type {
  CacheHealth,
  CacheServerInfo,
  CacheService,
  CacheServiceOptions,
} from './cache.types.js';
import { CacheError } from './errors.js';
import { MemoryCacheService } from './memory-cache.service.js';
import {
  MemoryRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitResult,
  RedisRateLimiter,
} from './rate-limiter.js';
import { type L1Options, RedisCacheService } from './redis-cache.service.js';

/**
 * ioredis options for a cache that must never make a request wait on Redis: no offline
 * queue (a command while disconnected fails at once), one retry per command, a 1 s command
 * timeout, a 2 s connect timeout, and reconnecting forever with capped backoff so the service recovers by itself.
 *
 * @example
 * ```ts
 * const client = new Redis(url, resilientRedisOptions({ connectionName: 'api' }));
 * ```
 */
export function resilientRedisOptions(overrides: RedisOptions = {}): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
    connectTimeout: 2000,
    // How long close() lets a socket end gracefully before destroying it. ioredis keeps this
    // timer even for a socket that is already dead (Redis down), so keep it short.
    disconnectTimeout: 200,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    enableAutoPipelining: true,
    lazyConnect: true,
    ...overrides,
  };
}

/**
 * Options of {@link createCache}.
 *
 * @example
 * ```ts
 * await createCache({ redisUrl: process.env.REDIS_URL, prefix: 'waiaas:', rateLimit: { points: 1200 } });
 * ```
 */
export interface CreateCacheOptions extends CacheServiceOptions {
  /** `redis://…` of a single node. Neither this nor `cluster`: in-process cache. */
  redisUrl?: string;
  /** Redis Cluster start-up nodes (ioredis `Cluster`). */
  cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
  /** Extra ioredis options (single node, or each Cluster node's `redisOptions`). */
  redisOptions?: RedisOptions;
  /** In-process L1 in front of Redis (see {@link L1Options}). Default none. */
  l1?: L1Options;
  /** Default rate limiter: points per window (default 1200 a minute). */
  rateLimit?: Partial<Pick<RateLimiterOptions, 'points' | 'windowSeconds'>>;
  /**
   * Throw {@link CacheError} `CACHE_UNAVAILABLE` when Redis cannot be reached at start-up
   * (default true: fail fast). With false, start anyway and keep reconnecting.
   */
  failFast?: boolean;
  /** Longest to wait for Redis at start-up. Default 5000 ms. */
  connectTimeoutMs?: number;
}

/**
 * What {@link createCache} returns: the cache, a rate limiter, and their lifecycle. Its
 * functions are bound (safe to destructure).
 *
 * @example
 * ```ts
 * const { cache, rateLimiter, health, close } = await createCache({ redisUrl });
 * ```
 */
export interface CacheBundle {
  /** `'redis'` or `'memory'`. */
  readonly backend: 'redis' | 'memory';
  readonly cache: CacheService;
  /** Per-key limiter with the configured defaults, keyspace `ratelimit`. */
  readonly rateLimiter: RateLimiter;
  /**
   * One request counted against {@link rateLimiter} for `rateKey`, and the token of the
   * generation `generationKey` (as {@link CacheService.generation} reads it), in one Redis
   * command on a single node (two, sent together, on a Cluster, where the keys live in
   * different slots; both in process without Redis). What authenticating a request needs:
   * its count, and whether cached access data may still be trusted.
   */
  readonly consumeWithGeneration: (
    rateKey: string,
    generationKey: string,
  ) => Promise<ConsumedWithGeneration>;
  /** Another limiter on the same store (other points, window or keyspace). */
  readonly createRateLimiter: (options: Omit<RateLimiterOptions, 'prefix'>) => RateLimiter;
  /** Readiness: pings Redis (always ok in memory). */
  readonly health: () => Promise<CacheHealth>;
  /** Redis memory and hit rate (or the memory cache's), for the operator endpoint. */
  readonly serverInfo: () => Promise<CacheServerInfo>;
  /** Closes the cache and every connection it opened. */
  readonly close: () => Promise<void>;
}

/** What {@link CacheBundle.consumeWithGeneration} answers. */
export interface ConsumedWithGeneration {
  rate: RateLimitResult;
  /** The generation's token; undefined when the store cannot answer (trust nothing cached). */
  generation: string | undefined;
}

/**
 * Default rate limit: at least 1200 requests a minute per key (issue 5).
 *
 * @example
 * ```ts
 * await createCache({ rateLimit: { points: DEFAULT_RATE_LIMIT_POINTS * 2 } });
 * ```
 */
export const DEFAULT_RATE_LIMIT_POINTS = 1200;

/**
 * Builds the cache from configuration: Redis single node (`redisUrl`), Redis Cluster
 * (`cluster`), or in process when neither is given (zero-configuration run).
 *
 * @throws {CacheError} `CACHE_UNAVAILABLE` when Redis cannot be reached at start-up and
 *   `failFast` is not false; `CACHE_INVALID_CONFIG` for contradictory options
 * @example
 * ```ts
 * const { cache, rateLimiter, health, close } = await createCache({
 *   redisUrl: process.env.REDIS_URL, // undefined → in-process
 *   prefix: 'waiaas:',
 * });
 * const policy = await cache.getOrSet(CacheKeys.policy(walletId), () => load(walletId));
 * await close();
 * ```
 */
export async function createCache(options: CreateCacheOptions = {}): Promise<CacheBundle> {
  const prefix = options.prefix ?? 'waiaas:';
  const limit = {
    points: options.rateLimit?.points ?? DEFAULT_RATE_LIMIT_POINTS,
    windowSeconds: options.rateLimit?.windowSeconds ?? 60,
  };
  if (options.redisUrl !== undefined && options.cluster !== undefined) {
    throw new CacheError(
      'CACHE_INVALID_CONFIG',
      { option: 'redisUrl/cluster', reason: 'give one of them, not both' },
      'createCache: redisUrl and cluster are mutually exclusive',
    );
  }

  if (options.redisUrl === undefined && options.cluster === undefined) {
    const cache = new MemoryCacheService({ ...options, prefix });
    const make = (o: Omit<RateLimiterOptions, 'prefix'>): RateLimiter =>
      new MemoryRateLimiter({ ...o, prefix });
    const rateLimiter = make(limit);
    return {
      backend: 'memory',
      cache,
      rateLimiter,
      consumeWithGeneration: async (rateKey, generationKey) => {
        const [rate, generation] = await Promise.all([
          rateLimiter.consume(rateKey),
          cache.generation(generationKey),
        ]);
        return { rate, generation };
      },
      createRateLimiter: make,
      health: () => cache.health(),
      serverInfo: () => cache.serverInfo(),
      close: () => cache.close(),
    };
  }

  const redisOptions = resilientRedisOptions(options.redisOptions);
  const client: Redis | Cluster = options.cluster
    ? new Cluster(options.cluster.nodes, {
        enableOfflineQueue: false,
        lazyConnect: true,
        clusterRetryStrategy: redisOptions.retryStrategy,
        enableAutoPipelining: true,
        ...options.cluster.options,
        redisOptions: { ...redisOptions, ...options.cluster.options?.redisOptions },
      })
    : new Redis(options.redisUrl ?? '', redisOptions);
  const target = options.cluster
    ? `cluster of ${options.cluster.nodes.length} node(s)`
    : redactUrl(options.redisUrl ?? '');

  // Connect before building the service, so the first requests do not miss for nothing.
  const connected = await connectWithin(client, options.connectTimeoutMs ?? 5000);
  if (!connected.ok && options.failFast !== false) {
    client.disconnect();
    throw new CacheError(
      'CACHE_UNAVAILABLE',
      { target, reason: connected.reason },
      `Redis unreachable at start-up (${target}): ${connected.reason}`,
    );
  }

  let cache: RedisCacheService;
  try {
    cache = new RedisCacheService({ ...options, prefix, client, ownsClient: true });
  } catch (error) {
    client.disconnect();
    throw error;
  }
  if (connected.ok) {
    await cache.waitForSubscription(options.connectTimeoutMs ?? 5000).catch(() => undefined);
  }
  const limiters: RateLimiter[] = [];
  const make = (o: Omit<RateLimiterOptions, 'prefix'>): RedisRateLimiter => {
    const limiter = new RedisRateLimiter(client, { ...o, prefix });
    limiters.push(limiter);
    return limiter;
  };
  const rateLimiter = make(limit);
  return {
    backend: 'redis',
    cache,
    rateLimiter,
    consumeWithGeneration: async (rateKey, generationKey) => {
      const { result, value } = await rateLimiter.consumeAndGet(
        rateKey,
        cache.storeKey(generationKey),
      );
      // No token yet, or Redis did not answer: generation() creates the token (SET NX GET),
      // or reports the store down (undefined).
      return { rate: result, generation: value ?? (await cache.generation(generationKey)) };
    },
    createRateLimiter: make,
    health: () => cache.health(),
    serverInfo: () => cache.serverInfo(),
    close: () => {
      for (const limiter of limiters) limiter.close();
      return cache.close();
    },
  };
}

async function connectWithin(
  client: Redis | Cluster,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      // A client built with lazyConnect: false is already connecting: wait for it instead.
      client.status === 'wait'
        ? client.connect()
        : new Promise<void>((resolve) => {
            if (client.status === 'ready') resolve();
            else client.once('ready', () => resolve());
          }),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no connection within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** host:port of a Redis URL, never its credentials. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'redis (unparseable URL)';
  }
}
