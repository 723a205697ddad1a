/**
 * What a transfer will be, known before a blockhash is fetched or anything is signed: the
 * programs its instructions invoke and the exact network fee. `buildTransfer` uses the same
 * function, so the list a policy judges (`allowedPrograms`) and the fee counted against the
 * limits are those of the transaction that gets signed.
 */
import type { Address } from '@solana/kit';
import { COMPUTE_BUDGET_PROGRAM_ADDRESS } from '@solana-program/compute-budget';
import { LEGACY_MEMO_PROGRAM_ADDRESS_V3 } from '@solana-program/memo';
import { SYSTEM_PROGRAM_ADDRESS } from '@solana-program/system';
import { ASSOCIATED_TOKEN_PROGRAM_ADDRESS } from '@solana-program/token';
import { SignerError } from './errors.js';

/**
 * Lamports per signature (the protocol's base fee; the same on every cluster since genesis).
 *
 * @example
 * ```ts
 * const fee = BASE_FEE_LAMPORTS_PER_SIGNATURE * 1n; // 5000n
 * ```
 */
export const BASE_FEE_LAMPORTS_PER_SIGNATURE = 5_000n;

/**
 * The shape of a transfer, as far as its programs and fee depend on it.
 *
 * @example
 * ```ts
 * const shape: TransferShape = { kind: 'SOL', memo: false, createsDestinationAta: false, computeUnitLimit: 600, priorityFeeMicroLamports: 0n };
 * ```
 */
export interface TransferShape {
  kind: 'SOL' | 'TOKEN';
  /** For TOKEN: the mint's program (SPL Token or Token-2022). */
  tokenProgram?: Address;
  /** Whether a memo instruction is added. */
  memo: boolean;
  /** For TOKEN: whether the recipient's associated token account is created (idempotently). */
  createsDestinationAta: boolean;
  computeUnitLimit: number;
  /** Price per compute unit in micro-lamports (0 = no priority fee, no price instruction). */
  priorityFeeMicroLamports: bigint;
  /** Memo program (default the SPL Memo every cluster has). */
  memoProgram?: Address;
}

/**
 * Programs and fee of a transfer.
 *
 * @example
 * ```ts
 * const { programs, fee } = planTransfer(shape); // fee in lamports
 * ```
 */
export interface TransferPlan {
  /** Program ids of the instructions, in order, each once. */
  programs: Address[];
  /** Signatures the transaction carries (the sending wallet's). */
  signatures: number;
  /** Network fee in lamports: base fee × signatures + ceil(compute-unit limit × price / 10⁶). */
  fee: bigint;
}

/**
 * Programs the transfer's instructions invoke and its exact fee. Pure: no RPC.
 *
 * @example
 * ```ts
 * planTransfer({ kind: 'SOL', memo: false, createsDestinationAta: false, computeUnitLimit: 600, priorityFeeMicroLamports: 0n });
 * // { programs: ['ComputeBudget111…', '11111111111111111111111111111111'], signatures: 1, fee: 5000n }
 * ```
 */
export function planTransfer(shape: TransferShape): TransferPlan {
  const programs: Address[] = [COMPUTE_BUDGET_PROGRAM_ADDRESS];
  if (shape.kind === 'SOL') programs.push(SYSTEM_PROGRAM_ADDRESS);
  else {
    if (shape.tokenProgram === undefined) {
      throw new SignerError(
        'INVALID_TRANSFER',
        { reason: 'a token transfer needs its token program' },
        'planTransfer: tokenProgram is required for a token transfer',
      );
    }
    if (shape.createsDestinationAta) programs.push(ASSOCIATED_TOKEN_PROGRAM_ADDRESS);
    programs.push(shape.tokenProgram);
  }
  if (shape.memo) programs.push(shape.memoProgram ?? LEGACY_MEMO_PROGRAM_ADDRESS_V3);
  const signatures = 1;
  const priority =
    (BigInt(shape.computeUnitLimit) * shape.priorityFeeMicroLamports + 999_999n) / 1_000_000n;
  return {
    programs: [...new Set(programs)],
    signatures,
    fee: BASE_FEE_LAMPORTS_PER_SIGNATURE * BigInt(signatures) + priority,
  };
}
