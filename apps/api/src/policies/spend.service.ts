import { Inject, Injectable } from '@nestjs/common';
import { type AssetSpend, SpendReportRepository } from '@waiaas/database';
import {
  formatUiAmount,
  parsePolicy,
  type Policy,
  SOL_DECIMALS,
  windowStart,
} from '@waiaas/policy-engine';
import type { OwnerPrincipal } from '../auth/principal.js';
import { isApiError } from '../common/api-error.js';
import { WalletAccessService } from '../wallets/wallet-access.service.js';
import { PolicyService } from './policy.service.js';
import type { AssetSpendDto, SpendQueryDto, WalletSpendResponseDto } from './spend.dto.js';

const DAY_MS = 86_400_000;

function assetDto(
  asset: string | null,
  decimals: number,
  spent: bigint,
  count: number,
  dailyLimit: bigint | null,
): AssetSpendDto {
  return {
    asset,
    decimals,
    spent: formatUiAmount(spent, decimals),
    spentBaseUnits: spent.toString(),
    count,
    dailyLimit: dailyLimit === null ? null : formatUiAmount(dailyLimit, decimals),
  };
}

/** SOL first, then mints in address order. */
function byAsset(a: { asset: string | null }, b: { asset: string | null }): number {
  if (a.asset === b.asset) return 0;
  if (a.asset === null) return -1;
  if (b.asset === null) return 1;
  return a.asset < b.asset ? -1 : 1;
}

/**
 * What a wallet has spent against its policy's daily limits (the console's gauges) and per
 * UTC day (its chart). Figures follow spend accounting: every transfer not FAILED or REJECTED.
 */
@Injectable()
export class SpendService {
  constructor(
    @Inject(SpendReportRepository) private readonly report: SpendReportRepository,
    @Inject(WalletAccessService) private readonly access: WalletAccessService,
    @Inject(PolicyService) private readonly policies: PolicyService,
  ) {}

  async get(
    principal: OwnerPrincipal,
    walletId: string,
    query: SpendQueryDto,
  ): Promise<WalletSpendResponseDto> {
    await this.access.require(principal, walletId);
    const policy = await this.loadPolicy(principal, walletId);
    const now = new Date();
    const window = policy?.dailyWindow ?? 'ROLLING_24H';
    const since = windowStart({ dailyWindow: window }, now);
    const days = query.days ?? 7;
    const firstDay = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - (days - 1) * DAY_MS);
    const [inWindow, perDay] = await Promise.all([
      this.report.spentSince(walletId, since),
      this.report.spentPerDay(walletId, firstDay),
    ]);

    const assets = new Map<string | null, AssetSpendDto>();
    const solLimit = policy?.dailyLimit ?? null;
    assets.set(null, assetDto(null, SOL_DECIMALS, 0n, 0, solLimit));
    for (const [mint, limit] of policy?.tokenLimits ?? [])
      assets.set(mint, assetDto(mint, limit.decimals, 0n, 0, limit.daily));
    for (const row of inWindow) {
      const limit =
        row.asset === null ? solLimit : (policy?.tokenLimits.get(row.asset)?.daily ?? null);
      assets.set(row.asset, assetDto(row.asset, row.decimals, row.spent, row.count, limit));
    }

    const byDay = new Map<string, AssetSpend[]>();
    for (const row of perDay) byDay.set(row.day, [...(byDay.get(row.day) ?? []), row]);
    const dayList = Array.from({ length: days }, (_, i) => {
      const day = new Date(firstDay.getTime() + i * DAY_MS).toISOString().slice(0, 10);
      const rows = byDay.get(day) ?? [];
      const sol = rows.find((r) => r.asset === null);
      return {
        day,
        assets: [
          assetDto(null, SOL_DECIMALS, sol?.spent ?? 0n, sol?.count ?? 0, null),
          ...rows
            .filter((r) => r.asset !== null)
            .map((r) => assetDto(r.asset, r.decimals, r.spent, r.count, null)),
        ],
      };
    });

    return {
      spend: {
        walletId,
        window,
        windowStart: since.toISOString(),
        asOf: now.toISOString(),
        hasPolicy: policy !== null,
        assets: [...assets.values()].sort(byAsset),
        days: dayList,
      },
    };
  }

  private async loadPolicy(principal: OwnerPrincipal, walletId: string): Promise<Policy | null> {
    let dto;
    try {
      ({ policy: dto } = await this.policies.get(principal, walletId));
    } catch (e) {
      // The wallet exists (checked above): NOT_FOUND here means it has no policy.
      if (isApiError(e, 'NOT_FOUND')) return null;
      throw e;
    }
    const parsed = parsePolicy({
      perTxLimit: dto.perTxLimit,
      dailyLimit: dto.dailyLimit,
      allowedAssets: dto.allowedAssets,
      allowedAddresses: dto.allowedAddresses,
      requiresApproval: dto.requiresApproval,
      metadata: dto.metadata,
    });
    if (!parsed.ok) throw new Error(`stored policy of wallet ${walletId} does not parse`);
    return parsed.policy;
  }
}
