import { CodedError } from '@waiaas/shared';

/**
 * The one coded error class of `@waiaas/database` (see
 * docs/decisions/coded-errors.md). Codes are stable: the
 * API maps them to HTTP statuses and clients read them.
 */
export interface RepositoryErrorContext {
  WALLET_NOT_FOUND: { walletId: string };
  TRANSACTION_NOT_FOUND: { transactionId: string };
  TRANSACTION_NOT_AWAITING_APPROVAL: { transactionId: string; status: string };
  TRANSACTION_NOT_DELAYED: { transactionId: string; status: string };
  AGENT_NOT_FOUND: { agentId: string };
  OWNER_NOT_FOUND: { ownerId: string };
  /**
   * A freeze stops this transfer: the whole service (`SERVICE`), the wallet's owner
   * (`OWNER`), the wallet (`WALLET`) or the requesting agent (`AGENT`).
   */
  FROZEN: { scope: 'SERVICE' | 'OWNER' | 'WALLET' | 'AGENT'; walletId: string };
  /** A stored policy no longer parses; transfers from that wallet are refused until it is rewritten. */
  POLICY_CORRUPT: { walletId: string; issues: string[] };
}

export type RepositoryErrorCode = keyof RepositoryErrorContext;

const MESSAGES: { [C in RepositoryErrorCode]: (context: RepositoryErrorContext[C]) => string } = {
  WALLET_NOT_FOUND: (c) => `Wallet ${c.walletId} does not exist.`,
  TRANSACTION_NOT_FOUND: (c) => `Transaction ${c.transactionId} does not exist.`,
  TRANSACTION_NOT_AWAITING_APPROVAL: (c) =>
    `Transaction ${c.transactionId} is ${c.status}, not AWAITING_APPROVAL.`,
  TRANSACTION_NOT_DELAYED: (c) => `Transaction ${c.transactionId} is ${c.status}, not DELAYED.`,
  AGENT_NOT_FOUND: (c) => `Agent ${c.agentId} does not exist.`,
  OWNER_NOT_FOUND: (c) => `Owner ${c.ownerId} does not exist.`,
  FROZEN: (c) =>
    `Transfers from wallet ${c.walletId} are frozen (${c.scope.toLowerCase()} freeze).`,
  POLICY_CORRUPT: (c) =>
    `The stored policy of wallet ${c.walletId} is invalid: ${c.issues.join('; ')}.`,
};

/**
 * @example
 * ```ts
 * try { await spend.rejectTransfer({ transactionId, ownerId, now: new Date() }); }
 * catch (e) { if (isRepositoryError(e, 'TRANSACTION_NOT_FOUND')) return notFound(); throw e; }
 * ```
 */
export class RepositoryError<
  C extends RepositoryErrorCode = RepositoryErrorCode,
> extends CodedError<RepositoryErrorContext, C> {
  override readonly name = 'RepositoryError';

  constructor(code: C, context: RepositoryErrorContext[C]) {
    super(code, context, MESSAGES[code](context));
  }
}

/**
 * Narrows `error` to a {@link RepositoryError}, optionally with a given code.
 *
 * @example
 * ```ts
 * if (isRepositoryError(e, 'WALLET_NOT_FOUND')) console.log(e.context.walletId);
 * ```
 */
export function isRepositoryError<C extends RepositoryErrorCode>(
  error: unknown,
  code?: C,
): error is RepositoryError<C> {
  return error instanceof RepositoryError && (code === undefined || error.code === code);
}
