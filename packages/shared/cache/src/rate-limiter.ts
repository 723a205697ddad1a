import { randomUUID } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { CacheError } from './errors.js';
import { CACHE_TTL } from './keys.js';

// With Redis, the window is counted by our own script (FIXED_WINDOW, below: why); in process
// memory, by `rate-limiter-flexible`'s RateLimiterMemory. Neither uses that library's
// `insuranceLimiter` (a fresh in-memory limiter per instance while Redis is down): it forgets
// what the key already spent in Redis and multiplies the limit by the number of instances, so
// an outage would let a key through well past its limit. The fallback here (StrictFallback)
// errs the other way.

/**
 * What a limiter does while its store cannot answer: continue each key's window from the
 * count this instance last saw in the store, and give this instance only its share (the
 * budget left, divided by the number of instances that recently announced themselves).
 */
class StrictFallback {
  /** Per key: the store's count and window end, as this instance last saw them. */
  private readonly seen = new LRUCache<string, { consumed: number; windowEndsAt: number }>({
    max: 50_000,
  });
  /** Per key: the window this instance is counting on its own while the store is down. */
  private readonly local = new LRUCache<string, { endsAt: number; budget: number; used: number }>({
    max: 50_000,
  });

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly instances: () => number,
  ) {}

  /** Called on every answer from the store: updates the key's entry in place once it has one. */
  observe(key: string, consumed: number, msBeforeNext: number): void {
    const windowEndsAt = Date.now() + msBeforeNext;
    const seen = this.seen.get(key);
    if (seen === undefined) this.seen.set(key, { consumed, windowEndsAt });
    else {
      seen.consumed = consumed;
      seen.windowEndsAt = windowEndsAt;
    }
    if (this.local.size > 0) this.local.delete(key);
  }

  consume(key: string, points: number): RateLimitResult {
    const now = Date.now();
    let window = this.local.get(key);
    if (window === undefined || now >= window.endsAt) {
      const share = Math.max(1, this.instances());
      const seen = this.seen.get(key);
      window =
        seen !== undefined && now < seen.windowEndsAt
          ? {
              endsAt: seen.windowEndsAt,
              budget: Math.floor(Math.max(0, this.limit - seen.consumed) / share),
              used: 0,
            }
          : { endsAt: now + this.windowMs, budget: Math.floor(this.limit / share), used: 0 };
      this.local.set(key, window);
    }
    const resetMs = window.endsAt - now;
    if (window.used + points > window.budget) {
      return { allowed: false, limit: this.limit, remaining: 0, resetMs, retryAfterMs: resetMs };
    }
    window.used += points;
    return {
      allowed: true,
      limit: this.limit,
      remaining: window.budget - window.used,
      resetMs,
    };
  }
}

/**
 * How many instances share a limiter's store: each one that has consumed announces itself
 * every `intervalMs` in a sorted set (member = instance, score = time), and counts the members
 * seen within three intervals. Read only by {@link StrictFallback}, to split a budget.
 */
class InstanceRegistry {
  private readonly id = randomUUID();
  private count = 1;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly key: string,
    private readonly intervalMs = 10_000,
  ) {}

  /** Starts announcing (idempotent, cheap: called on every consume). */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.announce(), this.intervalMs);
    this.timer.unref();
    void this.announce();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  instances(): number {
    return this.count;
  }

  private async announce(): Promise<void> {
    if (this.client.status !== 'ready') return;
    const now = Date.now();
    const horizon = 3 * this.intervalMs;
    try {
      const results = await this.client
        .multi()
        .zadd(this.key, now, this.id)
        .zremrangebyscore(this.key, '-inf', now - horizon)
        .zcard(this.key)
        .pexpire(this.key, horizon)
        .exec();
      const members = results?.[2]?.[1];
      if (typeof members === 'number') this.count = Math.max(1, members);
    } catch {
      // Keep the last count: it is what the fallback needs while Redis is away.
    }
  }
}

/**
 * The numbers an HTTP layer needs for `RateLimit-*` and `Retry-After` headers.
 *
 * @example
 * ```ts
 * const r = await limiter.consume(apiKeyId);
 * if (!r.allowed) reply.header('Retry-After', Math.ceil(r.retryAfterMs! / 1000));
 * ```
 */
export interface RateLimitResult {
  /** False when this request is over the limit (answer 429). */
  allowed: boolean;
  /** Points allowed per window. */
  limit: number;
  /** Points left in the current window (0 when denied). */
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
  /** When denied: milliseconds to wait before retrying. */
  retryAfterMs?: number;
}

/**
 * A fixed-window limiter per key (an API key id, say): `limit` points per `windowSeconds`.
 *
 * @example
 * ```ts
 * const r = await limiter.consume(apiKeyId);
 * reply.headers(rateLimitHeaders(r));
 * if (!r.allowed) return reply.code(429).send(problem);
 * ```
 */
export interface RateLimiter {
  /** Points per window. */
  readonly limit: number;
  /** Window length in seconds. */
  readonly windowSeconds: number;
  /**
   * Takes `points` (default 1) from `key`'s budget. Never throws for a store outage (the
   * Redis limiter then counts in process memory, strictly: see the package README).
   * @throws {CacheError} `CACHE_INVALID_CONFIG` for points that are not a positive integer,
   *   `CACHE_INVALID_KEY` for an empty key
   */
  consume(key: string, points?: number): Promise<RateLimitResult>;
  /** Forgets `key`'s usage (e.g. after rotating a key). Best effort. */
  reset(key: string): Promise<void>;
  /** Stops background work (the Redis limiter's instance announcements). */
  close(): void;
}

/**
 * Options of the rate limiters.
 *
 * @example
 * ```ts
 * new MemoryRateLimiter({ points: 1200, windowSeconds: 60, keyspace: 'ratelimit' });
 * ```
 */
export interface RateLimiterOptions {
  /** Points per window, e.g. 1200 requests a minute. */
  points: number;
  /** Window in whole seconds. Default 60 (the seed's `ratelimit` TTL). */
  windowSeconds?: number;
  /** Keyspace of the counters; keys are `<prefix><keyspace>:<key>`. Default `'ratelimit'`. */
  keyspace?: string;
  /** Deployment prefix, as for the cache (e.g. `'waiaas:'`). */
  prefix?: string;
  /**
   * Redis limiter: how often an instance announces itself, so that each knows how many share
   * the store and how to split a budget while it is down (default 10 000 ms).
   */
  announceIntervalMs?: number;
}

/** What the store answered for one consume: the window's count so far and its time left. */
interface WindowCount {
  consumed: number;
  msBeforeNext: number;
}

abstract class BaseRateLimiter implements RateLimiter {
  readonly limit: number;
  readonly windowSeconds: number;

  protected constructor(options: RateLimiterOptions) {
    this.limit = options.points;
    this.windowSeconds = options.windowSeconds ?? CACHE_TTL.ratelimit;
    assertPositiveInteger('points', this.limit);
    assertPositiveInteger('windowSeconds', this.windowSeconds);
  }

  abstract consume(key: string, points?: number): Promise<RateLimitResult>;
  abstract reset(key: string): Promise<void>;

  close(): void {}

  protected assertConsumable(key: string, points: number): void {
    if (typeof key !== 'string' || key.length === 0) {
      throw new CacheError('CACHE_INVALID_KEY', { key: String(key) }, 'Invalid rate-limit key');
    }
    assertPositiveInteger('points', points);
  }

  /** The result for a window that has counted `consumed` points, this request's included. */
  protected resultOf({ consumed, msBeforeNext }: WindowCount): RateLimitResult {
    const resetMs = Math.max(0, msBeforeNext);
    if (consumed > this.limit) {
      return { allowed: false, limit: this.limit, remaining: 0, resetMs, retryAfterMs: resetMs };
    }
    return { allowed: true, limit: this.limit, remaining: this.limit - consumed, resetMs };
  }
}

/**
 * The fixed window, as one atomic script: open the window if there is none, add the points,
 * read the time left (and give an expiry back to a counter that lost it). With a second key it
 * also reads that key's string value (`false` when there is none, or it is not a string): how a
 * request's count and its owner's access generation travel in one command.
 *
 * Why our own script and not `rate-limiter-flexible`'s `RateLimiterRedis`, which runs the same
 * first four commands: it takes exactly one key and returns exactly its two numbers, so the
 * generation read was a second command next to it on every authenticated request, and its
 * promise layers around the one command cost more of the API's CPU than the command itself
 * (measured: 27 µs of client CPU per request for the two commands through the library, 13 µs
 * for this one command). The counter's key (`<prefix><keyspace>:<key>`) and value are the
 * library's, so windows opened before an upgrade carry on.
 */
const FIXED_WINDOW = `redis.call('set', KEYS[1], 0, 'EX', ARGV[2], 'NX')
local consumed = redis.call('incrby', KEYS[1], ARGV[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('expire', KEYS[1], ARGV[2])
  ttl = 1000 * ARGV[2]
end
if #KEYS == 1 then return {consumed, ttl} end
local value = redis.pcall('get', KEYS[2])
if type(value) ~= 'string' then value = false end
return {consumed, ttl, value}`;

/** The command {@link FIXED_WINDOW} is defined as on a client (ioredis `defineCommand`). */
const FIXED_WINDOW_COMMAND = 'waiaasFixedWindow';

type FixedWindowReply = [consumed: number, ttlMs: number, value?: string | null];

interface FixedWindowClient {
  [FIXED_WINDOW_COMMAND](keyCount: number, ...keysThenArgs: string[]): Promise<FixedWindowReply>;
}

/**
 * What {@link RedisRateLimiter.consumeAndGet} answers: the rate-limit result, and the string
 * stored at the other key (`null`: none; `undefined`: the store did not answer, and the
 * result comes from the fallback).
 */
export interface ConsumedAndRead {
  result: RateLimitResult;
  value: string | null | undefined;
}

/**
 * {@link RateLimiter} shared by every instance through Redis (single node or Cluster). While
 * Redis is down each instance counts in memory, strictly: it continues a key's window from
 * the count it last saw in Redis and allows only its share of what is left (the budget
 * divided by the number of instances that announced themselves in Redis in the last 30 s).
 *
 * @example
 * ```ts
 * const limiter = new RedisRateLimiter(client, { points: 1200, prefix: 'waiaas:' });
 * const { allowed, remaining } = await limiter.consume(apiKeyId);
 * ```
 */
export class RedisRateLimiter extends BaseRateLimiter {
  private readonly client: Redis | Cluster;
  private readonly script: FixedWindowClient;
  private readonly keyPrefix: string;
  private readonly windowArg: string;
  private readonly registry: InstanceRegistry;
  private readonly fallback: StrictFallback;

  constructor(client: Redis | Cluster, options: RateLimiterOptions) {
    super(options);
    this.client = client;
    // The script is sent once per connection (EVALSHA, and EVAL on NOSCRIPT: ioredis does it).
    client.defineCommand(FIXED_WINDOW_COMMAND, { lua: FIXED_WINDOW });
    this.script = client as unknown as FixedWindowClient;
    // ':' cannot start a key id the limiter stores (`<keyPrefix>:<key>`), so no collision.
    this.keyPrefix = `${options.prefix ?? ''}${options.keyspace ?? 'ratelimit'}:`;
    this.windowArg = String(this.windowSeconds);
    this.registry = new InstanceRegistry(
      client,
      `${this.keyPrefix}:instances`,
      options.announceIntervalMs,
    );
    this.fallback = new StrictFallback(this.limit, this.windowSeconds * 1000, () =>
      this.registry.instances(),
    );
  }

  async consume(key: string, points = 1): Promise<RateLimitResult> {
    this.assertConsumable(key, points);
    this.registry.start();
    const reply = await this.run(key, points, undefined);
    return reply === undefined ? this.fallback.consume(key, points) : this.observed(key, reply);
  }

  /**
   * `consume(key)` and a read of the string at `storeKey` (a whole Redis key, prefix included)
   * in one command. On a Cluster the two keys may live in different slots, so there they are
   * two commands, sent together (still one round trip per node).
   */
  async consumeAndGet(key: string, storeKey: string): Promise<ConsumedAndRead> {
    this.assertConsumable(key, 1);
    if (this.client instanceof Cluster) {
      const [result, value] = await Promise.all([
        this.consume(key),
        this.client.get(storeKey).catch(() => undefined),
      ]);
      return { result, value };
    }
    this.registry.start();
    const reply = await this.run(key, 1, storeKey);
    if (reply === undefined) return { result: this.fallback.consume(key, 1), value: undefined };
    return { result: this.observed(key, reply), value: reply[2] ?? null };
  }

  async reset(key: string): Promise<void> {
    try {
      await this.client.unlink(this.keyPrefix + key);
    } catch {
      // Best effort, as every store write.
    }
  }

  /** How many instances this one last counted in the store (at least 1). */
  instances(): number {
    return this.registry.instances();
  }

  override close(): void {
    this.registry.stop();
  }

  /** The script's reply, or undefined when the store cannot answer (never queued). */
  private async run(
    key: string,
    points: number,
    storeKey: string | undefined,
  ): Promise<FixedWindowReply | undefined> {
    if (this.client.status !== 'ready') return undefined;
    const counter = this.keyPrefix + key;
    try {
      return await (storeKey === undefined
        ? this.script[FIXED_WINDOW_COMMAND](1, counter, String(points), this.windowArg)
        : this.script[FIXED_WINDOW_COMMAND](2, counter, storeKey, String(points), this.windowArg));
    } catch {
      return undefined;
    }
  }

  private observed(key: string, [consumed, msBeforeNext]: FixedWindowReply): RateLimitResult {
    this.fallback.observe(key, consumed, msBeforeNext);
    return this.resultOf({ consumed, msBeforeNext });
  }
}

/**
 * {@link RateLimiter} in process memory, for running without Redis (`rate-limiter-flexible`'s
 * `RateLimiterMemory`).
 *
 * @example
 * ```ts
 * const limiter = new MemoryRateLimiter({ points: 1200 });
 * await limiter.consume(apiKeyId);
 * ```
 */
export class MemoryRateLimiter extends BaseRateLimiter {
  private readonly limiter: RateLimiterMemory;

  constructor(options: RateLimiterOptions) {
    super(options);
    this.limiter = new RateLimiterMemory({
      keyPrefix: `${options.prefix ?? ''}${options.keyspace ?? 'ratelimit'}`,
      points: this.limit,
      duration: this.windowSeconds,
    });
  }

  async consume(key: string, points = 1): Promise<RateLimitResult> {
    this.assertConsumable(key, points);
    let res: RateLimiterRes;
    try {
      res = await this.limiter.consume(key, points);
    } catch (rejection) {
      // Over the limit, the library rejects with its result. It has no store to lose; should
      // it ever fail otherwise, fail open rather than turn a limiter fault into an outage.
      if (!(rejection instanceof RateLimiterRes)) {
        return {
          allowed: true,
          limit: this.limit,
          remaining: this.limit,
          resetMs: this.windowSeconds * 1000,
        };
      }
      res = rejection;
    }
    return this.resultOf({ consumed: res.consumedPoints, msBeforeNext: res.msBeforeNext });
  }

  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}

/**
 * HTTP headers for a result: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
 * (seconds, rounded up; IETF draft-ietf-httpapi-ratelimit-headers) and, when denied,
 * `Retry-After` (seconds, RFC 9110).
 *
 * @example
 * ```ts
 * rateLimitHeaders({ allowed: false, limit: 10, remaining: 0, resetMs: 1500, retryAfterMs: 1500 });
 * // { 'RateLimit-Limit': '10', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '2', 'Retry-After': '2' }
 * ```
 */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(result.limit),
    'RateLimit-Remaining': String(result.remaining),
    'RateLimit-Reset': String(Math.ceil(result.resetMs / 1000)),
  };
  if (!result.allowed) {
    headers['Retry-After'] = String(
      Math.max(1, Math.ceil((result.retryAfterMs ?? result.resetMs) / 1000)),
    );
  }
  return headers;
}

function assertPositiveInteger(option: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new CacheError(
      'CACHE_INVALID_CONFIG',
      { option, reason: 'must be a positive integer' },
      `Invalid rate limiter ${option}: ${String(value)}`,
    );
  }
}
