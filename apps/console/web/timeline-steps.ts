import type { Transaction } from '@waiaas/client';

export interface Step {
  label: string;
  at: string | null;
  state: 'done' | 'current' | 'failed' | 'todo';
}

/**
 * PENDING → SUBMITTED → CONFIRMED, or the branch it left by (FAILED / EXPIRED / REJECTED),
 * preceded by AWAITING APPROVAL when the owner had to decide (approved: `decidedAt` is set). An
 * approval the owner did not give in time ends EXPIRED right after AWAITING APPROVAL.
 */
export function steps(tx: Transaction): Step[] {
  const list: Step[] = [];
  const approval =
    tx.status === 'AWAITING_APPROVAL' ||
    tx.status === 'REJECTED' ||
    tx.status === 'EXPIRED' ||
    tx.decidedAt !== null;
  if (approval) {
    const waiting = tx.status === 'AWAITING_APPROVAL';
    list.push({
      label: 'AWAITING APPROVAL',
      at: tx.createdAt,
      state: waiting ? 'current' : 'done',
    });
    if (waiting) return list;
    if (tx.status === 'REJECTED' || tx.status === 'EXPIRED')
      return [...list, { label: tx.status, at: tx.decidedAt, state: 'failed' }];
  }
  const failed = tx.status === 'FAILED';
  // How far it got: 0 signed (PENDING), 1 sent (SUBMITTED), 2 CONFIRMED; -1 never signed.
  const reached = failed
    ? tx.submittedAt !== null
      ? 1
      : tx.signature !== null
        ? 0
        : -1
    : { PENDING: 0, SUBMITTED: 1, CONFIRMED: 2 }[
        tx.status as 'PENDING' | 'SUBMITTED' | 'CONFIRMED'
      ];
  const times = [tx.decidedAt ?? tx.createdAt, tx.submittedAt, tx.confirmedAt];
  (['PENDING', 'SUBMITTED', 'CONFIRMED'] as const).forEach((label, i) => {
    if (failed && i > reached) return;
    const state =
      i < reached || tx.status === 'CONFIRMED' || failed
        ? 'done'
        : i === reached
          ? 'current'
          : 'todo';
    list.push({ label, at: i <= reached ? (times[i] ?? null) : null, state });
  });
  if (failed) {
    const reason = tx.failureReason;
    list.push({
      label: reason === 'EXPIRED' ? 'EXPIRED' : `FAILED${reason === null ? '' : ` (${reason})`}`,
      at: null,
      state: 'failed',
    });
  }
  return list;
}
