import { Cluster, type Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import {
  assertKey,
  BaseCacheService,
  deepFreeze,
  type LocalEntry,
  type StoreRead,
} from './base-cache.service.js';
import type { CacheHealth, CacheServerInfo, CacheServiceOptions } from './cache.types.js';
import { decodeCacheValue } from './codec.js';
import { CacheError } from './errors.js';
import { keyspaceOf } from './keys.js';

/**
 * The invalidation channel (the service prefix is prepended), from the seed.
 *
 * @example
 * ```ts
 * await redis.subscribe(prefix + INVALIDATION_CHANNEL);
 * ```
 */
export const INVALIDATION_CHANNEL = 'cache:invalidate';

/**
 * In-process layer in front of Redis, for keys read on every request. It holds values decoded
 * and deeply frozen: a read from it costs no decode, and returns the same object to every
 * caller (do not mutate what a read of an L1 keyspace returns).
 *
 * @example
 * ```ts
 * await createCache({ redisUrl, l1: { keyspaces: ['agent'], ttlSeconds: 5 } });
 * ```
 */
export interface L1Options {
  /** Keyspaces kept in L1, e.g. `['agent']`. Others always go to Redis. */
  keyspaces: readonly string[];
  /** Longest an entry lives in L1 (never longer than its Redis TTL). Default 5 s. */
  ttlSeconds?: number;
  /** LRU bound. Default 10 000. */
  maxEntries?: number;
}

/**
 * Options of {@link RedisCacheService}.
 *
 * @example
 * ```ts
 * new RedisCacheService({ client, prefix: 'waiaas:', ownsClient: true });
 * ```
 */
export interface RedisCacheServiceOptions extends CacheServiceOptions {
  /**
   * A connected (or connecting) ioredis `Redis` or `Cluster`. Give it the options of
   * {@link resilientRedisOptions} (no offline queue, short command timeout, endless
   * reconnects) so an outage costs a fast miss, never a queue. Do not set ioredis
   * `keyPrefix`: use `prefix` (it keeps Cluster hash tags working and applies to pub/sub).
   */
  client: Redis | Cluster;
  /** Close `client` in close(). Default false (the caller owns what it passed in). */
  ownsClient?: boolean;
  /** In-process L1 layer. Default none: every read goes to Redis. */
  l1?: L1Options;
  /** Longest health() waits for PING. Default 1000 ms. */
  healthTimeoutMs?: number;
  /**
   * Longest a cache operation waits for Redis when the client has no ioredis
   * `commandTimeout` of its own (a client with it, like {@link resilientRedisOptions}'s, is
   * trusted and pays for no extra timer). Default 1000 ms.
   */
  operationTimeoutMs?: number;
}

/**
 * Refresh-ahead's write: replaces the value only if the key still holds the one the refresh
 * started from, or nothing (then it fills, as a getOrSet miss would). A value someone wrote
 * meanwhile is newer than what the refresh read, and stays.
 */
const REPLACE_IF_UNCHANGED = `
local current = redis.call('get', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

/** The command {@link REPLACE_IF_UNCHANGED} is defined as on the client (ioredis `defineCommand`). */
const REPLACE_COMMAND = 'waiaasCacheReplace';

interface ReplaceClient {
  [REPLACE_COMMAND](keyCount: 1, key: string, ...args: string[]): Promise<number>;
}

interface InvalidationMessage {
  v: 1;
  origin: string;
  keys: string[];
}

/**
 * {@link CacheService} over ioredis, single node or Cluster. Every instance subscribes (on a
 * duplicated connection) to `<prefix>cache:invalidate`: a `delete`, `writeThrough` or
 * `publishInvalidation` on any instance drops the keys from every instance's L1 layer and
 * runs every instance's {@link CacheService.onInvalidate} listeners.
 *
 * Redis down: a command is not even attempted unless the client is `ready`, so reads miss at
 * once (getOrSet falls through to its fetcher), writes and invalidations are skipped, nothing
 * queues and nothing throws; ioredis keeps reconnecting and the service recovers by itself.
 * L1 is bypassed and emptied whenever the subscription is down, since invalidations may have
 * been missed.
 *
 * @example
 * ```ts
 * const client = new Redis(process.env.REDIS_URL!, resilientRedisOptions());
 * const cache = new RedisCacheService({ client, prefix: 'waiaas:', l1: { keyspaces: ['agent'] } });
 * cache.onInvalidate('agent:', (key) => authCache.delete(key));
 * ```
 */
export class RedisCacheService extends BaseCacheService {
  readonly backend = 'redis' as const;
  private readonly client: Redis | Cluster;
  private readonly subscriber: Redis | Cluster;
  private readonly channel: string;
  private readonly ownsClient: boolean;
  private readonly healthTimeoutMs: number;
  /** Set only when the client would otherwise let a command wait without bound. */
  private readonly operationTimeoutMs: number | undefined;
  /** Keyed without the prefix (one prefix per service), holding decoded, frozen values. */
  private readonly l1: LRUCache<string, LocalEntry> | undefined;
  private readonly l1Keyspaces: ReadonlySet<string>;
  private readonly l1TtlMs: number;
  /** True while the subscription is live: only then may L1 answer reads. */
  private subscribed = false;
  private closed = false;
  private readonly detach: (() => void)[] = [];

  constructor(options: RedisCacheServiceOptions) {
    super(options);
    const { client } = options;
    if ((client.options as { keyPrefix?: string }).keyPrefix) {
      throw new CacheError(
        'CACHE_INVALID_CONFIG',
        { option: 'client.options.keyPrefix', reason: 'use the cache prefix option instead' },
        'The ioredis client must not have keyPrefix set; pass prefix to the cache instead.',
      );
    }
    this.client = client;
    // Sent once per connection (EVALSHA, and EVAL on NOSCRIPT: ioredis does it).
    client.defineCommand(REPLACE_COMMAND, { lua: REPLACE_IF_UNCHANGED });
    this.ownsClient = options.ownsClient ?? false;
    this.channel = this.prefix + INVALIDATION_CHANNEL;
    this.healthTimeoutMs = options.healthTimeoutMs ?? 1000;
    const commandTimeout =
      client instanceof Cluster
        ? client.options.redisOptions?.commandTimeout
        : client.options.commandTimeout;
    this.operationTimeoutMs = commandTimeout ? undefined : (options.operationTimeoutMs ?? 1000);
    this.l1Keyspaces = new Set(options.l1?.keyspaces ?? []);
    this.l1TtlMs = Math.round((options.l1?.ttlSeconds ?? 5) * 1000);
    this.l1 = options.l1
      ? new LRUCache<string, LocalEntry>({ max: options.l1.maxEntries ?? 10_000 })
      : undefined;

    this.listen(client, 'error', (error: unknown) => this.storeError('connection', error));
    if (client.status === 'wait') client.connect().catch(() => undefined); // lazyConnect client

    // The subscriber may queue its one SUBSCRIBE until connected (bounded: one command),
    // and must keep it across reconnects; ioredis re-subscribes after each reconnect.
    this.subscriber =
      client instanceof Cluster
        ? client.duplicate([], { enableOfflineQueue: true, lazyConnect: false })
        : client.duplicate({
            enableOfflineQueue: true,
            lazyConnect: false,
            maxRetriesPerRequest: null,
          });
    this.listen(this.subscriber, 'error', (error: unknown) => this.storeError('connection', error));
    this.listen(this.subscriber, 'ready', () => this.onSubscriberReady());
    this.listen(this.subscriber, 'close', () => this.onSubscriberDown());
    this.listen(this.subscriber, 'message', (channel: string, message: string) =>
      this.onMessage(channel, message),
    );
    if (this.subscriber.status === 'ready') this.onSubscriberReady();
  }

  /** Resolves once the invalidation subscription is live (or rejects after `timeoutMs`). */
  async waitForSubscription(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.subscribed) {
      if (Date.now() > deadline) throw new Error('invalidation subscription not live');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * The Redis key `key` is stored under (the prefix prepended): for a command that reads a
   * cache key together with something else, such as `RedisRateLimiter.consumeAndGet`.
   * @throws {CacheError} `CACHE_INVALID_KEY` for an empty key
   */
  storeKey(key: string): string {
    assertKey(key);
    return this.prefix + key;
  }

  protected override readLocal(key: string): LocalEntry | undefined {
    // Only keys of L1 keyspaces are ever put there, so no keyspace check is needed here.
    return this.subscribed ? this.l1?.get(key) : undefined;
  }

  protected async readStore(
    fullKey: string,
    key: string,
    keepLocal: boolean,
    withExpiry = false,
  ): Promise<StoreRead | undefined> {
    const useL1 =
      keepLocal &&
      this.l1 !== undefined &&
      this.subscribed &&
      this.l1Keyspaces.has(keyspaceOf(key));
    this.assertReady();
    if (!useL1 && !withExpiry) {
      const raw = await this.bounded(this.client.get(fullKey));
      return raw === null ? undefined : { raw };
    }
    // One round trip for the value and its remaining TTL, so L1 never outlives Redis.
    const results = await this.bounded(this.client.multi().get(fullKey).pttl(fullKey).exec());
    const raw = results?.[0]?.[1];
    const pttl = results?.[1]?.[1];
    if (typeof raw !== 'string') return undefined;
    if (!(typeof pttl === 'number' && pttl > 0)) return { raw };
    const expiresAt = Date.now() + pttl;
    if (!useL1) return { raw, expiresAt };
    let decoded: LocalEntry;
    try {
      decoded = { value: decodeCacheValue(raw), raw, expiresAt };
    } catch {
      return { raw }; // not ours: the caller reports it and drops the key
    }
    deepFreeze(decoded.value);
    this.l1?.set(key, decoded, { ttl: Math.min(this.l1TtlMs, pttl) });
    return { raw, decoded, expiresAt };
  }

  protected async writeStore(
    fullKey: string,
    key: string,
    raw: string,
    ttlMs: number,
    onlyIfAbsent: boolean,
  ): Promise<void> {
    this.l1?.delete(key);
    this.assertReady();
    await this.bounded(
      onlyIfAbsent
        ? this.client.set(fullKey, raw, 'PX', ttlMs, 'NX')
        : this.client.set(fullKey, raw, 'PX', ttlMs),
    );
  }

  protected async replaceStore(
    fullKey: string,
    key: string,
    expectedRaw: string,
    raw: string,
    ttlMs: number,
  ): Promise<void> {
    this.l1?.delete(key);
    this.assertReady();
    await this.bounded(
      (this.client as unknown as ReplaceClient)[REPLACE_COMMAND](
        1,
        fullKey,
        expectedRaw,
        raw,
        String(ttlMs),
      ),
    );
  }

  protected async deleteStore(fullKeys: readonly string[], keys: readonly string[]): Promise<void> {
    for (const key of keys) this.l1?.delete(key);
    this.assertReady();
    if (this.client instanceof Cluster) {
      // Keys of one call may live in different slots: one UNLINK per key (CROSSSLOT otherwise).
      await this.bounded(Promise.all(fullKeys.map((key) => this.client.unlink(key))));
    } else {
      await this.bounded(this.client.unlink(...fullKeys));
    }
  }

  protected async readGeneration(fullKey: string, candidate: string): Promise<string> {
    this.assertReady();
    // SET NX GET (Redis 7): the existing token, or ours if there was none, in one command. A
    // token is never reused, so a Redis that lost its data cannot revive entries tagged before.
    const previous = await this.bounded(this.client.set(fullKey, candidate, 'NX', 'GET'));
    return previous ?? candidate;
  }

  protected async writeGeneration(fullKey: string, token: string): Promise<void> {
    this.assertReady();
    await this.bounded(this.client.set(fullKey, token));
  }

  protected async broadcast(keys: readonly string[]): Promise<void> {
    this.assertReady();
    const message: InvalidationMessage = { v: 1, origin: this.instanceId, keys: [...keys] };
    await this.bounded(this.client.publish(this.channel, JSON.stringify(message)));
  }

  protected dropLocal(keys: readonly string[]): void {
    if (!this.l1) return;
    for (const key of keys) this.l1.delete(key);
  }

  async health(): Promise<CacheHealth> {
    if (this.client.status !== 'ready') {
      return { ok: false, backend: 'redis', error: `redis connection ${this.client.status}` };
    }
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('PING timed out')), this.healthTimeoutMs);
        }),
      ]);
      return { ok: true, backend: 'redis', latencyMs: performance.now() - started };
    } catch (error) {
      this.storeError('health', error);
      return {
        ok: false,
        backend: 'redis',
        error: error instanceof Error ? error.message : String(error),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Redis memory use and server-wide hit rate (`INFO memory` + `INFO stats`, summed over
   * Cluster masters), for the operator endpoint. Never throws.
   *
   * @example
   * ```ts
   * const { usedMemoryBytes, hitRate } = await cache.serverInfo();
   * ```
   */
  async serverInfo(): Promise<CacheServerInfo> {
    try {
      this.assertReady();
      const nodes: Redis[] =
        this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
      const infos = await Promise.all(nodes.map((node) => node.info()));
      let usedMemoryBytes = 0;
      let keyspaceHits = 0;
      let keyspaceMisses = 0;
      for (const info of infos) {
        const fields = parseInfo(info);
        usedMemoryBytes += Number(fields.get('used_memory') ?? 0);
        keyspaceHits += Number(fields.get('keyspace_hits') ?? 0);
        keyspaceMisses += Number(fields.get('keyspace_misses') ?? 0);
      }
      const total = keyspaceHits + keyspaceMisses;
      return {
        backend: 'redis',
        usedMemoryBytes,
        keyspaceHits,
        keyspaceMisses,
        ...(total > 0 ? { hitRate: keyspaceHits / total } : {}),
      };
    } catch (error) {
      this.storeError('health', error);
      return { backend: 'redis', error: error instanceof Error ? error.message : String(error) };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.stopBumpRetries();
    this.clearTagged();
    this.subscribed = false;
    this.l1?.clear();
    // The subscriber is ours; the client only if we were told so.
    await Promise.all([
      shutdown(this.subscriber),
      this.ownsClient ? shutdown(this.client) : Promise.resolve(),
    ]);
    for (const off of this.detach) off();
  }

  // ---- internals ----

  private assertReady(): void {
    // Never hand a command to a client that is not connected: with an offline queue it would
    // wait (unbounded), without one it fails anyway. Fail fast and let the caller fall through.
    if (this.client.status !== 'ready') {
      throw new Error(`redis connection ${this.client.status}`);
    }
  }

  /**
   * Races a command against {@link operationTimeoutMs} when the client has no command
   * timeout: a command in flight when the connection drops is otherwise re-queued by
   * ioredis and its caller waits for the reconnection.
   */
  private async bounded<T>(command: Promise<T>): Promise<T> {
    if (this.operationTimeoutMs === undefined) return command;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('redis operation timed out')),
            this.operationTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      // The command may still settle later; its outcome no longer matters to anyone.
      command.catch(() => undefined);
    }
  }

  private onSubscriberReady(): void {
    if (this.closed) return;
    this.subscriber
      .subscribe(this.channel)
      .then(() => {
        if (this.closed) return;
        // Invalidations sent while we were away are lost: start L1 from empty.
        this.l1?.clear();
        this.subscribed = true;
      })
      .catch((error: unknown) => this.storeError('subscribe', error));
  }

  private onSubscriberDown(): void {
    this.subscribed = false;
    this.l1?.clear();
  }

  private onMessage(channel: string, message: string): void {
    if (channel !== this.channel) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch (error) {
      this.storeError('subscribe', error);
      return;
    }
    if (!isInvalidationMessage(parsed)) {
      this.storeError('subscribe', new Error('malformed invalidation message'));
      return;
    }
    if (parsed.origin === this.instanceId) return; // applied locally when sent
    this.invalidateLocally(parsed.keys, 'remote');
  }

  private listen(
    emitter: Redis | Cluster,
    event: string,
    handler: (...args: never[]) => void,
  ): void {
    const h = handler as (...args: unknown[]) => void;
    emitter.on(event, h);
    this.detach.push(() => emitter.off(event, h));
  }
}

/** `INFO` text → field map (`# Section` headers and blank lines skipped). */
function parseInfo(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) fields.set(line.slice(0, i), line.slice(i + 1));
  }
  return fields;
}

/** QUIT when connected (clean, immediate close); otherwise drop the socket without waiting. */
async function shutdown(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  client.disconnect();
}

function isInvalidationMessage(value: unknown): value is InvalidationMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<InvalidationMessage>;
  return (
    m.v === 1 &&
    typeof m.origin === 'string' &&
    Array.isArray(m.keys) &&
    m.keys.every((k) => typeof k === 'string' && k.length > 0)
  );
}
