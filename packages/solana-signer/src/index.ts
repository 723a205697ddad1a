/**
 * `@waiaas/solana-signer` builds Solana transfers (SOL, SPL Token, Token-2022) with
 * `@solana/kit`, signs them through a key custody that never lets keys out (here the local
 * AES-256-GCM keystore in PostgreSQL; Turnkey from `@waiaas/solana-signer/turnkey`), and gives
 * kit an RPC client with timeouts and transient-only retries. Flow: `buildTransfer` (needs an
 * RPC for blockhash, mint, fees) → `signTransfer` with a `KeyCustody` → `{ signature,
 * wireBase64, blockhash, lastValidBlockHeight }`, the signature known before anything is sent.
 */
export {
  SignerError,
  isSignerError,
  type SignerErrorCode,
  type SignerErrorContext,
} from './errors.js';
export {
  type KeyCustody,
  type CustodyKind,
  type CustodyWallet,
  type CreateWalletOptions,
  type CustodySignerOptions,
  createCustodySigner,
  signWithCustody,
} from './custody.js';
export {
  type MasterKeyOptions,
  type MasterKeys,
  type PreviousMasterKey,
  loadMasterKeys,
  parseMasterKey,
} from './master-key.js';
export {
  LocalKeystoreCustody,
  type LocalKeyRecord,
  type LocalKeyStore,
} from './local-keystore.custody.js';
export { type RpcOptions, createRpc, isTransientRpcError } from './rpc.js';
export { toAddress } from './address-cache.js';
export {
  type MintInfo,
  TOKEN_2022_PROGRAM_ADDRESS,
  TOKEN_PROGRAM_ADDRESS,
  resolveMint,
} from './mint.js';
export {
  type PriorityFeeOption,
  estimatePriorityFee,
  priorityFeeFromSamples,
} from './priority-fee.js';
export {
  type BlockhashLifetime,
  type BuildTransferOptions,
  type BuiltTransfer,
  type SignedTransfer,
  type SolTransferParams,
  type TokenTransferParams,
  type TransferParams,
  type TransferRpc,
  DEFAULT_MEMO_PROGRAM_ADDRESS,
  U64_MAX,
  assertIsTransferAmount,
  buildTransfer,
  defaultComputeUnitLimit,
  signTransfer,
} from './transfer.js';
// Turnkey's settings only: `TurnkeyCustody` (and the Turnkey SDK) is `@waiaas/solana-signer/turnkey`.
export {
  type TurnkeyConfigInput,
  type TurnkeyCustodyConfig,
  loadTurnkeyConfig,
  validateTurnkeyConfig,
} from './turnkey.config.js';
export {
  BASE_FEE_LAMPORTS_PER_SIGNATURE,
  type TransferPlan,
  type TransferShape,
  planTransfer,
} from './plan.js';
export {
  RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT,
  type RecipientAccount,
  type SenderFunds,
  assertRecipientCanReceive,
  assertSenderCanPay,
  isReservedAddress,
} from './recipient.js';
