import { Inject, Injectable } from '@nestjs/common';
import { CacheKeys, type CacheService } from '@waiaas/cache';
import type { AgentAccessRecord, OwnerAccessRecord } from '@waiaas/database';
import { AccessRepository } from '@waiaas/database';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CACHE } from '../infra/tokens.js';
import { AuthFailureLimiter } from '../rate-limit/auth-failure-limiter.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { type ApiKeyKind, apiKeyKind, hashApiKey, hashesEqual, secretsEqual } from './api-key.js';
import type { Principal } from './principal.js';

/** Which principal a key was issued to (cached under `agent:key:{hash}` / `owner:key:{hash}`). */
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
 * Warm, a request costs no SQL and one Redis round trip: the key's mapping and its record come
 * from process memory, and the per-key rate-limit count travels together with a read of the
 * owner's access generation, which says whether the record may still be trusted.
 *
 * Every key that does not authenticate (unknown, rotated away, revoked, or its owner revoked)
 * gets the same 401 `INVALID_API_KEY` after the same single lookup by key hash, counted against
 * the client address; past {@link AuthFailureLimiter}'s limit that lookup is refused with 429.
 * A SUSPENDED agent's genuine key gets 403 `AGENT_SUSPENDED` (see the API README for why).
 */
@Injectable()
export class AuthService {
  constructor(
    @Inject(AccessRepository) private readonly access: AccessRepository,
    @Inject(CACHE) private readonly cache: CacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RateLimitService) private readonly rateLimit: RateLimitService,
    @Inject(AuthFailureLimiter) private readonly failures: AuthFailureLimiter,
  ) {}

  /**
   * The principal `token` authenticates, with the RateLimit-* headers set on `reply`.
   * @throws ApiError INVALID_API_KEY (401), AGENT_SUSPENDED (403), RATE_LIMITED (429)
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
    // One round trip: the request is counted, and the generation says whether cached access
    // data of this owner is still good (it changes on every grant, status or key change).
    const [rate, generation] = await Promise.all([
      this.rateLimit.take(hash),
      this.cache.generation(CacheKeys.access(issued.ownerId)),
    ]);
    if (kind === 'owner') {
      const owner = await this.ownerRecord(issued.id, generation);
      if (owner === undefined || owner.status !== 'ACTIVE' || !hashesEqual(owner.apiKeyHash, hash))
        return this.refuse(clientAddress);
      this.rateLimit.apply(rate, reply);
      return { kind: 'owner', ownerId: owner.id, generation };
    }
    const agent = await this.agentRecord(issued.id, generation);
    if (agent === undefined || !isAlive(agent) || !hashesEqual(agent.apiKeyHash, hash))
      return this.refuse(clientAddress);
    this.rateLimit.apply(rate, reply);
    if (agent.status === 'SUSPENDED') throw new ApiError('AGENT_SUSPENDED');
    return { kind: 'agent', agentId: agent.id, ownerId: agent.ownerId, generation };
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
      ...(retiredKeyHashes.agent ?? []).map(CacheKeys.agentKey),
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
      const agent = await this.access.agentByKeyHash(hash);
      return agent !== null && isAlive(agent)
        ? { id: agent.id, ownerId: agent.ownerId }
        : undefined;
    };
    const key = kind === 'owner' ? CacheKeys.ownerKey(hash) : CacheKeys.agentKey(hash);
    return this.cache.getOrSet(key, lookup, { generation: ISSUED });
  }

  private async agentRecord(
    agentId: string,
    generation: string | undefined,
  ): Promise<AgentAccessRecord | undefined> {
    return this.cache.getOrSet(
      CacheKeys.agent(agentId),
      async () => (await this.access.agentById(agentId)) ?? undefined,
      { generation },
    );
  }

  private async ownerRecord(
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

/** An agent whose key may authenticate (a suspended one does, to be told it is suspended). */
function isAlive(agent: AgentAccessRecord): boolean {
  return agent.status !== 'REVOKED' && agent.ownerStatus === 'ACTIVE';
}
