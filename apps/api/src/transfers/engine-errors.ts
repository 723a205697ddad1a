import { isTransferEngineError, type TransferEngineErrorCode } from '@waiaas/transfer-engine';
import { ApiError, type ApiErrorCode } from '../common/api-error.js';

/** Each engine code as the API's (most are the same name; not-found cases are one NOT_FOUND). */
const API_CODE: Record<TransferEngineErrorCode, ApiErrorCode> = {
  WALLET_NOT_FOUND: 'NOT_FOUND',
  TRANSACTION_NOT_FOUND: 'NOT_FOUND',
  TRANSACTION_NOT_AWAITING_APPROVAL: 'TRANSACTION_NOT_AWAITING_APPROVAL',
  APPROVAL_EXPIRED: 'APPROVAL_EXPIRED',
  TRANSACTION_NOT_DELAYED: 'TRANSACTION_NOT_DELAYED',
  SERVICE_FROZEN: 'SERVICE_FROZEN',
  OWNER_FROZEN: 'OWNER_FROZEN',
  WALLET_FROZEN: 'WALLET_FROZEN',
  AGENT_FROZEN: 'AGENT_FROZEN',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  IDEMPOTENCY_REQUEST_IN_PROGRESS: 'IDEMPOTENCY_REQUEST_IN_PROGRESS',
  AMOUNT_INVALID: 'AMOUNT_INVALID',
  AMOUNT_PRECISION_EXCEEDED: 'AMOUNT_PRECISION_EXCEEDED',
  MINT_NOT_FOUND: 'MINT_NOT_FOUND',
  RECIPIENT_IS_SENDER: 'RECIPIENT_IS_SENDER',
  RECIPIENT_IS_PROGRAM: 'RECIPIENT_IS_PROGRAM',
  RECIPIENT_BELOW_RENT_EXEMPTION: 'RECIPIENT_BELOW_RENT_EXEMPTION',
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  TRANSFER_INVALID: 'TRANSFER_INVALID',
  RPC_UNAVAILABLE: 'RPC_UNAVAILABLE',
  CUSTODY_UNAVAILABLE: 'CUSTODY_UNAVAILABLE',
  CUSTODY_SIGNING_FAILED: 'CUSTODY_SIGNING_FAILED',
};

/** An engine error as the API's coded error; anything else unchanged (a 500, logged). */
export function toApiError(e: unknown): unknown {
  if (!isTransferEngineError(e)) return e;
  const code = API_CODE[e.code];
  return new ApiError(code, e.message, {
    ...(e.details.issues ? { errors: e.details.issues } : {}),
    // INSUFFICIENT_FUNDS: the figures (`funds`: asset, balance, required, minimumRemaining).
    ...(code === 'INSUFFICIENT_FUNDS' && e.details.context
      ? { extensions: { funds: e.details.context } }
      : {}),
    // Which status the transfer has instead (a cancel that lost to its release sees PENDING).
    ...(code === 'TRANSACTION_NOT_DELAYED' && typeof e.details.context?.status === 'string'
      ? { extensions: { transactionStatus: e.details.context.status } }
      : {}),
    ...(code === 'IDEMPOTENCY_REQUEST_IN_PROGRESS' ? { headers: { 'retry-after': '1' } } : {}),
    cause: e.cause ?? e,
  });
}
