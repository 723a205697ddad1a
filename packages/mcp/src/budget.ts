import type { PolicyReason, WaiaasClient } from '@waiaas/client';
import { DEFAULT_DAILY_WINDOW, formatUiAmount } from '@waiaas/policy-engine';

/**
 * What is left of a wallet's daily limit for one asset, as the API counts it (its policy's
 * window, every transfer not FAILED, REJECTED or EXPIRED). `asset` is the mint, or null for SOL.
 */
export interface RemainingDailyBudget {
  asset: string | null;
  decimals: number;
  window: string;
  /** The daily limit, UI units. */
  limit: string;
  /** Spent in the window, UI units. */
  spent: string;
  /** `max(0, limit - spent)`, UI units: the most a transfer of this asset may still move today. */
  remaining: string;
  remainingBaseUnits: string;
}

interface DailyReason {
  asset: string | null;
  decimals: number;
  window: string;
  limit: string;
  spent: string;
  remaining: string;
}

/** The daily-limit reason of a decision (SOL's DAILY_LIMIT_EXCEEDED or a mint's DAILY scope). */
function dailyReasonOf(reasons: readonly PolicyReason[]): DailyReason | undefined {
  const reason = reasons.find(
    (r) =>
      r.code === 'DAILY_LIMIT_EXCEEDED' ||
      (r.code === 'TOKEN_LIMIT_EXCEEDED' && r.scope === 'DAILY'),
  );
  if (reason === undefined) return undefined;
  const { asset, decimals, window, limit, spent, remaining } = reason;
  if (
    typeof decimals !== 'number' ||
    typeof window !== 'string' ||
    typeof limit !== 'string' ||
    typeof spent !== 'string' ||
    typeof remaining !== 'string'
  )
    return undefined;
  return {
    asset: typeof asset === 'string' ? asset : null,
    decimals,
    window,
    limit,
    spent,
    remaining,
  };
}

function fromReason(reason: DailyReason): RemainingDailyBudget {
  // Reasons carry base units (exact, as strings); the tools speak UI units like the API's input.
  const ui = (base: string): string => formatUiAmount(BigInt(base), reason.decimals);
  return {
    asset: reason.asset,
    decimals: reason.decimals,
    window: reason.window,
    limit: ui(reason.limit),
    spent: ui(reason.spent),
    remaining: ui(reason.remaining),
    remainingBaseUnits: reason.remaining,
  };
}

/**
 * The remaining daily budget for the asset of a refused transfer, or null when the asset has
 * no daily limit (or the wallet no policy).
 *
 * When the denial itself was about the daily limit, its reason already carries the figures.
 * Otherwise an agent cannot read the wallet's spend directly (that endpoint is the owner's),
 * so this asks the API's dry run for a transfer of exactly the daily limit: its daily reason,
 * if any, has the server's own `spent`/`remaining`; no daily reason means nothing was spent in
 * the window (spent + limit ≤ limit), so the whole limit remains. Nothing is signed or stored.
 */
export async function remainingDailyBudget(
  client: WaiaasClient,
  walletId: string,
  transfer: { to: string; mint?: string | undefined },
  denialReasons: readonly PolicyReason[],
): Promise<RemainingDailyBudget | null> {
  const fromDenial = dailyReasonOf(denialReasons);
  if (fromDenial !== undefined) return fromReason(fromDenial);
  if (denialReasons.some((r) => r.code === 'NO_POLICY')) return null;

  const { policy } = await client.getPolicy(walletId);
  const limit =
    transfer.mint === undefined
      ? policy.dailyLimit
      : policy.metadata?.tokenLimits?.[transfer.mint]?.daily;
  if (limit === undefined) return null;

  const probe = await client.evaluateTransfer(walletId, {
    to: transfer.to,
    amount: limit,
    ...(transfer.mint === undefined ? {} : { mint: transfer.mint }),
  });
  const daily = dailyReasonOf(probe.decision.reasons);
  if (daily !== undefined) return fromReason(daily);
  return {
    asset: probe.asset,
    decimals: probe.decimals,
    window: policy.metadata?.dailyWindow ?? DEFAULT_DAILY_WINDOW,
    limit: formatUiAmount(BigInt(probe.amountBaseUnits), probe.decimals),
    spent: '0',
    remaining: formatUiAmount(BigInt(probe.amountBaseUnits), probe.decimals),
    remainingBaseUnits: probe.amountBaseUnits,
  };
}
