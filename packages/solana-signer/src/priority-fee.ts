import { type Address, type GetRecentPrioritizationFeesApi, type Rpc } from '@solana/kit';
import { SignerError } from './errors.js';

function invalid(reason: string): SignerError<'INVALID_TRANSFER'> {
  return new SignerError('INVALID_TRANSFER', { reason }, `priority fee: ${reason}`);
}

/**
 * How to price compute units (micro-lamports per CU):
 * - `{ microLamports }`: a fixed price from configuration;
 * - `{ percentile, maxMicroLamports }`: the given percentile of `getRecentPrioritizationFees`
 *   on the transaction's write-locked accounts, clamped to `[minMicroLamports, maxMicroLamports]`.
 *
 * @example
 * ```ts
 * const fixed: PriorityFeeOption = { microLamports: 5_000n };
 * const market: PriorityFeeOption = { percentile: 75, maxMicroLamports: 1_000_000n };
 * ```
 */
export type PriorityFeeOption =
  | { microLamports: bigint }
  | { percentile: number; maxMicroLamports: bigint; minMicroLamports?: bigint };

/**
 * The `percentile` (0–100, nearest-rank) of recent prioritisation fees paid in the last
 * slots for transactions locking `writableAccounts`, clamped to `[min, max]`. No samples
 * gives `min` (default 0).
 *
 * @example
 * ```ts
 * const microLamports = await estimatePriorityFee(rpc, [payer, destination], { percentile: 75, maxMicroLamports: 1_000_000n });
 * ```
 */
export async function estimatePriorityFee(
  rpc: Rpc<GetRecentPrioritizationFeesApi>,
  writableAccounts: readonly Address[],
  options: {
    percentile: number;
    maxMicroLamports: bigint;
    minMicroLamports?: bigint;
    abortSignal?: AbortSignal;
  },
): Promise<bigint> {
  const { percentile, maxMicroLamports } = options;
  const min = options.minMicroLamports ?? 0n;
  if (!(percentile >= 0 && percentile <= 100))
    throw invalid(`percentile must be within 0..100, got ${percentile}`);
  if (min < 0n || min > maxMicroLamports)
    throw invalid('need 0 ≤ minMicroLamports ≤ maxMicroLamports');
  const request = rpc.getRecentPrioritizationFees(writableAccounts);
  const samples = await (options.abortSignal
    ? request.send({ abortSignal: options.abortSignal })
    : request.send());
  return priorityFeeFromSamples(
    samples.map((s) => s.prioritizationFee),
    { percentile, min, max: maxMicroLamports },
  );
}

/**
 * Nearest-rank percentile of fee samples, clamped. Pure helper behind {@link estimatePriorityFee}.
 *
 * @example
 * ```ts
 * priorityFeeFromSamples([0n, 10n, 20n, 30n], { percentile: 50, min: 0n, max: 25n }); // 10n
 * ```
 */
export function priorityFeeFromSamples(
  samples: readonly bigint[],
  { percentile, min, max }: { percentile: number; min: bigint; max: bigint },
): bigint {
  if (samples.length === 0) return min;
  const sorted = [...samples].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  const value = sorted[rank - 1]!;
  return value < min ? min : value > max ? max : value;
}
