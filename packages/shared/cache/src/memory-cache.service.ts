import { LRUCache } from 'lru-cache';
import { BaseCacheService, type StoreRead } from './base-cache.service.js';
import type { CacheHealth, CacheServerInfo, CacheServiceOptions } from './cache.types.js';
import { CacheError } from './errors.js';

/**
 * Options of {@link MemoryCacheService}.
 *
 * @example
 * ```ts
 * new MemoryCacheService({ prefix: 'waiaas:', maxEntries: 50_000 });
 * ```
 */
export interface MemoryCacheServiceOptions extends CacheServiceOptions {
  /** Bound on the number of entries; the least recently used go first (default 10 000). */
  maxEntries?: number;
}

/**
 * The in-process {@link CacheService} for running without Redis (zero-configuration
 * local run): same behaviour, TTLs honoured, size bounded by an LRU (`lru-cache`). Values are
 * stored encoded, as in Redis, so a caller mutating a returned object never changes the
 * cache. Invalidation reaches this process's listeners only: there is no other instance to
 * tell when there is no Redis.
 *
 * @example
 * ```ts
 * const cache = new MemoryCacheService({ prefix: 'waiaas:' });
 * const balance = await cache.getOrSet(CacheKeys.balance(address), () => rpc.balance(address));
 * ```
 */
export class MemoryCacheService extends BaseCacheService {
  readonly backend = 'memory' as const;
  private readonly entries: LRUCache<string, string>;
  /**
   * Generation tokens, never evicted: a forgotten token would be recreated fresh (safe), but
   * there is one per scope (an owner), so the map stays small.
   */
  private readonly generations = new Map<string, string>();

  constructor(options: MemoryCacheServiceOptions = {}) {
    super(options);
    const max = options.maxEntries ?? 10_000;
    if (!(Number.isInteger(max) && max > 0)) {
      throw new CacheError(
        'CACHE_INVALID_CONFIG',
        { option: 'maxEntries', reason: 'must be a positive integer' },
        `Invalid maxEntries: ${String(options.maxEntries)}`,
      );
    }
    // Every entry gets its own TTL at set(); expired entries are dropped when read.
    this.entries = new LRUCache<string, string>({ max });
  }

  protected readStore(
    fullKey: string,
    _key: string,
    _keepLocal: boolean,
    withExpiry = false,
  ): Promise<StoreRead | undefined> {
    const raw = this.entries.get(fullKey);
    if (raw === undefined) return Promise.resolve(undefined);
    if (!withExpiry) return Promise.resolve({ raw });
    return Promise.resolve({ raw, expiresAt: Date.now() + this.entries.getRemainingTTL(fullKey) });
  }

  protected writeStore(
    fullKey: string,
    _key: string,
    raw: string,
    ttlMs: number,
    onlyIfAbsent: boolean,
  ): Promise<void> {
    if (!(onlyIfAbsent && this.entries.has(fullKey)))
      this.entries.set(fullKey, raw, { ttl: ttlMs });
    return Promise.resolve();
  }

  protected replaceStore(
    fullKey: string,
    _key: string,
    expectedRaw: string,
    raw: string,
    ttlMs: number,
  ): Promise<void> {
    const current = this.entries.get(fullKey);
    if (current === undefined || current === expectedRaw)
      this.entries.set(fullKey, raw, { ttl: ttlMs });
    return Promise.resolve();
  }

  protected deleteStore(fullKeys: readonly string[]): Promise<void> {
    for (const key of fullKeys) this.entries.delete(key);
    return Promise.resolve();
  }

  protected readGeneration(fullKey: string, candidate: string): Promise<string> {
    let token = this.generations.get(fullKey);
    if (token === undefined) {
      token = candidate;
      this.generations.set(fullKey, token);
    }
    return Promise.resolve(token);
  }

  protected writeGeneration(fullKey: string, token: string): Promise<void> {
    this.generations.set(fullKey, token);
    return Promise.resolve();
  }

  protected broadcast(): Promise<void> {
    return Promise.resolve();
  }

  protected dropLocal(): void {
    // The store is the local layer; delete() already removed the keys from it.
  }

  health(): Promise<CacheHealth> {
    return Promise.resolve({ ok: true, backend: 'memory', latencyMs: 0 });
  }

  /**
   * Entries held and this process's hit rate (figures for the operator endpoint).
   *
   * @example
   * ```ts
   * const { entries, hitRate } = await cache.serverInfo();
   * ```
   */
  serverInfo(): Promise<CacheServerInfo> {
    const { hits, misses } = this.stats();
    return Promise.resolve({
      backend: 'memory',
      entries: this.entries.size,
      keyspaceHits: hits,
      keyspaceMisses: misses,
      ...(hits + misses > 0 ? { hitRate: hits / (hits + misses) } : {}),
    });
  }

  close(): Promise<void> {
    this.closing = true;
    this.stopBumpRetries();
    this.clearTagged();
    this.entries.clear();
    return Promise.resolve();
  }
}
