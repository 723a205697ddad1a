/**
 * `@waiaas/transfer-engine` owns the lifecycle of a transfer: create (idempotently),
 * evaluate, approve and reject. It plans each transfer once (programs and network fee from
 * `@waiaas/solana-signer`'s `planTransfer`), refuses doomed transfers before anything is
 * stored, reads every chain fact before the wallet lock, and stores on the transaction what a
 * later re-check needs.
 */
export { type AccountState, ChainCache, type ChainCacheOptions } from './chain-cache.js';
export { isRpcOutage } from './classify.js';
export {
  type PreparedTransfer,
  type ResponsePresenter,
  retryOnSignatureCollision,
  TransferEngine,
  type TransferEngineDeps,
  type TransferInput,
} from './engine.js';
export {
  isTransferEngineError,
  TRANSFER_ENGINE_ERRORS,
  TransferEngineError,
  type TransferEngineErrorCode,
  type TransferEngineIssue,
} from './errors.js';
export {
  IDEMPOTENCY_TTL_MS,
  type IdempotencyScope,
  type IdempotentResult,
  type IdempotentWork,
  STALE_IN_PROGRESS_MS,
  type StoredResponse,
  withIdempotency,
} from './idempotency.js';
