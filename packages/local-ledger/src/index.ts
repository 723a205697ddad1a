/**
 * `@waiaas/local-ledger` is a local Solana cluster for development and tests: a JSON-RPC 2.0
 * HTTP server backed by LiteSVM that speaks the subset of the Solana RPC the service uses,
 * with the same result and error shapes as a validator. Slots advance on a clock (or by
 * hand in tests), transactions go processed → confirmed → finalized, blockhashes expire
 * after 150 blocks, a signature never lands twice, and drops, latency and errors can be
 * injected for reliability tests. kit's `createSolanaRpc(url)` works against it unchanged.
 */
export {
  startLocalLedger,
  type FaultOptions,
  type LocalLedger,
  type LocalLedgerOptions,
} from './local-ledger.js';
export {
  LocalLedgerError,
  isLocalLedgerError,
  LOCAL_LEDGER_ERROR_CODES,
  type LocalLedgerErrorCode,
  type LocalLedgerErrorContext,
} from './errors.js';
export { createPrng } from './prng.js';
export { SUPPORTED_METHODS } from './rpc-methods.js';
