/**
 * Read-only spend figures for owners (the console's gauges and charts). What counts is what
 * counts against a policy's limits, by the same definition (`spend-accounting.ts`): every
 * transaction of the wallet that is not FAILED or REJECTED (so in-flight and awaiting-approval
 * transfers count), its amount in its asset and its network fee in SOL.
 * These reads take no lock: they report, they never decide.
 */
import type { PrismaClient } from '../generated/prisma/client.js';
import { SOL_DECIMALS } from '@waiaas/policy-engine';
import { NOT_COUNTING_SQL } from './spend-accounting.js';

/** Base units spent in one asset (`asset` null = SOL). */
export interface AssetSpend {
  asset: string | null;
  /** Decimals of the asset as its transfers recorded them (9 for SOL). */
  decimals: number;
  /** Base units (lamports or token base units); for SOL, the network fees of every asset's transfers included. */
  spent: bigint;
  /** How many transactions of this asset are counted. */
  count: number;
}

/** One UTC day's spend in one asset. */
export interface DailyAssetSpend extends AssetSpend {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
}

interface Row {
  asset: string | null;
  decimals: number;
  spent: string;
  fees: string;
  count: number;
}

/** Moves every row's fees into the SOL row (created when only token transfers paid fees). */
function foldFeesIntoSol<T extends AssetSpend>(
  rows: (T & { fees: bigint })[],
  solRow: () => T,
): T[] {
  const fees = rows.reduce((sum, r) => sum + r.fees, 0n);
  const out: T[] = rows.map(({ fees: _fees, ...rest }) => rest as unknown as T);
  if (fees === 0n) return out;
  let sol = out.find((r) => r.asset === null);
  if (sol === undefined) {
    sol = solRow();
    out.unshift(sol);
  }
  sol.spent += fees;
  return out;
}

/**
 * @example
 * ```ts
 * const report = new SpendReportRepository(prisma);
 * const window = await report.spentSince(walletId, windowStart(policy, now)); // [{ asset: null, decimals: 9, spent: 250000000n, count: 1 }]
 * const days = await report.spentPerDay(walletId, sevenDaysAgo);
 * ```
 */
export class SpendReportRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Per asset, what counts against the limits from `since` (inclusive) on. */
  async spentSince(walletId: string, since: Date): Promise<AssetSpend[]> {
    const rows = await this.prisma.$queryRaw<Row[]>`
      SELECT asset, MAX(decimals)::int AS decimals, SUM(amount)::text AS spent,
             SUM(network_fee)::text AS fees, COUNT(*)::int AS count
      FROM transactions
      WHERE wallet_id = ${walletId}::uuid
        AND status NOT IN ${NOT_COUNTING_SQL}
        AND created_at >= ${since}
      GROUP BY asset
      ORDER BY asset NULLS FIRST`;
    return foldFeesIntoSol(
      rows.map((r) => ({
        asset: r.asset,
        decimals: r.decimals,
        spent: BigInt(r.spent),
        fees: BigInt(r.fees),
        count: r.count,
      })),
      (): AssetSpend => ({ asset: null, decimals: SOL_DECIMALS, spent: 0n, count: 0 }),
    );
  }

  /** Per UTC day and asset, what counts against the limits from `since` (inclusive) on. */
  async spentPerDay(walletId: string, since: Date): Promise<DailyAssetSpend[]> {
    const rows = await this.prisma.$queryRaw<(Row & { day: string })[]>`
      SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, asset,
             MAX(decimals)::int AS decimals, SUM(amount)::text AS spent,
             SUM(network_fee)::text AS fees, COUNT(*)::int AS count
      FROM transactions
      WHERE wallet_id = ${walletId}::uuid
        AND status NOT IN ${NOT_COUNTING_SQL}
        AND created_at >= ${since}
      GROUP BY 1, 2
      ORDER BY 1, 2 NULLS FIRST`;
    const byDay = new Map<string, (DailyAssetSpend & { fees: bigint })[]>();
    for (const r of rows) {
      const list = byDay.get(r.day) ?? [];
      list.push({
        day: r.day,
        asset: r.asset,
        decimals: r.decimals,
        spent: BigInt(r.spent),
        fees: BigInt(r.fees),
        count: r.count,
      });
      byDay.set(r.day, list);
    }
    return [...byDay.entries()].flatMap(([day, list]) =>
      foldFeesIntoSol(list, () => ({
        day,
        asset: null,
        decimals: SOL_DECIMALS,
        spent: 0n,
        count: 0,
      })),
    );
  }
}
