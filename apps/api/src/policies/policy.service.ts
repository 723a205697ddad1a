import { Inject, Injectable } from '@nestjs/common';
import { CacheKeys, type CacheService } from '@waiaas/cache';
import { PolicyRepository } from '@waiaas/database';
import { parsePolicy, serializePolicy } from '@waiaas/policy-engine';
import type { OwnerOrAgent, OwnerPrincipal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { CACHE } from '../infra/tokens.js';
import { WalletAccessService } from '../wallets/wallet-access.service.js';
import { findContradictions } from './policy-consistency.js';
import type { PolicyDto, PolicyResponseDto } from './policy.dto.js';

@Injectable()
export class PolicyService {
  constructor(
    @Inject(PolicyRepository) private readonly policies: PolicyRepository,
    @Inject(CACHE) private readonly cache: CacheService,
    @Inject(WalletAccessService) private readonly access: WalletAccessService,
  ) {}

  /**
   * Validates with the policy engine, then writes the policy, its version row and an audit
   * event in one database transaction; afterwards the cache is written through and every
   * instance drops its copy.
   */
  async put(
    principal: OwnerPrincipal,
    walletId: string,
    body: unknown,
  ): Promise<PolicyResponseDto> {
    await this.access.require(principal, walletId);
    const parsed = parsePolicy(body);
    if (!parsed.ok) {
      throw new ApiError('POLICY_INVALID', 'The policy is invalid; see errors', {
        errors: parsed.issues.map((i) => ({ path: i.path, code: i.code, message: i.message })),
      });
    }
    const contradictions = findContradictions(parsed.policy);
    if (contradictions.length > 0)
      throw new ApiError('POLICY_INVALID', 'The policy contradicts itself; see errors', {
        errors: contradictions,
      });
    const canonical = serializePolicy(parsed.policy);
    const row = await this.policies.write({
      ownerId: principal.ownerId,
      walletId,
      policy: canonical,
    });
    const policy: PolicyDto = {
      walletId,
      version: row.version,
      ...canonical,
      updatedAt: row.updatedAt.toISOString(),
    };
    await this.cache.writeThrough(CacheKeys.policy(walletId), policy);
    return { policy };
  }

  async get(principal: OwnerOrAgent, walletId: string): Promise<PolicyResponseDto> {
    await this.access.require(principal, walletId);
    const policy = await this.cache.getOrSet<PolicyDto | null>(CacheKeys.policy(walletId), () =>
      this.load(walletId),
    );
    if (policy === null)
      throw new ApiError('NOT_FOUND', 'This wallet has no policy (it cannot send anything)');
    return { policy };
  }

  private async load(walletId: string): Promise<PolicyDto | null> {
    const stored = await this.policies.find(walletId);
    if (stored === null) return null;
    return {
      walletId,
      version: stored.version,
      ...serializePolicy(stored.policy),
      updatedAt: stored.updatedAt.toISOString(),
    };
  }
}
