import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient, WalletModel as Wallet } from '@waiaas/database';
import type { OwnerOrAgent, Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { PRISMA } from '../infra/tokens.js';

/**
 * The one authorization rule for wallets: an owner sees its own wallets, an agent the wallets
 * granted to it. Anything else is answered as 404, so callers learn nothing about wallets they
 * may not see (the same rule is applied to agents, policies and transactions).
 */
@Injectable()
export class WalletAccessService {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** Prisma `where` for the wallets `principal` may see. */
  visibleWhere(
    principal: OwnerOrAgent,
  ): { ownerId: string } | { grants: { some: { agentId: string } } } {
    return principal.kind === 'owner'
      ? { ownerId: principal.ownerId }
      : { grants: { some: { agentId: principal.agentId } } };
  }

  /** The wallet, if `principal` may see it; NOT_FOUND otherwise. */
  async require(principal: Principal, walletId: string): Promise<Wallet> {
    if (principal.kind === 'operator') throw new ApiError('NOT_FOUND', 'Wallet not found');
    const wallet = await this.prisma.wallet.findFirst({
      where: { id: walletId, ...this.visibleWhere(principal) },
    });
    if (wallet === null) throw new ApiError('NOT_FOUND', 'Wallet not found');
    return wallet;
  }
}
