import { Inject, Injectable } from '@nestjs/common';
import { CacheKeys, type CacheService } from '@waiaas/cache';
import type { AgentKeyAccessRecord, OwnerAccessRecord } from '@waiaas/database';
import { AccessRepository, AgentKeyRepository } from '@waiaas/database';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CACHE, CLOCK } from '../infra/tokens.js';
import { AuthFailureLimiter } from '../rate-limit/auth-failure-limiter.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { type ApiKeyKind, apiKeyKind, hashApiKey, hashesEqual, secretsEqual } from './api-key.js';
import { AgentKeyUsage } from './agent-key-usage.js';
import type { Principal } from './principal.js';

/**
 * Which principal a key was issued to (cached under `agent:keyhash:{hash}` / `owner:key:{hash}`):
 * for an agent key, the key's id.
 */
interface IssuedKey {
  id: string;
  ownerId: string;
}

/**
 * What a key was issued to never changes, so its mapping needs no generation: any constant
 * keeps it in process. It is deleted (on every instance) when the key is retired, so a retired
 * key goes back to costing the same single lookup as a key that never existed.
 */
const ISSUED = 'issued';

/**
 * Resolves bearer tokens to principals, and keeps what it caches honest.
 *
 * Warm, a request costs no SQL and one Redis command: the key's mapping and its record come
 * from process memory, and the per-key rate-limit count travels together with a read of the
 * owner's access generation, which says whether the record may still be trusted.
 *
 * Every key that does not authenticate (unknown, rotated away, revoked, or its owner revoked)
 * gets the same 401 `INVALID_API_KEY` after the same single lookup by key hash, counted against
 * the client address; past {@link AuthFailureLimiter}'s limit that lookup is refused with 429.
 * A SUSPENDED agent's genuine key gets 403 `AGENT_SUSPENDED`, and an expired agent key 401
 * `AGENT_KEY_EXPIRED` (see the API README for why). Expiry is judged against the clock on
 * every request, cached record or not.
 */
@Injectable()
export class AuthService {
  constructor(
    @Inject(AccessRepository) private readonly access: AccessRepository,
    @Inject(CACHE) private readonly cache: CacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RateLimitService) private readonly rateLimit: RateLimitService,
    @Inject(AuthFailureLimiter) private readonly failures: AuthFailureLimiter,
    @Inject(AgentKeyRepository) private readonly agentKeys: AgentKeyRepository,
    @Inject(AgentKeyUsage) private readonly usage: AgentKeyUsage,
    @Inject(CLOCK) private readonly clock: () => number,
  ) {}

  /**
   * The principal `token` authenticates, with the RateLimit-* headers set on `reply`.
   * @throws ApiError INVALID_API_KEY (401), AGENT_KEY_EXPIRED (401), AGENT_SUSPENDED (403),
   *   RATE_LIMITED (429)
   */
  async authenticate(
    token: string,
    clientAddress: string,
    reply: FastifyReply,
  ): Promise<Principal> {
    const kind = apiKeyKind(token);
    const hash = hashApiKey(token);
    if (kind === null) {
      if (!secretsEqual(token, this.config.auth.adminToken)) {
        await this.failures.assertAllowed(clientAddress);
        return this.refuse(clientAddress);
      }
      this.rateLimit.apply(await this.rateLimit.take(hash), reply);
      return { kind: 'operator' };
    }
    const issued = await this.issuedTo(kind, hash, clientAddress);
    if (issued === undefined) return this.refuse(clientAddress);
    // One Redis command: the request is counted, and the generation says whether cached access
    // data of this owner is still good (it changes on every grant, status or key change).
    const { rate, generation } = await this.rateLimit.takeWithGeneration(
      hash,
      CacheKeys.access(issued.ownerId),
    );
    if (kind === 'owner') {
      const owner = await this.ownerRecord(issued.id, generation);
      if (owner === undefined || owner.status !== 'ACTIVE' || !hashesEqual(owner.apiKeyHash, hash))
        return this.refuse(clientAddress);
      this.rateLimit.apply(rate, reply);
      return { kind: 'owner', ownerId: owner.id, generation };
    }
    const key = await this.agentKeyRecord(issued.id, generation);
    if (key === undefined || !isAlive(key) || !hashesEqual(key.keyHash, hash))
      return this.refuse(clientAddress);
    this.rateLimit.apply(rate, reply);
    // The clock, not the cache, decides expiry: a cached record expires with its key.
    if (key.expiresAt !== null && key.expiresAt.getTime() <= this.clock())
      throw new ApiError('AGENT_KEY_EXPIRED', `The key expired at ${key.expiresAt.toISOString()}`);
    if (key.agentStatus === 'SUSPENDED') throw new ApiError('AGENT_SUSPENDED');
    this.usage.used(key.id);
    return {
      kind: 'agent',
      agentId: key.agentId,
      ownerId: key.ownerId,
      generation,
      keyId: key.id,
      scopes: key.scopes,
      walletIds: key.walletIds,
    };
  }

  /**
   * Call after the database commit of any change to what an owner's principals may do or see
   * (a grant, an agent's status or key, the owner's own key or status): every cached record of
   * that owner is stale at once, on every instance. `retiredKeyHashes` are keys that stopped
   * working: their mappings are dropped so they cost what an unknown key costs.
   */
  async invalidateAccess(
    ownerId: string,
    retiredKeyHashes: { agent?: readonly string[]; owner?: readonly string[] } = {},
  ): Promise<void> {
    await this.cache.bumpGeneration(CacheKeys.access(ownerId));
    const keys = [
      ...(retiredKeyHashes.agent ?? []).map(CacheKeys.agentKeyHash),
      ...(retiredKeyHashes.owner ?? []).map(CacheKeys.ownerKey),
    ];
    if (keys.length > 0) await this.cache.deleteMany(keys);
  }

  /**
   * Whom the key was issued to, if it is alive: from process memory or Redis, else from the
   * one database lookup every unknown key costs (refused outright while the client address
   * is over its failure limit).
   */
  private issuedTo(
    kind: ApiKeyKind,
    hash: string,
    clientAddress: string,
  ): Promise<IssuedKey | undefined> {
    const lookup = async (): Promise<IssuedKey | undefined> => {
      await this.failures.assertAllowed(clientAddress);
      if (kind === 'owner') {
        const owner = await this.access.ownerByKeyHash(hash);
        return owner?.status === 'ACTIVE' ? { id: owner.id, ownerId: owner.id } : undefined;
      }
      const key = await this.agentKeys.accessByHash(hash);
      return key !== null && isAlive(key) ? { id: key.id, ownerId: key.ownerId } : undefined;
    };
    const key = kind === 'owner' ? CacheKeys.ownerKey(hash) : CacheKeys.agentKeyHash(hash);
    return this.cache.getOrSet(key, lookup, { generation: ISSUED });
  }

  private agentKeyRecord(
    keyId: string,
    generation: string | undefined,
  ): Promise<AgentKeyAccessRecord | undefined> {
    return this.cache.getOrSet(
      CacheKeys.agentKeyRecord(keyId),
      async () => (await this.agentKeys.accessById(keyId)) ?? undefined,
      { generation },
    );
  }

  private ownerRecord(
    ownerId: string,
    generation: string | undefined,
  ): Promise<OwnerAccessRecord | undefined> {
    return this.cache.getOrSet(
      CacheKeys.owner(ownerId),
      async () => (await this.access.ownerById(ownerId)) ?? undefined,
      { generation },
    );
  }

  /** The one answer for every key that does not authenticate. */
  private async refuse(clientAddress: string): Promise<never> {
    await this.failures.recordFailure(clientAddress);
    throw new ApiError('INVALID_API_KEY');
  }
}

/**
 * An agent key that may authenticate: not revoked, its agent not revoked (a suspended one's
 * does, to be told so) and its owner active. An expired key does too, to be told it expired.
 */
function isAlive(key: AgentKeyAccessRecord): boolean {
  return key.revokedAt === null && key.agentStatus !== 'REVOKED' && key.ownerStatus === 'ACTIVE';
}
