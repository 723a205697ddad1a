import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type {
  CacheEvent,
  CacheHealth,
  CacheOperation,
  CacheService,
  CacheServiceOptions,
  CacheStats,
  GetOrSetOptions,
  InvalidationListener,
} from './cache.types.js';
import { decodeCacheValue, encodeCacheValue } from './codec.js';
import { CacheError } from './errors.js';
import {
  buildTtlTable,
  type CacheTtlTable,
  DEFAULT_TTL_SECONDS,
  keyspaceOf,
  resolveTtlSeconds,
} from './keys.js';

/**
 * A raw value a subclass read from its store, and, when the subclass decoded it to keep it in
 * its in-process layer, the decoded (deeply frozen) value, so it is not decoded twice.
 */
export interface StoreRead {
  raw: string;
  decoded?: LocalEntry;
  /** When the store's copy expires (epoch ms): set when asked for, or kept in process. */
  expiresAt?: number;
}

/** A decoded, deeply frozen value held in process (boxed: `null` is a value). */
export interface LocalEntry {
  value: unknown;
  /** As stored, and when the store's copy expires (epoch ms), where known: for refresh-ahead. */
  raw?: string;
  expiresAt?: number;
}

/** A tagged entry kept in process: its generation and the decoded, deeply frozen value. */
interface TaggedEntry {
  generation: string;
  value: unknown;
}

/** Between a tagged entry's generation and its encoded value in the store. */
const TAG_SEPARATOR = '|';

/** One getOrSet fetch in flight for a key, shared by every caller that misses meanwhile. */
interface Flight {
  promise: Promise<unknown>;
  /** Set when the key is invalidated during the fetch: its result must not be cached. */
  invalidated: boolean;
}

/**
 * What both implementations share: key and TTL validation, encoding, single-flight
 * getOrSet, invalidation listeners and counters. Subclasses only talk to their store; any
 * error a store method throws is absorbed here (counted, reported), never passed on.
 */
export abstract class BaseCacheService implements CacheService {
  abstract readonly backend: 'redis' | 'memory';

  protected readonly prefix: string;
  /** Identifies this instance in invalidation messages, so it ignores its own. */
  protected readonly instanceId = randomUUID();
  private readonly ttlTable: Readonly<CacheTtlTable>;
  /** The same table as a Map: looked up by every getOrSet, hit or miss. */
  private readonly ttlByKeyspace: ReadonlyMap<string, number>;
  private readonly defaultTtlSeconds: number;
  private readonly onEvent: ((event: CacheEvent) => void) | undefined;
  private readonly flights = new Map<string, Flight>();
  /** getOrSet's background refreshes (refresh-ahead), apart from flights: no reader waits on one. */
  private readonly refreshes = new Map<string, Flight>();
  /**
   * Entries cached with a generation, in process. No pub/sub is needed to keep them fresh:
   * every read passes the generation it just read from the store and a different one misses.
   */
  private readonly tagged: LRUCache<string, TaggedEntry>;
  private readonly listeners = new Set<{ prefix: string; listener: InvalidationListener }>();
  private readonly counters: CacheStats = {
    hits: 0,
    misses: 0,
    errors: 0,
    fetches: 0,
    coalesced: 0,
    refreshes: 0,
    l1Hits: 0,
    remoteInvalidations: 0,
  };

  protected constructor(options: CacheServiceOptions) {
    this.prefix = options.prefix ?? '';
    this.ttlTable = buildTtlTable(options.ttl);
    this.ttlByKeyspace = new Map(Object.entries(this.ttlTable));
    this.defaultTtlSeconds = options.defaultTtlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!(Number.isFinite(this.defaultTtlSeconds) && this.defaultTtlSeconds > 0)) {
      throw new CacheError(
        'CACHE_INVALID_CONFIG',
        { option: 'defaultTtlSeconds', reason: 'must be a positive, finite number of seconds' },
        `Invalid defaultTtlSeconds: ${String(options.defaultTtlSeconds)}`,
      );
    }
    this.onEvent = options.onEvent;
    this.tagged = new LRUCache<string, TaggedEntry>({ max: options.taggedEntries ?? 10_000 });
  }

  // ---- store primitives (keys here carry the prefix; errors are absorbed by callers) ----

  /**
   * The raw stored string, or undefined. With `keepLocal`, the subclass may also keep the
   * decoded value in its in-process layer (and hand it back as `decoded`). With `withExpiry`,
   * it also says when the stored copy expires (`expiresAt`), in the same round trip.
   */
  protected abstract readStore(
    fullKey: string,
    key: string,
    keepLocal: boolean,
    withExpiry?: boolean,
  ): Promise<StoreRead | undefined>;
  /**
   * The value the in-process layer holds for `key`, if the implementation has one and may
   * trust it now. Synchronous: an in-process hit costs no promise, no decode and no copy.
   */
  protected readLocal(_key: string): LocalEntry | undefined {
    return undefined;
  }
  /** Stores `raw`; with `onlyIfAbsent`, leaves an existing value alone (SET NX). */
  protected abstract writeStore(
    fullKey: string,
    key: string,
    raw: string,
    ttlMs: number,
    onlyIfAbsent: boolean,
  ): Promise<void>;
  /**
   * Stores `raw` if the key still holds `expectedRaw`, or nothing (a refresh must not replace
   * a value someone else wrote meanwhile); drops the key from the local layer either way.
   */
  protected abstract replaceStore(
    fullKey: string,
    key: string,
    expectedRaw: string,
    raw: string,
    ttlMs: number,
  ): Promise<void>;
  /** Deletes the keys (given with and without the prefix) from the store and the local layer. */
  protected abstract deleteStore(
    fullKeys: readonly string[],
    keys: readonly string[],
  ): Promise<void>;
  /** The generation token stored under `fullKey`, created as `candidate` if there is none. */
  protected abstract readGeneration(fullKey: string, candidate: string): Promise<string>;
  /** Stores `token` as the generation of `fullKey`. */
  protected abstract writeGeneration(fullKey: string, token: string): Promise<void>;
  /** Sends an invalidation to the other instances (keys without prefix). */
  protected abstract broadcast(keys: readonly string[]): Promise<void>;
  /** Drops keys from the in-process layer, if the implementation has one. */
  protected abstract dropLocal(keys: readonly string[]): void;
  abstract health(): Promise<CacheHealth>;
  abstract close(): Promise<void>;

  // ---- CacheService ----

  async get<T>(key: string): Promise<T | undefined> {
    assertKey(key);
    const local = this.readLocal(key);
    if (local !== undefined) return this.localHit(keyspaceOf(key), local.value as T);
    return (await this.readThrough(key, false))?.value as T | undefined;
  }

  /**
   * get() past the in-process layer: the store's entry, decoded (unless the subclass already
   * did), with its raw form and expiry when `withExpiry`.
   */
  private async readThrough(key: string, withExpiry: boolean): Promise<LocalEntry | undefined> {
    let read: StoreRead | undefined;
    try {
      read = await this.readStore(this.prefix + key, key, true, withExpiry);
    } catch (error) {
      this.storeError('get', error);
      this.recordMiss(key);
      return undefined;
    }
    if (read === undefined) {
      this.recordMiss(key);
      return undefined;
    }
    try {
      const value = read.decoded === undefined ? decodeCacheValue(read.raw) : read.decoded.value;
      this.counters.hits += 1;
      this.emit({ type: 'hit', keyspace: keyspaceOf(key), layer: 'store' });
      return { value, raw: read.raw, expiresAt: read.expiresAt };
    } catch (error) {
      // Something else wrote this key: treat it as absent rather than fail the read, and
      // drop it so the next fill (SET NX) can replace it.
      this.storeError('get', error);
      this.recordMiss(key);
      await this.deleteStore([this.prefix + key], [key]).catch((e: unknown) =>
        this.storeError('delete', e),
      );
      return undefined;
    }
  }

  /** Counts a read answered in process and returns its value. */
  private localHit<T>(keyspace: string, value: T): T {
    this.counters.hits += 1;
    this.counters.l1Hits += 1;
    this.emit({ type: 'hit', keyspace, layer: 'l1' });
    return value;
  }

  /**
   * {@link resolveTtlSeconds} for a key whose keyspace the caller already has (it is also the
   * label of the key's events): one keyspace slice per getOrSet instead of one per use.
   */
  private ttlFor(key: string, keyspace: string, explicit: number | undefined): number {
    if (explicit !== undefined)
      return resolveTtlSeconds(key, explicit, this.ttlTable, this.defaultTtlSeconds);
    return this.ttlByKeyspace.get(keyspace) ?? this.defaultTtlSeconds;
  }

  async set<T>(key: string, value: T, ttlSeconds?: number): Promise<void> {
    assertKey(key);
    const ttl = resolveTtlSeconds(key, ttlSeconds, this.ttlTable, this.defaultTtlSeconds);
    const raw = encodeCacheValue(key, value);
    await this.writeEncoded(key, raw, ttl, false);
  }

  async delete(key: string): Promise<void> {
    await this.deleteMany([key]);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    keys.forEach(assertKey);
    if (keys.length === 0) return;
    try {
      await this.deleteStore(
        keys.map((k) => this.prefix + k),
        keys,
      );
    } catch (error) {
      this.storeError('delete', error);
    }
    this.invalidateLocally(keys, 'local');
    await this.safeBroadcast(keys);
  }

  getOrSet<T>(
    key: string,
    fetcher: () => Promise<T>,
    options?: number | GetOrSetOptions,
  ): Promise<T> {
    assertKey(key);
    const ttlSeconds = typeof options === 'number' ? options : options?.ttlSeconds;
    const keyspace = keyspaceOf(key);
    // Validate the TTL before anything runs, so a bad call fails the same way hit or miss.
    const ttl = this.ttlFor(key, keyspace, ttlSeconds);
    const aheadMs = refreshAheadMs(key, ttl, typeof options === 'object' ? options : undefined);
    if (typeof options === 'object' && 'generation' in options) {
      if (aheadMs !== undefined) {
        throw new CacheError(
          'CACHE_INVALID_CONFIG',
          { option: 'refreshAheadSeconds', reason: 'not with generation' },
          `refreshAheadSeconds and generation together for "${key}"`,
        );
      }
      return this.getOrSetTagged(key, keyspace, fetcher, ttl, options.generation);
    }
    // An in-process hit needs no flight: the flight's own first step would answer the same.
    const local = this.readLocal(key);
    if (local !== undefined) {
      if (aheadMs !== undefined) this.refreshAhead(key, keyspace, fetcher, ttl, local, aheadMs);
      return Promise.resolve(this.localHit(keyspace, local.value as T));
    }
    const existing = this.flights.get(key);
    if (existing) {
      this.counters.coalesced += 1;
      this.emit({ type: 'coalesced', keyspace: keyspaceOf(key) });
      return existing.promise as Promise<T>;
    }
    // Hand-written single-flight (a Map of promises): the libraries for it (p-memoize & co.)
    // cannot be told to forget a flight when the key is invalidated mid-fetch, which is what
    // keeps a stale fetch result out of the cache.
    const flight: Flight = { promise: Promise.resolve(), invalidated: false };
    flight.promise = (async (): Promise<T> => {
      try {
        const cached = await this.readThrough(key, aheadMs !== undefined);
        if (cached !== undefined) {
          if (aheadMs !== undefined)
            this.refreshAhead(key, keyspace, fetcher, ttl, cached, aheadMs);
          return cached.value as T;
        }
        this.counters.fetches += 1;
        this.emit({ type: 'fetch', keyspace: keyspaceOf(key) });
        const value = await fetcher();
        if (value !== undefined && !flight.invalidated) {
          // Fill only if still absent: a value written meanwhile (a write-through of newer
          // data, say) is at least as fresh as what this fetch read, so it wins.
          await this.writeEncoded(key, encodeCacheValue(key, value), ttl, true);
        }
        return value;
      } finally {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      }
    })();
    this.flights.set(key, flight);
    return flight.promise as Promise<T>;
  }

  async idle(): Promise<void> {
    await Promise.all([...this.refreshes.values()].map((refresh) => refresh.promise));
  }

  /**
   * Starts a background refresh of `key` if `entry` expires within `aheadMs` and none is
   * running. Its result replaces the entry only if the key was not invalidated meanwhile and
   * still holds what `entry` held (or nothing); a failed fetch is reported, and the entry
   * keeps answering until it expires.
   */
  private refreshAhead<T>(
    key: string,
    keyspace: string,
    fetcher: () => Promise<T>,
    ttlSeconds: number,
    entry: LocalEntry,
    aheadMs: number,
  ): void {
    const { raw: expected, expiresAt } = entry;
    if (expected === undefined || expiresAt === undefined) return;
    const left = expiresAt - Date.now();
    if (left > aheadMs || left > aheadMs * refreshPoint(key)) return;
    if (this.refreshes.has(key) || this.closing) return;
    const refresh: Flight = { promise: Promise.resolve(), invalidated: false };
    this.refreshes.set(key, refresh);
    this.counters.refreshes += 1;
    this.emit({ type: 'refresh', keyspace });
    refresh.promise = (async (): Promise<void> => {
      try {
        const value = await fetcher();
        if (value === undefined || refresh.invalidated || this.closing) return;
        const raw = encodeCacheValue(key, value);
        const ttlMs = Math.max(1, Math.round(ttlSeconds * 1000));
        try {
          await this.replaceStore(this.prefix + key, key, expected, raw, ttlMs);
        } catch (error) {
          this.storeError('set', error);
        }
      } catch (error) {
        this.storeError('refresh', error);
      } finally {
        if (this.refreshes.get(key) === refresh) this.refreshes.delete(key);
      }
    })();
  }

  async generation(key: string): Promise<string | undefined> {
    assertKey(key);
    try {
      return await this.readGeneration(this.prefix + key, newGenerationToken());
    } catch (error) {
      this.storeError('get', error);
      return undefined;
    }
  }

  async bumpGeneration(key: string): Promise<boolean> {
    assertKey(key);
    try {
      await this.writeGeneration(this.prefix + key, newGenerationToken());
      this.pendingBumps.delete(key);
      return true;
    } catch (error) {
      this.storeError('set', error);
      this.retryBump(key);
      return false;
    }
  }

  async writeThrough<T>(key: string, value: T, ttlSeconds?: number): Promise<void> {
    await this.set(key, value, ttlSeconds);
    await this.publishInvalidation([key]);
  }

  async publishInvalidation(keys: readonly string[]): Promise<void> {
    keys.forEach(assertKey);
    if (keys.length === 0) return;
    this.invalidateLocally(keys, 'local');
    await this.safeBroadcast(keys);
  }

  onInvalidate(keyPrefix: string, listener: InvalidationListener): () => void {
    const entry = { prefix: keyPrefix, listener };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  stats(): CacheStats {
    return { ...this.counters };
  }

  // ---- generations ----

  private readonly pendingBumps = new Set<string>();
  private bumpTimer: NodeJS.Timeout | undefined;

  /**
   * A bump that did not reach the store leaves other instances trusting entries tagged with
   * the old token, so it is retried (every second, in the background) until it lands.
   */
  private retryBump(key: string): void {
    this.pendingBumps.add(key);
    if (this.bumpTimer !== undefined || this.closing) return;
    this.bumpTimer = setInterval(() => {
      for (const pending of [...this.pendingBumps]) void this.bumpGeneration(pending);
      if (this.pendingBumps.size === 0 || this.closing) this.stopBumpRetries();
    }, 1000);
    this.bumpTimer.unref();
  }

  /** Stops retrying bumps (on close). */
  protected stopBumpRetries(): void {
    clearInterval(this.bumpTimer);
    this.bumpTimer = undefined;
  }

  /** Set by close() in subclasses, so no retry timer starts after it. */
  protected closing = false;

  private getOrSetTagged<T>(
    key: string,
    keyspace: string,
    fetcher: () => Promise<T>,
    ttlSeconds: number,
    generation: string | undefined,
  ): Promise<T> {
    // Store down: nobody can announce a change, so nothing cached may be trusted.
    if (generation === undefined) return fetcher();
    const local = this.tagged.get(key);
    if (local !== undefined && local.generation === generation)
      return Promise.resolve(this.localHit(keyspace, local.value as T));
    const flightKey = `${key}\u0000${generation}`;
    const existing = this.flights.get(flightKey);
    if (existing) {
      this.counters.coalesced += 1;
      this.emit({ type: 'coalesced', keyspace: keyspaceOf(key) });
      return existing.promise as Promise<T>;
    }
    const flight: Flight = { promise: Promise.resolve(), invalidated: false };
    flight.promise = (async (): Promise<T> => {
      try {
        const stored = await this.readTagged<T>(key, generation);
        if (stored !== undefined) return this.keepTagged(key, generation, stored, ttlSeconds);
        this.counters.fetches += 1;
        this.emit({ type: 'fetch', keyspace: keyspaceOf(key) });
        const value = await fetcher();
        if (value === undefined || flight.invalidated) return value;
        // A plain SET (not NX): an entry with another generation may be there, and it is
        // stale for every reader that passes this one. Two fills with different tokens may
        // overwrite each other; every reader still checks its token, so the worst is a refill.
        await this.writeEncoded(
          key,
          generation + TAG_SEPARATOR + encodeCacheValue(key, value),
          ttlSeconds,
          false,
        );
        return this.keepTagged(key, generation, value, ttlSeconds);
      } finally {
        if (this.flights.get(flightKey) === flight) this.flights.delete(flightKey);
      }
    })();
    this.flights.set(flightKey, flight);
    return flight.promise as Promise<T>;
  }

  /** The stored value of a tagged entry if it carries `generation`, else undefined (a miss). */
  private async readTagged<T>(key: string, generation: string): Promise<T | undefined> {
    let read: StoreRead | undefined;
    try {
      read = await this.readStore(this.prefix + key, key, false);
    } catch (error) {
      this.storeError('get', error);
    }
    const separator = read?.raw.indexOf(TAG_SEPARATOR) ?? -1;
    if (read === undefined || read.raw.slice(0, separator) !== generation) {
      this.recordMiss(key);
      return undefined;
    }
    try {
      const value = decodeCacheValue<T>(read.raw.slice(separator + 1));
      this.counters.hits += 1;
      this.emit({ type: 'hit', keyspace: keyspaceOf(key), layer: 'store' });
      return value;
    } catch (error) {
      this.storeError('get', error);
      this.recordMiss(key);
      return undefined;
    }
  }

  private keepTagged<T>(key: string, generation: string, value: T, ttlSeconds: number): T {
    deepFreeze(value);
    this.tagged.set(
      key,
      { generation, value },
      { ttl: Math.max(1, Math.round(ttlSeconds * 1000)) },
    );
    return value;
  }

  /** Forgets every tagged entry held in process (on close, or when the store was lost). */
  protected clearTagged(): void {
    this.tagged.clear();
  }

  // ---- helpers for subclasses ----

  /** Applies an invalidation: drop local copies, forget in-flight fetches, run listeners. */
  protected invalidateLocally(keys: readonly string[], origin: 'local' | 'remote'): void {
    this.dropLocal(keys);
    for (const key of keys) this.tagged.delete(key);
    for (const key of keys) {
      const flight = this.flights.get(key);
      if (flight) {
        flight.invalidated = true;
        this.flights.delete(key);
      }
      // Kept in the map until it settles (idle() waits for it); a read meanwhile misses and
      // fetches through a flight, so nothing waits on it.
      const refresh = this.refreshes.get(key);
      if (refresh) refresh.invalidated = true;
      if (origin === 'remote') this.counters.remoteInvalidations += 1;
      this.emit({ type: 'invalidated', keyspace: keyspaceOf(key), origin });
      for (const { prefix, listener } of this.listeners) {
        if (!key.startsWith(prefix)) continue;
        try {
          listener(key);
        } catch (error) {
          this.storeError('subscribe', error);
        }
      }
    }
  }

  /** Counts and reports an absorbed store failure. */
  protected storeError(operation: CacheOperation, error: unknown): void {
    if (operation !== 'connection') this.counters.errors += 1;
    this.emit({ type: 'error', operation, error });
  }

  protected emit(event: CacheEvent): void {
    if (!this.onEvent) return;
    try {
      this.onEvent(event);
    } catch {
      // A metrics hook must never break a cache read.
    }
  }

  private recordMiss(key: string): void {
    this.counters.misses += 1;
    this.emit({ type: 'miss', keyspace: keyspaceOf(key) });
  }

  private async writeEncoded(
    key: string,
    raw: string,
    ttlSeconds: number,
    onlyIfAbsent: boolean,
  ): Promise<void> {
    try {
      const ttlMs = Math.max(1, Math.round(ttlSeconds * 1000));
      await this.writeStore(this.prefix + key, key, raw, ttlMs, onlyIfAbsent);
    } catch (error) {
      this.storeError('set', error);
    }
  }

  private async safeBroadcast(keys: readonly string[]): Promise<void> {
    try {
      await this.broadcast(keys);
    } catch (error) {
      this.storeError('publish', error);
    }
  }
}

/**
 * getOrSet's refresh-ahead window in ms, or undefined when none was asked for.
 * @throws {CacheError} `CACHE_INVALID_CONFIG` for a window that is not a positive number of
 *   seconds below the entry's TTL
 */
function refreshAheadMs(
  key: string,
  ttlSeconds: number,
  options: GetOrSetOptions | undefined,
): number | undefined {
  const seconds = options?.refreshAheadSeconds;
  if (seconds === undefined) return undefined;
  if (!(
    typeof seconds === 'number' &&
    Number.isFinite(seconds) &&
    seconds > 0 &&
    seconds < ttlSeconds
  )) {
    throw new CacheError(
      'CACHE_INVALID_CONFIG',
      {
        option: 'refreshAheadSeconds',
        reason: `must be a positive number of seconds below the TTL (${ttlSeconds} s)`,
      },
      `Invalid refreshAheadSeconds for "${key}": ${String(seconds)}`,
    );
  }
  return seconds * 1000;
}

/**
 * Where in the refresh-ahead window a key is refreshed, as a fraction of the window (½ to 1):
 * fixed per key and spread across keys, so keys filled together (a client polling many
 * wallets, a restart) are refreshed apart rather than in one burst of fetches. FNV-1a of the
 * key, written out: five lines, and it must be the same on every instance and every read.
 */
function refreshPoint(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return 0.5 + (hash >>> 0) / 2 ** 33;
}

/** Throws CACHE_INVALID_KEY for a key that is not a non-empty string. */
export function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new CacheError(
      'CACHE_INVALID_KEY',
      { key: String(key) },
      `Invalid cache key: ${JSON.stringify(key)}`,
    );
  }
}

/** A fresh, unguessable generation token (never reused, so a lost store cannot revive one). */
/**
 * A token never used before (122 random bits). `randomUUID` draws from a buffered entropy pool;
 * `randomBytes` per call was 6 % of the API's CPU on cached reads, which ask for a candidate
 * token on every request (SET NX GET).
 */
function newGenerationToken(): string {
  return randomUUID();
}

/**
 * Freezes plain objects and arrays all the way down, so an in-process entry handed to many
 * callers cannot be changed by one of them.
 */
export function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
