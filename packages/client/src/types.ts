/**
 * Wire types of the WAIaaS REST API, as the API's OpenAPI document describes them.
 * Amounts are decimal strings, never numbers; timestamps are ISO 8601 strings.
 * `test/openapi.test.ts` checks these against the document a running API serves.
 */

/**
 * RFC 9457 problem document: the body of every error response.
 *
 * @example
 * ```ts
 * if (isWaiaasApiError(e)) console.log(e.problem?.code, e.problem?.detail);
 * ```
 */
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
  /**
   * Field-level issues (`VALIDATION_FAILED`, `POLICY_INVALID`, `INVALID_JSON`); `fields` names
   * every field involved when an issue is about several (`CONTRADICTORY_LIMITS`).
   */
  errors?: { path: string; code: string; message: string; fields?: string[] }[];
  /** Policy reasons (`POLICY_DENIED`): every rule that refused, with its figures. */
  reasons?: PolicyReason[];
  /** `TRANSACTION_NOT_DELAYED`: the status the transaction has instead (e.g. PENDING once released). */
  transactionStatus?: string;
  [extension: string]: unknown;
}

/**
 * One reason of a policy decision, e.g. `{ code: 'PER_TX_LIMIT_EXCEEDED', limit: '1000000000', requested: ... }`.
 *
 * @example
 * ```ts
 * e.reasons.filter((r: PolicyReason) => r.code === 'DAILY_LIMIT_EXCEEDED');
 * ```
 */
export interface PolicyReason {
  code: PolicyReasonCode;
  /** The figures of this reason (limit, spent, requested…; amounts in base units). */
  [detail: string]: unknown;
}

/** Every reason code the policy engine reports. */
export type PolicyReasonCode =
  | 'NO_POLICY'
  | 'INVALID_INTENT'
  | 'INVALID_CONTEXT'
  | 'ASSET_NOT_ALLOWED'
  | 'PER_TX_LIMIT_EXCEEDED'
  | 'DAILY_LIMIT_EXCEEDED'
  | 'TOKEN_LIMIT_EXCEEDED'
  | 'RECIPIENT_NOT_ALLOWED'
  | 'PROGRAM_NOT_ALLOWED'
  | 'RATE_LIMITED'
  | 'OUTSIDE_TIME_WINDOW'
  | 'AGENT_KEY_CAP_EXCEEDED'
  | 'APPROVAL_REQUIRED'
  | 'DELAY_REQUIRED';

/**
 * @example
 * ```ts
 * const { owner }: { owner: Owner } = await operator.createOwner({ email: 'ops@example.com' });
 * ```
 */
export interface Owner {
  id: string;
  email: string;
  name: string | null;
  /** REVOKED (by the operator, final): the owner's key and its agents' keys are refused. */
  status: OwnerStatus;
  /** The owner froze everything it owns (kill switch): see {@link Freeze}. */
  frozen: boolean;
  /** When the current freeze began; null when not frozen. */
  frozenAt: string | null;
  createdAt: string;
}

/**
 * @example
 * ```ts
 * await operator.updateOwner(ownerId, { status: 'REVOKED' satisfies OwnerStatus });
 * ```
 */
export type OwnerStatus = 'ACTIVE' | 'REVOKED';

/**
 * @example
 * ```ts
 * await owner.updateAgent(agentId, { status: 'SUSPENDED' satisfies AgentStatus });
 * ```
 */
export type AgentStatus = 'ACTIVE' | 'SUSPENDED' | 'REVOKED';

/**
 * @example
 * ```ts
 * const { agent }: { agent: Agent } = await owner.getAgent(agentId);
 * ```
 */
export interface Agent {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  status: AgentStatus;
  /** Frozen by its owner (kill switch): see {@link Freeze}. */
  frozen: boolean;
  /** When the current freeze began; null when not frozen. */
  frozenAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * What an agent key may do: `read` (wallets, balances, policies, transactions), `evaluate`
 * (transfer dry runs), `transfer` (anything that moves money).
 *
 * @example
 * ```ts
 * const scopes: AgentKeyScope[] = ['read', 'evaluate'];
 * ```
 */
export type AgentKeyScope = 'read' | 'evaluate' | 'transfer';

/**
 * One of an agent's keys, as its owner sees it (never the secret or its hash).
 *
 * @example
 * ```ts
 * const { keys }: { keys: AgentKey[] } = await owner.listAgentKeys(agentId);
 * ```
 */
export interface AgentKey {
  id: string;
  agentId: string;
  name: string;
  scopes: AgentKeyScope[];
  /** The wallets the key is limited to; null: every wallet granted to the agent. */
  walletIds: string[] | null;
  /** The key issued with the agent or by rotateAgentKey (every scope, no expiry). */
  primary: boolean;
  status: 'ACTIVE' | 'EXPIRED' | 'REVOKED';
  expiresAt: string | null;
  revokedAt: string | null;
  /** To the minute: written at most once a minute per key, after the request. */
  lastUsedAt: string | null;
  /** SOL (decimal string) the key's transfers may cost in a rolling 24 hours; null: no cap of its own. */
  dailyCap: string | null;
  createdAt: string;
}

/**
 * @example
 * ```ts
 * await owner.createAgentKey(agentId, {
 *   name: 'reporting',
 *   scopes: ['read'],
 *   expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
 * });
 * ```
 */
export interface AgentKeyInput {
  name: string;
  scopes: AgentKeyScope[];
  /** Limit the key to these wallets; omitted: every wallet granted to the agent. */
  walletIds?: string[];
  /** Required: an ISO date-time in the future, at most 365 days ahead. */
  expiresAt: string;
  /**
   * SOL (decimal string): the most the key's transfers may cost (amounts + fees) in a rolling
   * 24 hours, across its wallets; the wallets' policies still apply (the stricter wins).
   */
  dailyCap?: string;
}

/**
 * @example
 * ```ts
 * const { wallet }: { wallet: Wallet } = await owner.createWallet({ label: 'treasury' });
 * ```
 */
export interface Wallet {
  id: string;
  /** Solana address (base58). */
  address: string;
  ownerId: string;
  custody: 'TURNKEY' | 'LOCAL';
  label: string | null;
  /** Agents granted access (owners only). */
  agentIds?: string[];
  /** Frozen by its owner (kill switch): see {@link Freeze}. */
  frozen: boolean;
  /** When the current freeze began; null when not frozen. */
  frozenAt: string | null;
  createdAt: string;
}

/**
 * What a freeze applies to: the whole service (operator), everything an owner owns, one
 * wallet, or one agent. A transfer refused by a freeze is a 403 with the widest scope's code:
 * `SERVICE_FROZEN`, `OWNER_FROZEN`, `WALLET_FROZEN` or `AGENT_FROZEN`.
 *
 * @example
 * ```ts
 * const scope: FreezeScope = 'WALLET';
 * ```
 */
export type FreezeScope = 'SERVICE' | 'OWNER' | 'WALLET' | 'AGENT';

/**
 * A scope's freeze state after a freeze or unfreeze (kill switch). A freeze cancels the
 * scope's AWAITING_APPROVAL, DELAYED and PENDING transfers (listed here; never broadcast);
 * SUBMITTED ones are followed to their end but not rebroadcast. Unfreezing revives nothing.
 *
 * @example
 * ```ts
 * const { freeze }: { freeze: Freeze } = await owner.freezeWallet(walletId);
 * console.log(freeze.frozenAt, freeze.cancelledTransactionIds.length);
 * ```
 */
export interface Freeze {
  scope: FreezeScope;
  frozen: boolean;
  /** When the current freeze began (a repeated freeze keeps it); null when not frozen. */
  frozenAt: string | null;
  /** False when the scope already was in the asked state (nothing recorded). */
  changed: boolean;
  /** The transfers this call cancelled (empty for an unfreeze). */
  cancelledTransactionIds: string[];
}

/**
 * @example
 * ```ts
 * const { grant }: { grant: Grant } = await owner.grantAgent(walletId, agentId);
 * ```
 */
export interface Grant {
  walletId: string;
  agentId: string;
  grantedAt: string;
}

/**
 * @example
 * ```ts
 * const usdc = balance.tokens.find((t: TokenBalance) => t.mint === USDC_MINT)?.uiAmount;
 * ```
 */
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

/**
 * @example
 * ```ts
 * const { balance }: { balance: Balance } = await agent.getBalance(walletId); // balance.sol === '1.5'
 * ```
 */
export interface Balance {
  address: string;
  /** Lamports, decimal string. */
  lamports: string;
  /** SOL, decimal string. */
  sol: string;
  tokens: TokenBalance[];
  fetchedAt: string;
}

/**
 * @example
 * ```ts
 * const limit: TokenLimit = { perTx: '100', daily: '1000', decimals: 6 };
 * ```
 */
export interface TokenLimit {
  perTx?: string;
  daily?: string;
  decimals: number;
}

/**
 * @example
 * ```ts
 * const metadata: PolicyMetadata = { approvalThreshold: '0.5', maxTxPerHour: 60 };
 * ```
 */
export interface PolicyMetadata {
  tokenLimits?: Record<string, TokenLimit>;
  allowedPrograms?: string[];
  /** With `requiresApproval`: only SOL transfers above this (SOL, decimal string) need approval. */
  approvalThreshold?: string;
  maxTxPerHour?: number;
  dailyWindow?: 'ROLLING_24H' | 'UTC_DAY';
  /** Transfers only inside these days and hours (denied outside with `OUTSIDE_TIME_WINDOW` and its `nextOpening`). */
  timeWindow?: TimeWindow;
  /**
   * SOL (decimal string): transfers costing more (amount + fee) wait `delaySeconds` as DELAYED,
   * cancellable by the owner, then are judged again and signed. Set with `delaySeconds`.
   */
  delayThreshold?: string;
  /** The delay in whole seconds (1..604800). Set with `delayThreshold`. */
  delaySeconds?: number;
}

/**
 * When transfers are allowed: local days and hours of an IANA time zone (daylight saving time
 * followed). A range with `to` before `from` runs overnight into the next day; `to` may be `24:00`.
 *
 * @example
 * ```ts
 * const office: TimeWindow = { timeZone: 'Europe/Berlin', ranges: [{ days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], from: '09:00', to: '17:00' }] };
 * ```
 */
export interface TimeWindow {
  timeZone: string;
  ranges: { days: Weekday[]; from: string; to: string }[];
}

/** A day of the week as time windows name it. */
export type Weekday = 'MON' | 'TUE' | 'WED' | 'THU' | 'FRI' | 'SAT' | 'SUN';

/**
 * Body of `PUT /v1/wallets/:id/policy`. Limits are SOL decimal strings.
 *
 * @example
 * ```ts
 * await owner.setPolicy(walletId, { perTxLimit: '1', dailyLimit: '5' } satisfies PolicyInput);
 * ```
 */
export interface PolicyInput {
  perTxLimit: string;
  dailyLimit: string;
  allowedAssets?: string[];
  allowedAddresses?: string[];
  requiresApproval?: boolean;
  metadata?: PolicyMetadata;
}

/**
 * @example
 * ```ts
 * const { policy }: { policy: Policy } = await agent.getPolicy(walletId); // policy.version
 * ```
 */
export interface Policy extends PolicyInput {
  walletId: string;
  version: number;
  updatedAt: string;
}

/**
 * Body of `POST /v1/wallets/:id/transfers` (and `.../evaluate`).
 *
 * @example
 * ```ts
 * const input: TransferInput = { to: recipient, amount: '0.25', memo: 'invoice 42' };
 * ```
 */
export interface TransferInput {
  /** Recipient address (for tokens: the owner of the destination token account). */
  to: string;
  /** UI units as a decimal string (`"0.25"` SOL). */
  amount: string;
  /** SPL mint; omitted for SOL. */
  mint?: string;
  memo?: string;
}

/**
 * @example
 * ```ts
 * const ok = (await agent.evaluateTransfer(walletId, input)).decision.outcome === ('ALLOW' satisfies PolicyOutcome);
 * ```
 */
/** Why a transfer is FAILED. */
export type TransactionFailureReason =
  'EXPIRED' | 'ON_CHAIN_ERROR' | 'POLICY' | 'CUSTODY' | 'RPC_REJECTED';

export type PolicyOutcome = 'ALLOW' | 'DENY' | 'REQUIRE_APPROVAL';

/**
 * @example
 * ```ts
 * const decision: PolicyDecision = (await agent.evaluateTransfer(walletId, input)).decision;
 * ```
 */
export interface PolicyDecision {
  outcome: PolicyOutcome;
  reasons: PolicyReason[];
}

/**
 * @example
 * ```ts
 * const evaluation: Evaluation = await agent.evaluateTransfer(walletId, { to, amount: '2' });
 * ```
 */
export interface Evaluation {
  decision: PolicyDecision;
  asset: string | null;
  amountBaseUnits: string;
  decimals: number;
}

/**
 * @example
 * ```ts
 * await agent.listTransactions(walletId, { status: 'AWAITING_APPROVAL' satisfies TransactionStatus });
 * ```
 */
export type TransactionStatus =
  | 'AWAITING_APPROVAL'
  | 'DELAYED'
  | 'PENDING'
  | 'SUBMITTED'
  | 'CONFIRMED'
  | 'FAILED'
  | 'REJECTED'
  | 'EXPIRED'
  | 'CANCELLED';

/**
 * @example
 * ```ts
 * const { transaction }: { transaction: Transaction } = await agent.getTransaction(id);
 * ```
 */
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
  /** Why a FAILED transfer failed; null otherwise. */
  failureReason: TransactionFailureReason | null;
  error: string | null;
  lastValidBlockHeight: string | null;
  submitAttempts: number;
  slot: string | null;
  fee: string | null;
  /** Network fee in lamports (decimal string), known when the transfer was planned; counts toward the SOL limits. */
  networkFee: string;
  policy: PolicyDecision & { version: number | null };
  idempotencyKey: string | null;
  createdAt: string;
  submittedAt: string | null;
  confirmedAt: string | null;
  /** When the owner approved or rejected it, or when it expired. */
  decidedAt: string | null;
  /** AWAITING_APPROVAL transfers: the owner must decide before this, or it becomes EXPIRED. */
  expiresAt: string | null;
  /** DELAYED transfers: when the delay ends (then judged again and signed, or FAILED/POLICY). */
  dueAt: string | null;
  /** The agent key that requested it. */
  agentKeyId: string | null;
}

/**
 * @example
 * ```ts
 * const page: TransactionPage = await owner.listTransactions(walletId, { limit: 20 });
 * ```
 */
export interface TransactionPage {
  transactions: Transaction[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * @example
 * ```ts
 * const next = await owner.listTransactions(walletId, { cursor: page.nextCursor ?? undefined } satisfies ListTransactionsQuery);
 * ```
 */
export interface ListTransactionsQuery {
  status?: TransactionStatus;
  /** 1..100, default 50. */
  limit?: number;
  cursor?: string;
}

/**
 * @example
 * ```ts
 * const { signingSecret } = await owner.setWebhook({ url: 'https://example.com/hooks' } satisfies WebhookInput);
 * ```
 */
export interface WebhookInput {
  url: string;
  enabled?: boolean;
  /** Generate a new signing secret (returned once). */
  rotateSecret?: boolean;
}

/**
 * @example
 * ```ts
 * const { webhook }: { webhook: Webhook } = await owner.getWebhook();
 * ```
 */
export interface Webhook {
  id: string;
  url: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/**
 * @example
 * ```ts
 * const report: ReadinessReport = await client.healthReady(); // report.checks.database.ok
 * ```
 */
export interface ReadinessReport {
  status: string;
  checks: Record<string, { ok: boolean; [detail: string]: unknown }>;
}

/**
 * What a wallet has spent in one asset: in its policy's daily window (with the limit), or on
 * one UTC day (`dailyLimit` null).
 *
 * @example
 * ```ts
 * const sol: AssetSpend = spend.assets[0]; // { asset: null, spent: '0.85', dailyLimit: '3', ... }
 * ```
 */
export interface AssetSpend {
  /** Mint; null for SOL. */
  asset: string | null;
  decimals: number;
  /** UI units. */
  spent: string;
  spentBaseUnits: string;
  /** Transactions counted. */
  count: number;
  /** The policy's daily limit for the asset, UI units; null when there is none. */
  dailyLimit: string | null;
}

/**
 * @example
 * ```ts
 * const today: DaySpend = spend.days[spend.days.length - 1];
 * ```
 */
export interface DaySpend {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  /** SOL first. */
  assets: AssetSpend[];
}

/**
 * A wallet's spend against its daily limits (every transfer not FAILED, REJECTED or EXPIRED counts).
 *
 * @example
 * ```ts
 * const { spend }: { spend: WalletSpend } = await owner.getWalletSpend(walletId, { days: 7 });
 * ```
 */
export interface WalletSpend {
  walletId: string;
  window: 'ROLLING_24H' | 'UTC_DAY';
  windowStart: string;
  asOf: string;
  /** False: the wallet has no policy, so it cannot send anything. */
  hasPolicy: boolean;
  /** SOL first, then every mint spent or limited. */
  assets: AssetSpend[];
  /** One entry per UTC day, oldest first, zero-filled. */
  days: DaySpend[];
}

/**
 * @example
 * ```ts
 * const { deliveries } = await owner.listWebhookDeliveries({ limit: 10 });
 * const failed = deliveries.filter((d: WebhookDelivery) => d.status === 'FAILED');
 * ```
 */
export interface WebhookDelivery {
  id: string;
  /** Audit event id, decimal string. */
  eventId: string;
  eventType: string;
  transactionId: string | null;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  nextAttemptAt: string;
  createdAt: string;
}

/**
 * An owner console session (the session itself is an HttpOnly cookie the client never sees).
 *
 * @example
 * ```ts
 * const { session }: { session: ConsoleSession } = await browserClient.getConsoleSession();
 * ```
 */
export interface ConsoleSession {
  ownerId: string;
  expiresAt: string;
  /** Send as `X-CSRF-Token` on every state-changing console request. */
  csrfToken: string;
}

/**
 * @example
 * ```ts
 * const { settings }: { settings: ConsoleSettings } = await owner.getConsoleSettings();
 * const link = settings.explorerTxUrl?.replace('{signature}', signature);
 * ```
 */
export interface ConsoleSettings {
  cluster: 'mainnet-beta' | 'devnet' | 'testnet' | 'localnet' | 'unknown';
  /** Explorer link with `{signature}` to replace; null when the cluster is unknown. */
  explorerTxUrl: string | null;
  sessionTtlMinutes: number;
}
