import type { CacheTtlTable } from './keys.js';

/**
 * Result of {@link CacheService.health}, for a readiness probe.
 *
 * @example
 * ```ts
 * const { ok, error } = await cache.health();
 * if (!ok) log.warn({ error }, 'cache degraded');
 * ```
 */
export interface CacheHealth {
  /** True when the backing store answered (always true in memory). */
  ok: boolean;
  /** `'redis'` or `'memory'`. */
  backend: 'redis' | 'memory';
  /** Round-trip time of a PING, when it answered. */
  latencyMs?: number;
  /** Why it is not ok (never contains credentials). */
  error?: string;
}

/**
 * Server-side figures for the operator's health endpoint (Redis memory and hit
 * rate). Redis numbers are the server's own (all clients, summed over Cluster masters);
 * memory numbers are this process's cache.
 *
 * @example
 * ```ts
 * const { usedMemoryBytes, hitRate } = await bundle.serverInfo();
 * ```
 */
export interface CacheServerInfo {
  backend: 'redis' | 'memory';
  /** Redis `used_memory`, bytes. */
  usedMemoryBytes?: number;
  /** Redis `keyspace_hits` / `keyspace_misses` since the server started. */
  keyspaceHits?: number;
  keyspaceMisses?: number;
  /** hits / (hits + misses), when there were any. */
  hitRate?: number;
  /** Entries held (memory backend). */
  entries?: number;
  /** Why the figures are missing (Redis down). */
  error?: string;
}

/**
 * Running counters since the service was created.
 *
 * @example
 * ```ts
 * const { hits, misses } = cache.stats();
 * const hitRate = hits / (hits + misses);
 * ```
 */
export interface CacheStats {
  /** Reads answered from the cache (L1 or store). */
  hits: number;
  /** Reads the cache could not answer (absent, expired, or the store unreachable). */
  misses: number;
  /** Store operations that failed (Redis down, timeout); each was absorbed, never thrown. */
  errors: number;
  /** Fetcher calls made by getOrSet. */
  fetches: number;
  /** getOrSet callers that joined another caller's in-flight fetch instead of fetching. */
  coalesced: number;
  /**
   * Background refreshes started by getOrSet's `refreshAheadSeconds` (each is also a fetch:
   * counted in `fetches` too).
   */
  refreshes: number;
  /** Reads answered by the in-process L1 layer (a subset of `hits`). */
  l1Hits: number;
  /** Keys dropped because of an invalidation message from another instance. */
  remoteInvalidations: number;
}

/**
 * One observable event, for mapping onto metrics (e.g. prom-client counters).
 *
 * @example
 * ```ts
 * onEvent: (e) => { if (e.type === 'hit') hits.inc({ keyspace: e.keyspace, layer: e.layer }); }
 * ```
 */
export type CacheEvent =
  | { type: 'hit'; keyspace: string; layer: 'l1' | 'store' }
  | { type: 'miss'; keyspace: string }
  | { type: 'fetch'; keyspace: string }
  | { type: 'coalesced'; keyspace: string }
  | { type: 'refresh'; keyspace: string }
  | { type: 'invalidated'; keyspace: string; origin: 'local' | 'remote' }
  | { type: 'error'; operation: CacheOperation; error: unknown };

/**
 * The store operation an error event came from.
 *
 * @example
 * ```ts
 * onEvent: (e) => { if (e.type === 'error') errors.inc({ operation: e.operation }); }
 * ```
 */
export type CacheOperation =
  | 'get'
  | 'set'
  | 'delete'
  | 'publish'
  | 'subscribe'
  | 'health'
  | 'connection'
  /** A background refresh's fetcher failed (the entry it would have replaced stays). */
  | 'refresh';

/**
 * Called with each invalidated key (without the deployment prefix), on every instance,
 * including the one that deleted it. Must not throw (errors are reported as events).
 *
 * @example
 * ```ts
 * cache.onInvalidate('agent:', (key) => authCache.delete(key));
 * ```
 */
export type InvalidationListener = (key: string) => void;

/**
 * Options of {@link CacheService.getOrSet}.
 *
 * @example
 * ```ts
 * const generation = await cache.generation(CacheKeys.access(ownerId));
 * const wallet = await cache.getOrSet(CacheKeys.wallet(id), () => load(id), { generation });
 * ```
 */
export interface GetOrSetOptions {
  /** TTL of the entry (default: the keyspace's). */
  ttlSeconds?: number;
  /**
   * The generation token read (with {@link CacheService.generation}) *before* the source is
   * read. The entry is stored tagged with it and answers only reads that pass the same token;
   * such entries are also kept in process (deeply frozen: do not mutate what is returned),
   * since the token check, not pub/sub, is what keeps them fresh. `undefined`: the store is
   * down, so the fetcher runs and nothing is cached.
   */
  generation?: string | undefined;
  /**
   * Refresh-ahead: a read that finds the entry with at most this many seconds of its TTL left
   * answers with it at once and starts the fetcher in the background (one refresh per key at a
   * time, per instance), which replaces the entry with a full TTL. A key read more often than
   * its TTL then never expires in front of a reader, and no reader waits for the source. The
   * refreshed value is not stored if the key is invalidated while it is fetched, nor over a
   * value someone else wrote meanwhile. Must be below the TTL; not with `generation`.
   */
  refreshAheadSeconds?: number;
}

/**
 * Options shared by both implementations.
 *
 * @example
 * ```ts
 * new MemoryCacheService({ prefix: 'waiaas:', ttl: { balance: 5 }, onEvent: (e) => metrics(e) });
 * ```
 */
export interface CacheServiceOptions {
  /**
   * Prepended to every key and to the invalidation channel, e.g. `'waiaas:'`; isolates
   * deployments (and tests) sharing a Redis. Should not contain `{` `}` (Cluster hash tags).
   */
  prefix?: string;
  /** TTL overrides / additions by keyspace, merged into {@link CACHE_TTL}. */
  ttl?: Partial<CacheTtlTable>;
  /** TTL for keys whose keyspace has none in the table (default 60 s). */
  defaultTtlSeconds?: number;
  /** Receives every {@link CacheEvent}; keep it cheap and non-throwing. */
  onEvent?: (event: CacheEvent) => void;
  /** Bound on generation-tagged entries kept in process (LRU, default 10 000). */
  taggedEntries?: number;
}

/**
 * A key/value cache with TTLs, single-flight reads and cross-instance invalidation. Keys are
 * given without the deployment prefix (`CacheKeys.policy(id)`); values are any data
 * {@link encodeCacheValue} accepts (JSON plus bigint, Date, Map, Set). `undefined` is never a
 * value: `get` returns it for a miss.
 *
 * A store outage never throws from these methods: reads miss (getOrSet calls the fetcher),
 * writes and invalidations are best effort, and `health()` reports it. Only caller mistakes
 * throw, as {@link CacheError}.
 *
 * @example
 * ```ts
 * const policy = await cache.getOrSet(CacheKeys.policy(walletId), () => repo.load(walletId));
 * await cache.writeThrough(CacheKeys.policy(walletId), updated); // every instance sees it
 * await cache.delete(CacheKeys.agent(agentId));                  // on revoke
 * ```
 */
export interface CacheService {
  /** `'redis'` or `'memory'`. */
  readonly backend: 'redis' | 'memory';

  /** The value stored under `key`, or `undefined` on a miss (or when the store is down). */
  get<T>(key: string): Promise<T | undefined>;

  /**
   * Stores `value` for `ttlSeconds` (default: the keyspace's TTL). Best effort.
   * @throws {CacheError} `CACHE_VALUE_NOT_ENCODABLE`, `CACHE_INVALID_TTL`, `CACHE_INVALID_KEY`
   */
  set<T>(key: string, value: T, ttlSeconds?: number): Promise<void>;

  /**
   * Deletes `key` from the store and from every instance's in-process layer (pub/sub), and
   * runs the {@link onInvalidate} listeners on every instance.
   */
  delete(key: string): Promise<void>;

  /** {@link delete} for several keys (one invalidation message). */
  deleteMany(keys: readonly string[]): Promise<void>;

  /**
   * The cached value, or the fetcher's value (then cached). Concurrent misses for one key in
   * this process share ONE fetcher call. A fetcher error is passed to every waiter and not
   * cached; a fetcher result of `undefined` is returned but not cached. If the key is
   * invalidated while the fetch runs, its result is returned but not cached (it may be stale).
   */
  getOrSet<T>(
    key: string,
    fetcher: () => Promise<T>,
    options?: number | GetOrSetOptions,
  ): Promise<T>;

  /**
   * Resolves when every background refresh (getOrSet's `refreshAheadSeconds`) started so far
   * has finished, stored or not: before a deliberate shutdown, or in a test.
   */
  idle(): Promise<void>;

  /**
   * The current generation token of `key` (e.g. `CacheKeys.access(ownerId)`): one round trip
   * to the store, which creates a random token the first time. Entries cached with
   * `getOrSet(key, fetcher, { generation })` are valid only while it is unchanged, so a
   * {@link bumpGeneration} makes all of them stale at once, on every instance, for every
   * request that reads the generation afterwards. `undefined` when the store cannot answer:
   * then read the source (pass no generation to getOrSet and nothing is cached).
   */
  generation(key: string): Promise<string | undefined>;

  /**
   * Replaces the generation token of `key` with a new random one (call it after the database
   * commit of the change it announces). If the store cannot be reached, the bump is retried
   * every second until it lands (entries also expire with their TTL), and `false` is returned.
   */
  bumpGeneration(key: string): Promise<boolean>;

  /**
   * Stores the new value and tells every instance to drop its in-process copy (for data
   * that must change everywhere at once, like a wallet's policy).
   */
  writeThrough<T>(key: string, value: T, ttlSeconds?: number): Promise<void>;

  /**
   * Tells every instance (this one included) to drop these keys from its in-process layer
   * and run its listeners, without deleting them from the store.
   */
  publishInvalidation(keys: readonly string[]): Promise<void>;

  /**
   * Runs `listener` for every invalidated key starting with `keyPrefix` (`''` for all), on
   * this instance, whichever instance caused it. Returns an unsubscribe function.
   */
  onInvalidate(keyPrefix: string, listener: InvalidationListener): () => void;

  /** Pings the store, for readiness. Never throws. */
  health(): Promise<CacheHealth>;

  /** A snapshot of the counters. */
  stats(): CacheStats;

  /** Releases connections this service opened (not a client passed in). Idempotent. */
  close(): Promise<void>;
}
