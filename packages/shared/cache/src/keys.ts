import { CacheError } from './errors.js';

/**
 * Default TTLs in seconds by keyspace (the part of a key before its first `:`), from the
 * seed's caching table: balance 10 s, policy 5 min, rate-limit window 1 min, agent/key
 * metadata 10 min. Override or extend with the `ttl` option of the cache services.
 *
 * @example
 * ```ts
 * await cache.set(CacheKeys.policy(walletId), policy); // expires after CACHE_TTL.policy (300 s)
 * ```
 */
export const CACHE_TTL = {
  balance: 10,
  policy: 300,
  ratelimit: 60,
  agent: 600,
  // Owner key metadata and a wallet's access facts (owner, grants) are key/access metadata
  // like the agent's: the same 10 min, invalidated at once through the owner's generation.
  owner: 600,
  wallet: 600,
} as const satisfies Record<string, number>;

/**
 * A TTL table: keyspace → seconds. Known keyspaces are typed; others may be added.
 *
 * @example
 * ```ts
 * const ttl: Partial<CacheTtlTable> = { balance: 5, session: 900 };
 * ```
 */
export type CacheTtlTable = Partial<Record<keyof typeof CACHE_TTL, number>> &
  Record<string, number>;

/**
 * TTL in seconds for keys whose keyspace is not in the table.
 *
 * @example
 * ```ts
 * await cache.set('misc:x', 1); // expires after DEFAULT_TTL_SECONDS
 * ```
 */
export const DEFAULT_TTL_SECONDS = 60;

/**
 * Builders for the seed's key patterns, so no caller spells a key by hand. Keys are given
 * to the cache services without the deployment prefix (the service adds it).
 *
 * @example
 * ```ts
 * CacheKeys.balance('9xQe...'); // 'balance:9xQe...'
 * CacheKeys.agent(agentId);     // 'agent:<agentId>'
 * ```
 */
export const CacheKeys = {
  /** Wallet balance by Solana address (TTL 10 s; dropped after a confirmed transfer). */
  balance: (address: string): string => `balance:${address}`,
  /** Current policy of a wallet (TTL 5 min; write-through + pub/sub on update). */
  policy: (walletId: string): string => `policy:${walletId}`,
  /** Agent / API key metadata (TTL 10 min; invalidated on suspend, revoke, rotate). */
  agent: (agentId: string): string => `agent:${agentId}`,
  /** Which agent an agent key (by its SHA-256) was issued to: never changes (TTL 10 min). */
  agentKey: (keyHash: string): string => `agent:key:${keyHash}`,
  /**
   * Which agent key (its id and owner) a key hash belongs to: never changes (TTL 10 min).
   * Replaces `agentKey` for keys that carry scopes; a new name so instances of both versions
   * can share one Redis during a rolling deploy.
   */
  agentKeyHash: (keyHash: string): string => `agent:keyhash:${keyHash}`,
  /** An agent key's scopes, wallets, expiry and standing (TTL 10 min; tagged with the owner's generation). */
  agentKeyRecord: (keyId: string): string => `agent:keyid:${keyId}`,
  /** Owner key metadata (TTL 10 min; invalidated on rotate and revoke). */
  owner: (ownerId: string): string => `owner:${ownerId}`,
  /** Which owner an owner key (by its SHA-256) was issued to: never changes (TTL 10 min). */
  ownerKey: (keyHash: string): string => `owner:key:${keyHash}`,
  /** A wallet's row and the agents granted to it (TTL 10 min; invalidated on grant/revoke). */
  wallet: (walletId: string): string => `wallet:${walletId}`,
  /**
   * Generation token of everything an owner's principals may see (its key, its agents, their
   * grants): bumped on every change to them, so entries tagged with the old token are stale at
   * once on every instance. No TTL.
   */
  access: (ownerId: string): string => `access:${ownerId}`,
  /** Rate-limit counter of one API key (window 1 min). Used by the rate limiters. */
  rateLimit: (apiKeyId: string): string => `ratelimit:${apiKeyId}`,
} as const;

/**
 * The keyspace of a key: everything before the first `:` (`'policy:w1'` → `'policy'`), or the
 * whole key when it has none. Used for TTL defaults and as a metrics label.
 *
 * @example
 * ```ts
 * keyspaceOf('agent:42'); // 'agent'
 * ```
 */
export function keyspaceOf(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
}

/**
 * Merges overrides into the seed's table, validating every entry.
 *
 * @throws {CacheError} `CACHE_INVALID_CONFIG` for a non-positive or non-finite TTL
 * @example
 * ```ts
 * const table = buildTtlTable({ balance: 5, session: 900 });
 * ```
 */
export function buildTtlTable(overrides: Partial<CacheTtlTable> = {}): Readonly<CacheTtlTable> {
  const table: CacheTtlTable = { ...CACHE_TTL };
  for (const [keyspace, seconds] of Object.entries(overrides)) {
    if (seconds === undefined) continue;
    if (!isValidTtl(seconds)) {
      throw new CacheError(
        'CACHE_INVALID_CONFIG',
        { option: `ttl.${keyspace}`, reason: 'must be a positive, finite number of seconds' },
        `Invalid cache TTL for keyspace "${keyspace}": ${String(seconds)}`,
      );
    }
    table[keyspace] = seconds;
  }
  return Object.freeze(table);
}

/**
 * The TTL to use for `key`: the explicit one, else its keyspace's, else `fallback`.
 *
 * @throws {CacheError} `CACHE_INVALID_TTL` when an explicit TTL is not positive and finite
 * @example
 * ```ts
 * resolveTtlSeconds('balance:abc', undefined, buildTtlTable()); // 10
 * ```
 */
export function resolveTtlSeconds(
  key: string,
  explicit: number | undefined,
  table: Readonly<CacheTtlTable>,
  fallback: number = DEFAULT_TTL_SECONDS,
): number {
  if (explicit !== undefined) {
    if (!isValidTtl(explicit)) {
      throw new CacheError(
        'CACHE_INVALID_TTL',
        { key, ttlSeconds: explicit },
        `Invalid TTL for "${key}": ${String(explicit)} (must be a positive, finite number of seconds)`,
      );
    }
    return explicit;
  }
  // Own keys only: a keyspace named after an Object.prototype member ("constructor") is not in
  // the table, and must not get that member as its TTL.
  const keyspace = keyspaceOf(key);
  return Object.hasOwn(table, keyspace) ? table[keyspace]! : fallback;
}

function isValidTtl(seconds: number): boolean {
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0;
}
