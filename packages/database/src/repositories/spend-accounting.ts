/**
 * The one definition of "what counts" against a wallet's limits, shared by the decision
 * (SpendRepository) and the owner's report (SpendReportRepository, the console's gauges and
 * chart), so the two can never disagree:
 *
 * - a transaction counts from the moment it is stored (PENDING, or AWAITING_APPROVAL or
 *   DELAYED: a waiting transfer holds its budget) until it becomes FAILED, REJECTED, EXPIRED (an
 *   approval the owner did not give in time) or CANCELLED (stopped before it was broadcast);
 * - it counts its amount in its own asset, and its network fee in SOL (a token transfer's fee
 *   is paid in SOL all the same).
 */
import { Prisma } from '../generated/prisma/client.js';

/** Statuses whose transactions no longer count. */
export const NOT_COUNTING_STATUSES = ['FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED'] as const;

/** The same list as SQL text, for `status NOT IN …` in plain statements. */
export const NOT_COUNTING_SQL_TEXT = `(${NOT_COUNTING_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** The same list as a Prisma fragment, for `status NOT IN ${…}` in tagged queries. */
export const NOT_COUNTING_SQL = Prisma.raw(NOT_COUNTING_SQL_TEXT);

/** Per-asset sums of counting transactions, as summed by SQL (before fees are folded in). */
export interface CountedByAsset {
  asset: string | null;
  /** Sum of amounts in the asset's base units. */
  amount: bigint;
  /** Sum of network fees (lamports) of these transactions. */
  fees: bigint;
}

/**
 * SOL spent (SOL amounts plus every counted fee) and tokens spent by mint, from per-asset sums.
 *
 * @example
 * ```ts
 * foldFees([{ asset: null, amount: 10n, fees: 5n }, { asset: mint, amount: 3n, fees: 5n }]);
 * // { sol: 20n, tokens: { [mint]: 3n } }
 * ```
 */
export function foldFees(rows: readonly CountedByAsset[]): {
  sol: bigint;
  tokens: Record<string, bigint>;
} {
  let sol = 0n;
  const tokens: Record<string, bigint> = {};
  for (const row of rows) {
    sol += row.fees;
    if (row.asset === null) sol += row.amount;
    else tokens[row.asset] = (tokens[row.asset] ?? 0n) + row.amount;
  }
  return { sol, tokens };
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** The first instant at or after `t` that is a whole multiple of `unitMs` (UTC). */
function ceilTo(t: Date, unitMs: number): Date {
  return new Date(Math.ceil(t.getTime() / unitMs) * unitMs);
}

/**
 * A window [start, ∞) as the spend buckets read it: whole hours from `hour` (hour buckets),
 * whole minutes in [minute, hour) (minute buckets) and the exact rows in [start, minute)
 * (transactions). At most 24 + 60 bucket rows per asset for a day.
 */
export interface WindowBounds {
  start: Date;
  minute: Date;
  hour: Date;
}

/** The bounds of the window that starts at `start`. */
export function boundsFrom(start: Date): WindowBounds {
  return { start, minute: ceilTo(start, MINUTE_MS), hour: ceilTo(start, HOUR_MS) };
}
