import { PolicyEngineError } from './errors.js';
import type { Policy } from './policy.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * A point in time: a `Date` or epoch milliseconds. Time is an input to this package, never read
 * from the clock.
 *
 * @example
 * ```ts
 * const now: Instant = Date.parse('2026-11-22T04:00:00Z');
 * ```
 */
export type Instant = Date | number;

/**
 * Epoch milliseconds of an `Instant`, or `NaN` if it is not a valid `Date`/finite number.
 * @internal
 */
export function epochMs(instant: unknown): number {
  if (instant instanceof Date) return instant.getTime();
  return typeof instant === 'number' && Number.isFinite(instant) ? instant : Number.NaN;
}

function toMs(instant: Instant): number {
  const ms = epochMs(instant);
  if (Number.isNaN(ms)) {
    throw new PolicyEngineError(
      'INVALID_TIME',
      { value: String(instant) },
      `not a valid Date or epoch milliseconds: ${String(instant)}`,
    );
  }
  return ms;
}

/** @internal `windowStart` on epoch milliseconds (no Date allocation). */
export function windowStartMs(dailyWindow: Policy['dailyWindow'], nowMs: number): number {
  if (dailyWindow === 'UTC_DAY') {
    const intoDay = ((nowMs % DAY_MS) + DAY_MS) % DAY_MS;
    return nowMs - intoDay;
  }
  return nowMs - DAY_MS;
}

/**
 * Start of the daily window that contains `now`, **inclusive**: a transaction counts towards
 * the daily limits when `createdAt >= windowStart(policy, now)`.
 * - `ROLLING_24H` (default): `now - 24 h`. A transfer made exactly 24 h ago still counts; one
 *   made 24 h + 1 ms ago does not.
 * - `UTC_DAY`: 00:00:00.000 UTC of `now`'s day.
 * The caller (the spend-accounting query) sums every counting transaction from this instant on;
 * pass the same `now` to `evaluate`. Throws `INVALID_TIME` for an invalid `now`.
 *
 * @example
 * ```ts
 * windowStart(policy, new Date('2026-11-22T04:30:00Z'));
 * // ROLLING_24H: 2026-11-21T04:30:00.000Z, UTC_DAY: 2026-11-22T00:00:00.000Z
 * ```
 */
export function windowStart(policy: Pick<Policy, 'dailyWindow'>, now: Instant): Date {
  return new Date(windowStartMs(policy.dailyWindow, toMs(now)));
}

/**
 * Start of the window for `metadata.maxTxPerHour`, **inclusive**: `now - 1 h`. The caller counts
 * transactions with `createdAt >= rateWindowStart(now)` and passes the count as
 * `context.txCountLastHour`.
 *
 * @example
 * ```ts
 * rateWindowStart(new Date('2026-11-22T04:30:00Z')); // 2026-11-22T03:30:00.000Z
 * ```
 */
export function rateWindowStart(now: Instant): Date {
  return new Date(toMs(now) - HOUR_MS);
}
