/**
 * Read-only spend figures for owners (the console's gauges and charts). What counts is what
 * counts against a policy's limits in spend accounting: every transaction of the wallet that
 * is not FAILED or REJECTED (so in-flight and awaiting-approval transfers count), per asset.
 * These reads take no lock: they report, they never decide.
 */
import type { PrismaClient } from '../generated/prisma/client.js';

/** Base units spent in one asset (`asset` null = SOL). */
export interface AssetSpend {
  asset: string | null;
  /** Decimals of the asset as its transfers recorded them (9 for SOL). */
  decimals: number;
  /** Base units (lamports or token base units). */
  spent: bigint;
  /** How many transactions make up `spent`. */
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
  count: number;
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
             COUNT(*)::int AS count
      FROM transactions
      WHERE wallet_id = ${walletId}::uuid
        AND status NOT IN ('FAILED', 'REJECTED')
        AND created_at >= ${since}
      GROUP BY asset
      ORDER BY asset NULLS FIRST`;
    return rows.map((r) => ({
      asset: r.asset,
      decimals: r.decimals,
      spent: BigInt(r.spent),
      count: r.count,
    }));
  }

  /** Per UTC day and asset, what counts against the limits from `since` (inclusive) on. */
  async spentPerDay(walletId: string, since: Date): Promise<DailyAssetSpend[]> {
    const rows = await this.prisma.$queryRaw<(Row & { day: string })[]>`
      SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, asset,
             MAX(decimals)::int AS decimals, SUM(amount)::text AS spent, COUNT(*)::int AS count
      FROM transactions
      WHERE wallet_id = ${walletId}::uuid
        AND status NOT IN ('FAILED', 'REJECTED')
        AND created_at >= ${since}
      GROUP BY 1, 2
      ORDER BY 1, 2 NULLS FIRST`;
    return rows.map((r) => ({
      day: r.day,
      asset: r.asset,
      decimals: r.decimals,
      spent: BigInt(r.spent),
      count: r.count,
    }));
  }
}
