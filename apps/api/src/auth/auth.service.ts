import { Inject, Injectable } from '@nestjs/common';
import { CacheKeys, type CacheService } from '@waiaas/cache';
import type { PrismaClient } from '@waiaas/database';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CACHE, PRISMA } from '../infra/tokens.js';
import { apiKeyKind, hashApiKey, hashesEqual, secretsEqual } from './api-key.js';
import type { Principal } from './principal.js';

/** What is cached under `agent:{agentId}` (10 min; dropped on suspend, revoke and rotate). */
export interface CachedAgent {
  id: string;
  ownerId: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'REVOKED';
  apiKeyHash: string;
}

/** Key → agent id, cached under `agent:key:{hash}`; always re-checked against `agent:{id}`. */
const agentIdKey = (hash: string): string => `agent:key:${hash}`;

/** Resolves bearer tokens to principals and keeps the agent cache honest. */
@Injectable()
export class AuthService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(CACHE) private readonly cache: CacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async authenticate(token: string): Promise<Principal> {
    const kind = apiKeyKind(token);
    if (kind === null) {
      if (secretsEqual(token, this.config.auth.adminToken)) return { kind: 'operator' };
      throw new ApiError('INVALID_API_KEY');
    }
    const hash = hashApiKey(token);
    if (kind === 'owner') {
      const owner = await this.prisma.owner.findUnique({
        where: { apiKeyHash: hash },
        select: { id: true, apiKeyHash: true },
      });
      if (owner === null || !hashesEqual(owner.apiKeyHash, hash))
        throw new ApiError('INVALID_API_KEY');
      return { kind: 'owner', ownerId: owner.id };
    }
    // Unknown keys resolve to undefined, which is not cached: random guesses must not fill Redis.
    const agentId = await this.cache.getOrSet<string | undefined>(agentIdKey(hash), async () => {
      const row = await this.prisma.agent.findUnique({
        where: { apiKeyHash: hash },
        select: { id: true },
      });
      return row?.id;
    });
    if (agentId === undefined) throw new ApiError('INVALID_API_KEY');
    const agent = await this.loadAgent(agentId);
    // The hash check makes a rotated-away key die at once: the id mapping may be cached, but
    // the agent record (invalidated on rotate) carries the current hash.
    if (agent === undefined || !hashesEqual(agent.apiKeyHash, hash))
      throw new ApiError('INVALID_API_KEY');
    if (agent.status === 'REVOKED') throw new ApiError('AGENT_REVOKED');
    if (agent.status === 'SUSPENDED') throw new ApiError('AGENT_SUSPENDED');
    return { kind: 'agent', agentId: agent.id, ownerId: agent.ownerId };
  }

  private loadAgent(agentId: string): Promise<CachedAgent | undefined> {
    return this.cache.getOrSet<CachedAgent | undefined>(CacheKeys.agent(agentId), async () => {
      const row = await this.prisma.agent.findUnique({
        where: { id: agentId },
        select: { id: true, ownerId: true, status: true, apiKeyHash: true },
      });
      return row ?? undefined;
    });
  }

  /** Drops the agent's cached metadata on every instance; call after the database commit. */
  async invalidateAgent(agentId: string): Promise<void> {
    await this.cache.delete(CacheKeys.agent(agentId));
  }
}
