/**
 * The engine's one coded error. Codes are stable (the API maps each to one HTTP status); the
 * message is for humans. `cause` keeps the underlying error for the server's log only.
 */
import { CodedError } from '@waiaas/shared';

/** Every code the engine throws, with what it means for the caller. */
export const TRANSFER_ENGINE_ERRORS = {
  /** The wallet does not exist (or was deleted meanwhile). */
  WALLET_NOT_FOUND: 'not found',
  /** The transaction does not exist or belongs to another owner. */
  TRANSACTION_NOT_FOUND: 'not found',
  /** Approve/reject of a transaction that is not AWAITING_APPROVAL. */
  TRANSACTION_NOT_AWAITING_APPROVAL: 'conflict',
  /** Approve/reject of a transaction whose approval expired (EXPIRED, or past its expiry). */
  APPROVAL_EXPIRED: 'conflict',
  /** Cancel of a transaction that is not DELAYED (released, cancelled, or never delayed). */
  TRANSACTION_NOT_DELAYED: 'conflict',
  /** The operator froze the whole service: no transfer is accepted. */
  SERVICE_FROZEN: 'frozen',
  /** The wallet's owner froze everything they own. */
  OWNER_FROZEN: 'frozen',
  /** The owner froze this wallet. */
  WALLET_FROZEN: 'frozen',
  /** The owner froze the requesting agent. */
  AGENT_FROZEN: 'frozen',
  /** The same idempotency key with another request. */
  IDEMPOTENCY_KEY_REUSED: 'conflict',
  /** The same idempotency key while the first request is still being processed. */
  IDEMPOTENCY_REQUEST_IN_PROGRESS: 'conflict',
  /** The amount is not a positive decimal (or exceeds u64). */
  AMOUNT_INVALID: 'client',
  /** The amount has more decimals than the asset. */
  AMOUNT_PRECISION_EXCEEDED: 'client',
  /** The mint does not exist on this cluster, or is not a mint. */
  MINT_NOT_FOUND: 'client',
  /** The recipient is the sending wallet. */
  RECIPIENT_IS_SENDER: 'client',
  /** The recipient is a program, sysvar or executable account. */
  RECIPIENT_IS_PROGRAM: 'client',
  /** A SOL transfer would leave a new recipient account below rent exemption. */
  RECIPIENT_BELOW_RENT_EXEMPTION: 'client',
  /** The sender's balance cannot pay amount + fee (or would be left below rent exemption). */
  INSUFFICIENT_FUNDS: 'client',
  /** The transfer cannot be built as asked (the builder refused it; not an outage). */
  TRANSFER_INVALID: 'client',
  /** The Solana RPC could not be reached (transport error or timeout). */
  RPC_UNAVAILABLE: 'unavailable',
  /** Key custody could not be reached, throttled us, or timed out. */
  CUSTODY_UNAVAILABLE: 'unavailable',
  /** Key custody refused or failed to sign. */
  CUSTODY_SIGNING_FAILED: 'upstream',
} as const;

export type TransferEngineErrorCode = keyof typeof TRANSFER_ENGINE_ERRORS;

/** What a {@link TransferEngineError} carries besides its code. */
export interface TransferEngineErrorDetails {
  issues?: TransferEngineIssue[];
  context?: Record<string, unknown>;
}

/** Field-level detail for client errors (`path` is the request field). */
export interface TransferEngineIssue {
  path: string;
  code: string;
  message: string;
}

/**
 * @example
 * ```ts
 * try { await engine.create(input); }
 * catch (e) { if (isTransferEngineError(e, 'RECIPIENT_IS_PROGRAM')) console.log(e.issues); }
 * ```
 */
export class TransferEngineError extends CodedError<
  Record<TransferEngineErrorCode, TransferEngineErrorDetails>
> {
  override readonly name = 'TransferEngineError';

  constructor(
    code: TransferEngineErrorCode,
    message: string,
    details: TransferEngineErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(code, details, message, options);
  }

  /** The field-level issues and context (the same object as `context`). */
  get details(): TransferEngineErrorDetails {
    return this.context;
  }
}

/**
 * True when `e` is a {@link TransferEngineError} (with the given code, if any).
 *
 * @example
 * ```ts
 * if (isTransferEngineError(e, 'WALLET_NOT_FOUND')) return notFound();
 * ```
 */
export function isTransferEngineError(
  e: unknown,
  code?: TransferEngineErrorCode,
): e is TransferEngineError {
  return e instanceof TransferEngineError && (code === undefined || e.code === code);
}
