/**
 * Wire types of the WAIaaS REST API (SPEC §5), as the API's OpenAPI document describes them.
 * Amounts are decimal strings, never numbers; timestamps are ISO 8601 strings.
 * `test/openapi.test.ts` checks these against the document a running API serves.
 */

/** RFC 9457 problem document: the body of every error response. */
export interface WaiaasProblem {
  type: string;
  title: string;
  status: number;
  /** Stable machine-readable code (e.g. `POLICY_DENIED`, `NOT_FOUND`); never renamed. */
  code: string;
  detail: string;
  instance: string;
  /** Correlation id (also the `x-request-id` response header). */
  requestId: string;
  /** Field-level validation issues (`VALIDATION_FAILED`). */
  errors?: { path: string; code: string; message: string }[];
  /** Policy reasons (`POLICY_DENIED`): every rule that refused, with its figures. */
  reasons?: PolicyReason[];
  [extension: string]: unknown;
}

/** One reason of a policy decision, e.g. `{ code: 'PER_TX_LIMIT_EXCEEDED', limit: '1000000000', requested: ... }`. */
export interface PolicyReason {
  code: string;
  message?: string;
  [detail: string]: unknown;
}

export interface Owner {
  id: string;
  email: string;
  name: string | null;
  createdAt: string;
}

export type AgentStatus = 'ACTIVE' | 'SUSPENDED' | 'REVOKED';

export interface Agent {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  status: AgentStatus;
  createdAt: string;
  updatedAt: string;
}

export interface Wallet {
  id: string;
  /** Solana address (base58). */
  address: string;
  ownerId: string;
  custody: 'TURNKEY' | 'LOCAL';
  label: string | null;
  /** Agents granted access (owners only). */
  agentIds?: string[];
  createdAt: string;
}

export interface Grant {
  walletId: string;
  agentId: string;
  grantedAt: string;
}

export interface TokenBalance {
  mint: string;
  programId: string;
  account: string;
  /** Base units, decimal string. */
  amount: string;
  decimals: number;
  /** UI units, decimal string. */
  uiAmount: string;
}

export interface Balance {
  address: string;
  /** Lamports, decimal string. */
  lamports: string;
  /** SOL, decimal string. */
  sol: string;
  tokens: TokenBalance[];
  fetchedAt: string;
}

export interface TokenLimit {
  perTx?: string;
  daily?: string;
  decimals: number;
}

export interface PolicyMetadata {
  tokenLimits?: Record<string, TokenLimit>;
  allowedPrograms?: string[];
  /** With `requiresApproval`: only SOL transfers above this (SOL, decimal string) need approval. */
  approvalThreshold?: string;
  maxTxPerHour?: number;
  dailyWindow?: 'ROLLING_24H' | 'UTC_DAY';
}

/** Body of `PUT /v1/wallets/:id/policy`. Limits are SOL decimal strings. */
export interface PolicyInput {
  perTxLimit: string;
  dailyLimit: string;
  allowedAssets?: string[];
  allowedAddresses?: string[];
  requiresApproval?: boolean;
  metadata?: PolicyMetadata;
}

export interface Policy extends PolicyInput {
  walletId: string;
  version: number;
  updatedAt: string;
}

/** Body of `POST /v1/wallets/:id/transfers` (and `.../evaluate`). */
export interface TransferInput {
  /** Recipient address (for tokens: the owner of the destination token account). */
  to: string;
  /** UI units as a decimal string (`"0.25"` SOL). */
  amount: string;
  /** SPL mint; omitted for SOL. */
  mint?: string;
  memo?: string;
}

export type PolicyOutcome = 'ALLOW' | 'DENY' | 'REQUIRE_APPROVAL';

export interface PolicyDecision {
  outcome: PolicyOutcome;
  reasons: PolicyReason[];
}

export interface Evaluation {
  decision: PolicyDecision;
  asset: string | null;
  amountBaseUnits: string;
  decimals: number;
}

export type TransactionStatus = 'AWAITING_APPROVAL' | 'PENDING' | 'SUBMITTED' | 'CONFIRMED' | 'FAILED' | 'REJECTED';

export interface Transaction {
  id: string;
  walletId: string;
  agentId: string | null;
  status: TransactionStatus;
  type: string;
  /** Mint; null for SOL. */
  asset: string | null;
  /** UI units. */
  amount: string;
  amountBaseUnits: string;
  decimals: number;
  destination: string;
  memo: string | null;
  signature: string | null;
  failureReason: string | null;
  error: string | null;
  lastValidBlockHeight: string | null;
  submitAttempts: number;
  slot: string | null;
  fee: string | null;
  policy: PolicyDecision & { version: number | null };
  idempotencyKey: string | null;
  createdAt: string;
  submittedAt: string | null;
  confirmedAt: string | null;
  decidedAt: string | null;
}

export interface TransactionPage {
  transactions: Transaction[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface ListTransactionsQuery {
  status?: TransactionStatus;
  /** 1..100, default 50. */
  limit?: number;
  cursor?: string;
}

export interface WebhookInput {
  url: string;
  enabled?: boolean;
  /** Generate a new signing secret (returned once). */
  rotateSecret?: boolean;
}

export interface Webhook {
  id: string;
  url: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ReadinessReport {
  status: string;
  checks: Record<string, { ok: boolean; [detail: string]: unknown }>;
}
