import { Inject, Injectable } from '@nestjs/common';
import { CacheKeys, type CacheService } from '@waiaas/cache';
import { AccessRepository, type WalletAccessRecord, type WalletViewer } from '@waiaas/database';
import type { OwnerOrAgent, Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { CACHE } from '../infra/tokens.js';

/**
 * The one authorization rule for wallets: an owner sees its own wallets, an agent the wallets
 * granted to it. Anything else is answered as 404, so callers learn nothing about wallets they
 * may not see (the same rule is applied to agents, policies and transactions).
 *
 * The wallet and its grants are cached under `wallet:{id}`, tagged with the owner's access
 * generation the request was authenticated under: a grant or revocation bumps it, so the next
 * request on any instance reads the database again. Warm, the check costs no SQL.
 *
 * An agent key limited to some wallets sees only those (and only while granted): another
 * wallet granted to its agent is refused with 403 AGENT_KEY_WALLET (the agent may see it, this
 * key may not), any other wallet is 404 as above.
 */
@Injectable()
export class WalletAccessService {
  constructor(
    @Inject(AccessRepository) private readonly access: AccessRepository,
    @Inject(CACHE) private readonly cache: CacheService,
  ) {}

  /** Whose wallets `principal` may see, as the repositories take it (a scoped key: fewer). */
  viewer(principal: OwnerOrAgent): WalletViewer {
    return principal.kind === 'owner'
      ? { ownerId: principal.ownerId }
      : { agentId: principal.agentId, walletIds: principal.walletIds };
  }

  /**
   * The wallet with its granted agents (deeply frozen: shared by concurrent requests), if
   * `principal` may see it; NOT_FOUND otherwise.
   */
  async require(principal: Principal, walletId: string): Promise<WalletAccessRecord> {
    if (principal.kind === 'operator') throw new ApiError('NOT_FOUND', 'Wallet not found');
    const wallet = await this.cache.getOrSet(
      CacheKeys.wallet(walletId),
      async () => (await this.access.walletWithGrants(walletId)) ?? undefined,
      { generation: principal.generation },
    );
    // A wallet's owner never changes, so an entry filled under another owner's generation
    // still proves a 404 here; for the owner itself the generation check made it current.
    const visible =
      wallet !== undefined &&
      wallet.ownerId === principal.ownerId &&
      (principal.kind === 'owner' || wallet.agentIds.includes(principal.agentId));
    if (!visible) throw new ApiError('NOT_FOUND', 'Wallet not found');
    if (
      principal.kind === 'agent' &&
      principal.walletIds !== null &&
      !principal.walletIds.includes(walletId)
    )
      throw new ApiError('AGENT_KEY_WALLET', 'This key is limited to other wallets');
    return wallet;
  }
}
