/**
 * `@waiaas/solana-signer` builds Solana transfers (SOL, SPL Token, Token-2022) with
 * `@solana/kit`, signs them through a key custody that never lets keys out (Turnkey, or a
 * local AES-256-GCM keystore in PostgreSQL), and gives kit an RPC client with timeouts and
 * transient-only retries. Flow: `buildTransfer` (needs an RPC for blockhash, mint, fees) →
 * `signTransfer` with a `KeyCustody` → `{ signature, wireBase64, blockhash,
 * lastValidBlockHeight }`, the signature known before anything is sent.
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
export { type MasterKeys, MASTER_KEY_ENV, loadMasterKeys, parseMasterKey } from './master-key.js';
export {
  LocalKeystoreCustody,
  type LocalKeyRecord,
  type LocalKeyStore,
} from './local-keystore.custody.js';
export { type RpcOptions, createRpc, isTransientRpcError } from './rpc.js';
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
export {
  TurnkeyCustody,
  type TurnkeyCustodyConfig,
  TURNKEY_ENV,
  loadTurnkeyConfig,
} from './turnkey.custody.js';
export {
  BASE_FEE_LAMPORTS_PER_SIGNATURE,
  type TransferPlan,
  type TransferShape,
  planTransfer,
} from './plan.js';
export {
  RENT_EXEMPT_MINIMUM_EMPTY_ACCOUNT,
  type RecipientAccount,
  assertRecipientCanReceive,
  isReservedAddress,
} from './recipient.js';
