import { Inject, Injectable } from '@nestjs/common';
import { type Address, type Rpc, type SolanaRpcApi, address as toAddress } from '@solana/kit';
import { CacheKeys, type CacheService } from '@waiaas/cache';
import { AgentRepository, WalletRepository } from '@waiaas/database';
import { formatUiAmount, SOL_DECIMALS } from '@waiaas/policy-engine';
import {
  isSignerError,
  type KeyCustody,
  LocalKeystoreCustody,
  TOKEN_2022_PROGRAM_ADDRESS,
  TOKEN_PROGRAM_ADDRESS,
} from '@waiaas/solana-signer';
import { actorOf } from '../audit/audit.service.js';
import { AuthService } from '../auth/auth.service.js';
import type { OwnerOrAgent, OwnerPrincipal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { CACHE, CUSTODY, RPC } from '../infra/tokens.js';
import { WalletAccessService } from './wallet-access.service.js';
import {
  type BalanceDto,
  type BalanceResponseDto,
  type CreateWalletDto,
  type GrantResponseDto,
  type TokenBalanceDto,
  toWalletDto,
  type WalletListDto,
  type WalletResponseDto,
} from './wallet.dto.js';

/**
 * A cached balance (10 s) read with less than this left is refreshed in the background: a
 * balance polled more often than its TTL never makes a reader wait for the RPC, and balances
 * cached together do not all expire together (2 s is room for a slow RPC answer).
 */
const BALANCE_REFRESH_AHEAD_SECONDS = 2;

interface ParsedTokenAccount {
  pubkey: Address;
  account: {
    data: { parsed: { info: { mint: string; tokenAmount: { amount: string; decimals: number } } } };
  };
}

@Injectable()
export class WalletService {
  constructor(
    @Inject(WalletRepository) private readonly wallets: WalletRepository,
    @Inject(AgentRepository) private readonly agents: AgentRepository,
    @Inject(CACHE) private readonly cache: CacheService,
    @Inject(CUSTODY) private readonly custody: KeyCustody,
    @Inject(RPC) private readonly rpc: Rpc<SolanaRpcApi>,
    @Inject(WalletAccessService) private readonly access: WalletAccessService,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  /**
   * Creates the key in custody and the wallet row as one unit. The local keystore lives in our
   * database, so its key row is written in the wallet's own transaction: a wallet insert that
   * fails leaves no key behind. A remote custody (Turnkey) cannot join a database transaction,
   * so its wallet is created first and only then recorded.
   */
  async create(principal: OwnerPrincipal, dto: CreateWalletDto): Promise<WalletResponseDto> {
    const options = dto.label === undefined ? {} : { name: dto.label };
    const local = this.custody instanceof LocalKeystoreCustody ? this.custody : null;
    const remote =
      local === null ? await this.inCustody(() => this.custody.createWallet(options)) : null;
    const wallet = await this.wallets.create(
      { ownerId: principal.ownerId, label: dto.label ?? null },
      async (tx) =>
        remote ?? (await this.inCustody(() => local!.withStore(tx).createWallet(options))),
      actorOf(principal),
    );
    return { wallet: toWalletDto(wallet, []) };
  }

  private async inCustody<T>(create: () => Promise<T>): Promise<T> {
    try {
      return await create();
    } catch (e) {
      if (isSignerError(e))
        throw new ApiError('CUSTODY_UNAVAILABLE', 'Key custody could not create the wallet', {
          cause: e,
        });
      throw e;
    }
  }

  async list(principal: OwnerOrAgent): Promise<WalletListDto> {
    const rows = await this.wallets.listVisible(this.access.viewer(principal));
    return { wallets: rows.map((row) => toWalletDto(row, row.agentIds)) };
  }

  async get(principal: OwnerOrAgent, walletId: string): Promise<WalletResponseDto> {
    const wallet = await this.access.require(principal, walletId);
    return {
      wallet: toWalletDto(wallet, principal.kind === 'owner' ? [...wallet.agentIds] : undefined),
    };
  }

  async grant(
    principal: OwnerPrincipal,
    walletId: string,
    agentId: string,
  ): Promise<GrantResponseDto> {
    await this.access.require(principal, walletId);
    const agent = await this.agents.findForOwner(principal.ownerId, agentId);
    if (agent === null) throw new ApiError('NOT_FOUND', 'Agent not found');
    const grant = await this.wallets.grant(
      { ownerId: principal.ownerId, walletId, agentId },
      actorOf(principal),
    );
    await this.auth.invalidateAccess(principal.ownerId);
    return { grant: { walletId, agentId, grantedAt: grant.grantedAt.toISOString() } };
  }

  async revokeGrant(principal: OwnerPrincipal, walletId: string, agentId: string): Promise<void> {
    await this.access.require(principal, walletId);
    const revoked = await this.wallets.revokeGrant(
      { ownerId: principal.ownerId, walletId, agentId },
      actorOf(principal),
    );
    if (!revoked) throw new ApiError('NOT_FOUND', 'This agent has no access to this wallet');
    // After commit: the agent is refused this wallet on its next request, on every instance.
    await this.auth.invalidateAccess(principal.ownerId);
  }

  async balance(principal: OwnerOrAgent, walletId: string): Promise<BalanceResponseDto> {
    const wallet = await this.access.require(principal, walletId);
    const balance = await this.cache.getOrSet(
      CacheKeys.balance(wallet.address),
      () => this.fetchBalance(toAddress(wallet.address)),
      { refreshAheadSeconds: BALANCE_REFRESH_AHEAD_SECONDS },
    );
    return { balance };
  }

  private async fetchBalance(owner: Address): Promise<BalanceDto> {
    try {
      const [sol, classic, t22] = await Promise.all([
        this.rpc.getBalance(owner, { commitment: 'confirmed' }).send(),
        this.rpc
          .getTokenAccountsByOwner(
            owner,
            { programId: TOKEN_PROGRAM_ADDRESS },
            { encoding: 'jsonParsed', commitment: 'confirmed' },
          )
          .send(),
        this.rpc
          .getTokenAccountsByOwner(
            owner,
            { programId: TOKEN_2022_PROGRAM_ADDRESS },
            { encoding: 'jsonParsed', commitment: 'confirmed' },
          )
          .send(),
      ]);
      const tokens: TokenBalanceDto[] = [];
      for (const [programId, result] of [
        [TOKEN_PROGRAM_ADDRESS, classic],
        [TOKEN_2022_PROGRAM_ADDRESS, t22],
      ] as const) {
        for (const entry of result.value as unknown as ParsedTokenAccount[]) {
          const info = entry.account.data.parsed.info;
          tokens.push({
            mint: info.mint,
            programId,
            account: entry.pubkey,
            amount: info.tokenAmount.amount,
            decimals: info.tokenAmount.decimals,
            uiAmount: formatUiAmount(BigInt(info.tokenAmount.amount), info.tokenAmount.decimals),
          });
        }
      }
      tokens.sort((a, b) =>
        a.mint === b.mint ? a.account.localeCompare(b.account) : a.mint.localeCompare(b.mint),
      );
      const lamports = sol.value;
      return {
        address: owner,
        lamports: lamports.toString(),
        sol: formatUiAmount(lamports, SOL_DECIMALS),
        tokens,
        fetchedAt: new Date().toISOString(),
      };
    } catch (e) {
      throw new ApiError('RPC_UNAVAILABLE', 'Could not read the balance from the Solana RPC', {
        cause: e,
      });
    }
  }
}
