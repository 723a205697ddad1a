import { Inject, Injectable } from '@nestjs/common';
import { CacheKeys, type CacheService } from '@waiaas/cache';
import { isUniqueViolation, Prisma, type PrismaClient } from '@waiaas/database';
import { parsePolicy, serializePolicy } from '@waiaas/policy-engine';
import { AuditService } from '../audit/audit.service.js';
import type { OwnerOrAgent, OwnerPrincipal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { CACHE, PRISMA } from '../infra/tokens.js';
import { WalletAccessService } from '../wallets/wallet-access.service.js';
import { findContradictions } from './policy-consistency.js';
import type { PolicyDto, PolicyResponseDto } from './policy.dto.js';

@Injectable()
export class PolicyService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(CACHE) private readonly cache: CacheService,
    @Inject(AuditService) private readonly audit: AuditService,
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
    const write = () =>
      this.prisma.$transaction(async (tx) => {
        const data = {
          perTxLimit: new Prisma.Decimal(canonical.perTxLimit),
          dailyLimit: new Prisma.Decimal(canonical.dailyLimit),
          allowedAssets: canonical.allowedAssets,
          allowedAddresses: canonical.allowedAddresses,
          requiresApproval: canonical.requiresApproval,
          metadata: canonical.metadata as Prisma.InputJsonObject,
        };
        const row = await tx.walletPolicy.upsert({
          where: { walletId },
          create: { walletId, ...data, version: 1 },
          update: { ...data, version: { increment: 1 } },
        });
        await tx.walletPolicyVersion.create({
          data: {
            walletId,
            version: row.version,
            policy: canonical as unknown as Prisma.InputJsonObject,
            actorType: 'OWNER',
            actorId: principal.ownerId,
          },
        });
        await this.audit.record(
          principal,
          {
            type: 'policy.updated',
            ownerId: principal.ownerId,
            walletId,
            payload: { version: row.version, policy: canonical },
          },
          tx,
        );
        return row;
      });
    let row;
    try {
      row = await write();
    } catch (e) {
      // Two first writes raced on the unique wallet_id; the loser simply becomes version 2.
      if (!isUniqueViolation(e)) throw e;
      row = await write();
    }
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
    const row = await this.prisma.walletPolicy.findUnique({ where: { walletId } });
    if (row === null) return null;
    const parsed = parsePolicy({
      perTxLimit: row.perTxLimit.toFixed(9),
      dailyLimit: row.dailyLimit.toFixed(9),
      allowedAssets: row.allowedAssets,
      allowedAddresses: row.allowedAddresses,
      requiresApproval: row.requiresApproval,
      metadata: row.metadata,
    });
    if (!parsed.ok) throw new Error(`stored policy of wallet ${walletId} does not parse`);
    return {
      walletId,
      version: row.version,
      ...serializePolicy(parsed.policy),
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}
