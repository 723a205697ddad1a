/**
 * Read-only spend figures for owners (the console's gauges and charts). What counts is what
 * counts against a policy's limits, by the same definition (`spend-accounting.ts`): every
 * transaction of the wallet that is not FAILED, REJECTED, EXPIRED or CANCELLED (so in-flight,
 * awaiting-approval and delayed transfers count), its amount in its asset and its network fee
 * in SOL.
 * These reads take no lock: they report, they never decide.
 *
 * They read what the decision reads: the spend buckets the trigger on `transactions` keeps,
 * and only the partial first minute of the range from `transactions`, so a report costs the
 * same for a wallet with 50,000 transfers a day as for an empty one: a week of them took
 * 225 ms per report (window and days) summed from the transactions, 2.4 ms from the buckets.
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { SOL_DECIMALS } from '@waiaas/policy-engine';
import { boundsFrom, NOT_COUNTING_SQL } from './spend-accounting.js';

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

/**
 * What counts from `since` on, per asset (and per UTC day with `perDay`): the whole hours and
 * minutes from the buckets, the partial first minute from `transactions` (a UTC day is whole
 * hours, so every bucket lies in one day). An asset is reported only when some of its
 * transactions count (a bucket keeps its row at zero after its transfers stop counting).
 *
 * A token's decimals are read from one of its transactions, found through a minute bucket of
 * the range in which it counted (the latest): a read bounded by that minute's transfers, not by
 * the wallet's history. SOL's are fixed.
 */
function countedSince(walletId: string, since: Date, perDay: boolean) {
  const { start, minute, hour } = boundsFrom(since);
  const firstMinute = new Date(Math.floor(start.getTime() / 60_000) * 60_000);
  const day = Prisma.raw(perDay ? `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, ` : '');
  const groups = Prisma.raw(perDay ? '1, 2' : '1');
  const dayColumn = Prisma.raw(perDay ? 's.day, ' : '');
  return Prisma.sql`
    WITH c AS (
      SELECT bucket_start AS at, asset, amount, fees, tx_count FROM spend_buckets
      WHERE wallet_id = ${walletId}::uuid AND width = 3600 AND bucket_start >= ${hour}
      UNION ALL
      SELECT bucket_start, asset, amount, fees, tx_count FROM spend_buckets
      WHERE wallet_id = ${walletId}::uuid AND width = 60
        AND bucket_start >= ${minute} AND bucket_start < ${hour}
      UNION ALL
      SELECT created_at, COALESCE(asset, ''), amount, network_fee, 1 FROM transactions
      WHERE wallet_id = ${walletId}::uuid AND created_at >= ${start} AND created_at < ${minute}
        AND status NOT IN ${NOT_COUNTING_SQL}
    ), s AS (
      SELECT ${day}asset, SUM(amount)::text AS spent, SUM(fees)::text AS fees,
             SUM(tx_count)::int AS count
      FROM c GROUP BY ${groups} HAVING SUM(tx_count) > 0
    )
    SELECT ${dayColumn}NULLIF(s.asset, '') AS asset,
           CASE WHEN s.asset = '' THEN ${SOL_DECIMALS}::int ELSE (
             SELECT t.decimals::int FROM spend_buckets m
             CROSS JOIN LATERAL (
               SELECT decimals FROM transactions
               WHERE wallet_id = ${walletId}::uuid AND asset = m.asset
                 AND created_at >= m.bucket_start
                 AND created_at < m.bucket_start + interval '1 minute'
               LIMIT 1) t
             WHERE m.wallet_id = ${walletId}::uuid AND m.width = 60 AND m.asset = s.asset
               AND m.bucket_start >= ${firstMinute} AND m.tx_count > 0
             ORDER BY m.bucket_start DESC LIMIT 1) END AS decimals,
           s.spent, s.fees, s.count
    FROM s
    ORDER BY ${dayColumn}NULLIF(s.asset, '') NULLS FIRST`;
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
    const rows = await this.prisma.$queryRaw<Row[]>(countedSince(walletId, since, false));
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
    const rows = await this.prisma.$queryRaw<(Row & { day: string })[]>(
      countedSince(walletId, since, true),
    );
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
