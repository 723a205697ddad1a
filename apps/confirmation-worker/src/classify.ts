import type { SignatureStatus } from './chain.js';

/**
 * What to do with one SUBMITTED transaction after a status check.
 *
 * @example
 * ```ts
 * const verdict: Verdict = classify(input);
 * if (verdict.kind === 'confirm') confirmAt(verdict.slot);
 * ```
 */
export type Verdict =
  /** Landed without error and reached the commitment. */
  | { kind: 'confirm'; slot: bigint }
  /** Landed with an error and reached the commitment (the fee was paid; nothing moved). */
  | { kind: 'fail'; slot: bigint; err: unknown }
  /** Landed, not yet at the commitment: wait (no rebroadcast needed). */
  | { kind: 'wait' }
  /** Not seen, still valid, due for another send of the same bytes. */
  | { kind: 'rebroadcast' }
  /** Not seen, still valid, sent recently. */
  | { kind: 'idle' }
  /** Not seen, and every block it could land in is already finalized: confirm absence, then EXPIRED. */
  | { kind: 'expired' };

/**
 * Everything {@link classify} decides on.
 *
 * @example
 * ```ts
 * const input: ClassifyInput = { status, lastValidBlockHeight, lastSubmittedAt, finalizedBlockHeight,
 *   commitment: 'confirmed', now: new Date(), rebroadcastIntervalMs: 2_000 };
 * ```
 */
export interface ClassifyInput {
  status: SignatureStatus | null;
  lastValidBlockHeight: bigint;
  lastSubmittedAt: Date | null;
  /** Finalized block height, read BEFORE the statuses (see Confirmer). */
  finalizedBlockHeight: bigint;
  commitment: 'confirmed' | 'finalized';
  now: Date;
  rebroadcastIntervalMs: number;
}

/**
 * The confirmation state machine for one transaction, pure so it is tested on its own.
 *
 * Expiry is judged against the *finalized* block height: once it is past
 * `lastValidBlockHeight`, every block that could contain the transaction (heights up to
 * `lastValidBlockHeight`) is finalized, so a signature absent from the (history-searching)
 * status lookup that follows can never land. A lower commitment could still be rolled back.
 *
 * @example
 * ```ts
 * classify({ status: null, lastValidBlockHeight: 150n, finalizedBlockHeight: 151n, ... }); // { kind: 'expired' }
 * ```
 */
export function classify(input: ClassifyInput): Verdict {
  const { status } = input;
  if (status !== null) {
    const reached =
      input.commitment === 'finalized'
        ? status.confirmationStatus === 'finalized'
        : status.confirmationStatus === 'confirmed' || status.confirmationStatus === 'finalized';
    if (!reached) return { kind: 'wait' };
    return status.err === null || status.err === undefined
      ? { kind: 'confirm', slot: status.slot }
      : { kind: 'fail', slot: status.slot, err: status.err };
  }
  if (input.finalizedBlockHeight > input.lastValidBlockHeight) return { kind: 'expired' };
  const last = input.lastSubmittedAt?.getTime() ?? 0;
  return input.now.getTime() - last >= input.rebroadcastIntervalMs
    ? { kind: 'rebroadcast' }
    : { kind: 'idle' };
}
