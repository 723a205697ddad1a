import { isWaiaasProblem, WaiaasApiError } from './errors.js';
import { ROUTES, type RouteName } from './routes.js';
import type {
  Agent,
  AgentKey,
  AgentKeyInput,
  AgentStatus,
  Balance,
  ConsoleSession,
  ConsoleSettings,
  Evaluation,
  Freeze,
  Grant,
  ListTransactionsQuery,
  Owner,
  OwnerStatus,
  Policy,
  PolicyInput,
  ReadinessReport,
  Transaction,
  TransactionPage,
  TransactionStatus,
  TransferInput,
  Wallet,
  WalletSpend,
  Webhook,
  WebhookDelivery,
  WebhookInput,
} from './types.js';

/**
 * Options of {@link WaiaasClient}.
 *
 * @example
 * ```ts
 * const options: WaiaasClientOptions = { baseUrl: 'http://127.0.0.1:3000', apiKey: agentKey, timeoutMs: 10_000 };
 * ```
 */
export interface WaiaasClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000` (no `/v1`). */
  baseUrl: string;
  /** Bearer key: the operator's ADMIN_TOKEN, an owner key or an agent key. */
  apiKey?: string;
  /** Per-request timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** A fetch implementation (default: the global `fetch`). */
  fetch?: typeof fetch;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

/**
 * Per-call options of {@link WaiaasClient.createTransfer}.
 *
 * @example
 * ```ts
 * await agent.createTransfer(walletId, { to, amount: '0.1' }, { idempotencyKey: `invoice-42` });
 * ```
 */
export interface TransferOptions {
  /** The `Idempotency-Key` header; a random UUID when omitted. Reuse it to retry safely. */
  idempotencyKey?: string;
}

/**
 * A transfer's response: the transaction and whether it was an idempotent replay.
 *
 * @example
 * ```ts
 * const { transaction, replayed, idempotencyKey } = await agent.createTransfer(walletId, { to, amount: '0.1' });
 * ```
 */
export interface TransferResult {
  transaction: Transaction;
  /** True when the API replayed the first response for this Idempotency-Key. */
  replayed: boolean;
  /** The Idempotency-Key the request carried (generated when not given). */
  idempotencyKey: string;
}

/**
 * Options of {@link WaiaasClient.waitForTransaction}.
 *
 * @example
 * ```ts
 * await agent.waitForTransaction(id, { until: ['CONFIRMED', 'FAILED'], timeoutMs: 90_000, intervalMs: 300 });
 * ```
 */
export interface WaitOptions {
  /** Statuses that end the wait (default CONFIRMED, FAILED, REJECTED, EXPIRED). */
  until?: readonly TransactionStatus[];
  /** Give up after this many ms (default 60 000). */
  timeoutMs?: number;
  /** Delay between polls in ms (default 500). */
  intervalMs?: number;
}

/** A request ready for fetch. */
interface PreparedRequest {
  method: string;
  url: string;
  /** `METHOD /path` for error messages. */
  name: string;
  headers: Record<string, string>;
  payload: string | undefined;
}

interface RequestSpec {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
}

/** fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, ...). */
function describeCause(e: unknown): string {
  const message = (e as { message?: unknown } | null)?.message;
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof cause?.message === 'string'
        ? cause.message
        : undefined;
  return `${typeof message === 'string' ? message : String(e)}${detail === undefined ? '' : ` (${detail})`}`;
}

const FINAL_STATUSES: readonly TransactionStatus[] = [
  'CONFIRMED',
  'FAILED',
  'REJECTED',
  'EXPIRED',
  'CANCELLED',
];

/**
 * Typed client of the WAIaaS REST API, over `fetch`. One instance holds one
 * key; {@link WaiaasClient.withApiKey} derives a client for another principal. Every failed
 * call throws a {@link WaiaasApiError} carrying the HTTP status, the problem `code` and the
 * problem document.
 *
 * @example
 * ```ts
 * const operator = new WaiaasClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: process.env.ADMIN_TOKEN });
 * const { apiKey: ownerKey } = await operator.createOwner({ email: 'me@example.com' });
 * const owner = operator.withApiKey(ownerKey);
 * const { wallet } = await owner.createWallet({ label: 'treasury' });
 * ```
 */
export class WaiaasClient {
  readonly baseUrl: string;
  private readonly options: WaiaasClientOptions;

  constructor(options: WaiaasClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /**
   * A client for the same API that authenticates with `apiKey`.
   *
   * @example
   * ```ts
   * const agent = operator.withApiKey(agentKey);
   * ```
   */
  withApiKey(apiKey: string): WaiaasClient {
    return new WaiaasClient({ ...this.options, apiKey });
  }

  // ---- owners (operator) ----

  /** Creates an owner (operator token). The owner key is returned once. */
  createOwner(input: { email: string; name?: string }): Promise<{ owner: Owner; apiKey: string }> {
    return this.call('createOwner', { body: input });
  }

  /**
   * Revokes an owner (operator token; final): its key and all its agents' keys are refused at
   * once. Setting the status it already has changes nothing.
   */
  updateOwner(ownerId: string, input: { status: OwnerStatus }): Promise<{ owner: Owner }> {
    return this.call('updateOwner', { params: { id: ownerId }, body: input });
  }

  /** Issues a new key for the calling owner (owner key); the old one stops working at once. */
  rotateOwnerKey(): Promise<{ owner: Owner; apiKey: string }> {
    return this.call('rotateOwnerKey', {});
  }

  /**
   * Freezes everything the calling owner owns (owner key; kill switch): no transfer from any
   * of its wallets until {@link unfreezeOwner}; waiting and unsent transfers are cancelled.
   */
  freezeOwner(): Promise<{ freeze: Freeze }> {
    return this.call('freezeOwner', {});
  }

  /** Lifts the calling owner's own freeze (wallet and agent freezes stay); revives nothing. */
  unfreezeOwner(): Promise<{ freeze: Freeze }> {
    return this.call('unfreezeOwner', {});
  }

  // ---- agents (owner) ----

  /** Creates an agent (owner key). The agent key is returned once. */
  createAgent(input: {
    name: string;
    description?: string;
  }): Promise<{ agent: Agent; apiKey: string }> {
    return this.call('createAgent', { body: input });
  }

  /** Lists the owner's agents. */
  listAgents(): Promise<{ agents: Agent[] }> {
    return this.call('listAgents', {});
  }

  /** Reads one agent. */
  getAgent(agentId: string): Promise<{ agent: Agent }> {
    return this.call('getAgent', { params: { id: agentId } });
  }

  /** Renames an agent or sets its status (SUSPENDED refuses its key at once; REVOKED is final). */
  updateAgent(
    agentId: string,
    input: { name?: string; status?: AgentStatus },
  ): Promise<{ agent: Agent }> {
    return this.call('updateAgent', { params: { id: agentId }, body: input });
  }

  /** Issues a new agent key; the old one stops working at once. */
  rotateAgentKey(agentId: string): Promise<{ agent: Agent; apiKey: string }> {
    return this.call('rotateAgentKey', { params: { id: agentId } });
  }

  /**
   * Freezes an agent (owner key; kill switch): none of its transfers, from any wallet, until
   * {@link unfreezeAgent}; its waiting and unsent transfers are cancelled.
   */
  freezeAgent(agentId: string): Promise<{ freeze: Freeze }> {
    return this.call('freezeAgent', { params: { id: agentId } });
  }

  /** Lifts an agent's own freeze (owner key); revives nothing. */
  unfreezeAgent(agentId: string): Promise<{ freeze: Freeze }> {
    return this.call('unfreezeAgent', { params: { id: agentId } });
  }

  /** Creates a scoped, expiring key for an agent (owner key); `apiKey` is shown only here. */
  createAgentKey(
    agentId: string,
    input: AgentKeyInput,
  ): Promise<{ key: AgentKey; apiKey: string }> {
    return this.call('createAgentKey', { params: { id: agentId }, body: input });
  }

  /** An agent's keys, the primary first (owner key); never a secret. */
  listAgentKeys(agentId: string): Promise<{ keys: AgentKey[] }> {
    return this.call('listAgentKeys', { params: { id: agentId } });
  }

  /** Revokes an agent key (owner key): refused on its next request on every instance. */
  async revokeAgentKey(agentId: string, keyId: string): Promise<void> {
    await this.call('revokeAgentKey', { params: { id: agentId, keyId } });
  }

  // ---- wallets ----

  /** Creates a wallet in custody (owner key). */
  createWallet(input: { label?: string } = {}): Promise<{ wallet: Wallet }> {
    return this.call('createWallet', { body: input });
  }

  /** Lists wallets (an agent sees only wallets granted to it). */
  listWallets(): Promise<{ wallets: Wallet[] }> {
    return this.call('listWallets', {});
  }

  /** Reads one wallet. */
  getWallet(walletId: string): Promise<{ wallet: Wallet }> {
    return this.call('getWallet', { params: { id: walletId } });
  }

  /** Grants an agent access to a wallet (idempotent). */
  grantAgent(walletId: string, agentId: string): Promise<{ grant: Grant }> {
    return this.call('grantAgent', { params: { id: walletId, agentId } });
  }

  /** Revokes an agent's access to a wallet. */
  async revokeAgent(walletId: string, agentId: string): Promise<void> {
    await this.call('revokeAgent', { params: { id: walletId, agentId } });
  }

  /**
   * Freezes a wallet (owner key; kill switch): no transfer leaves it until
   * {@link unfreezeWallet}; its waiting and unsent transfers are cancelled.
   */
  freezeWallet(walletId: string): Promise<{ freeze: Freeze }> {
    return this.call('freezeWallet', { params: { id: walletId } });
  }

  /** Lifts a wallet's own freeze (owner key); revives nothing. */
  unfreezeWallet(walletId: string): Promise<{ freeze: Freeze }> {
    return this.call('unfreezeWallet', { params: { id: walletId } });
  }

  /** SOL and token balances (cached by the API up to 10 s). */
  getBalance(walletId: string): Promise<{ balance: Balance }> {
    return this.call('getBalance', { params: { id: walletId } });
  }

  // ---- policy ----

  /** Sets the wallet's policy (owner key); versioned, takes effect at once. */
  setPolicy(walletId: string, policy: PolicyInput): Promise<{ policy: Policy }> {
    return this.call('setPolicy', { params: { id: walletId }, body: policy });
  }

  /** Reads the wallet's policy. */
  getPolicy(walletId: string): Promise<{ policy: Policy }> {
    return this.call('getPolicy', { params: { id: walletId } });
  }

  // ---- transfers ----

  /**
   * Requests a transfer (agent key). `201` with the transaction `PENDING` (signed) or
   * `AWAITING_APPROVAL`; a policy denial throws `POLICY_DENIED` (403) with `reasons`.
   * Sends an `Idempotency-Key` (a random UUID unless given): retrying with the same key
   * never creates a second transfer.
   *
   * @example
   * ```ts
   * const { transaction } = await agent.createTransfer(walletId, { to, amount: '0.25' });
   * ```
   */
  async createTransfer(
    walletId: string,
    input: TransferInput,
    options: TransferOptions = {},
  ): Promise<TransferResult> {
    // Web Crypto (Node ≥ 19 and browsers), so the client also bundles for the browser.
    const idempotencyKey = options.idempotencyKey ?? globalThis.crypto.randomUUID();
    const { body, headers } = await this.send<{ transaction: Transaction }>('createTransfer', {
      params: { id: walletId },
      body: input,
      headers: { 'idempotency-key': idempotencyKey },
    });
    return {
      transaction: body.transaction,
      replayed: headers.get('idempotent-replayed') === 'true',
      idempotencyKey,
    };
  }

  /** Dry run: the policy decision with every reason; nothing is signed or stored. */
  evaluateTransfer(walletId: string, input: TransferInput): Promise<Evaluation> {
    return this.call('evaluateTransfer', { params: { id: walletId }, body: input });
  }

  // ---- transactions ----

  /** Lists a wallet's transactions, newest first, optionally by status; cursor pagination. */
  listTransactions(walletId: string, query: ListTransactionsQuery = {}): Promise<TransactionPage> {
    return this.call('listTransactions', { params: { id: walletId }, query: { ...query } });
  }

  /** The owner's transactions across all its wallets (e.g. `status: 'AWAITING_APPROVAL'`), newest first. */
  listOwnerTransactions(query: ListTransactionsQuery = {}): Promise<TransactionPage> {
    return this.call('listOwnerTransactions', { query: { ...query } });
  }

  /** What the wallet spent in its policy's daily window against each daily limit, and per UTC day. */
  getWalletSpend(walletId: string, query: { days?: number } = {}): Promise<{ spend: WalletSpend }> {
    return this.call('getWalletSpend', { params: { id: walletId }, query: { ...query } });
  }

  /** Reads one transaction. */
  getTransaction(transactionId: string): Promise<{ transaction: Transaction }> {
    return this.call('getTransaction', { params: { id: transactionId } });
  }

  /** Approves an AWAITING_APPROVAL transfer (owner key): re-evaluated, then signed. */
  approveTransaction(transactionId: string): Promise<{ transaction: Transaction }> {
    return this.call('approveTransaction', { params: { id: transactionId } });
  }

  /** Rejects an AWAITING_APPROVAL transfer (owner key). */
  rejectTransaction(transactionId: string): Promise<{ transaction: Transaction }> {
    return this.call('rejectTransaction', { params: { id: transactionId } });
  }

  /**
   * Cancels a DELAYED transfer before its delay ends (owner key): CANCELLED, never signed.
   * Any other status is refused with `TRANSACTION_NOT_DELAYED` (409).
   *
   * @example
   * ```ts
   * await owner.cancelTransaction(transactionId);
   * ```
   */
  cancelTransaction(transactionId: string): Promise<{ transaction: Transaction }> {
    return this.call('cancelTransaction', { params: { id: transactionId } });
  }

  /**
   * Polls a transaction until its status is one of `until` (default: a final status) and
   * returns it; throws `WAIT_TIMEOUT` after `timeoutMs`.
   *
   * @example
   * ```ts
   * const done = await agent.waitForTransaction(transaction.id, { until: ['CONFIRMED'] });
   * ```
   */
  async waitForTransaction(transactionId: string, options: WaitOptions = {}): Promise<Transaction> {
    const until = options.until ?? FINAL_STATUSES;
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      const { transaction } = await this.getTransaction(transactionId);
      if (until.includes(transaction.status)) return transaction;
      if (Date.now() >= deadline) {
        throw new WaiaasApiError({
          code: 'WAIT_TIMEOUT',
          status: null,
          problem: null,
          request: `GET /v1/transactions/${transactionId}`,
          message: `transaction ${transactionId} is ${transaction.status}, not ${until.join('/')}, after ${options.timeoutMs ?? 60_000} ms`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
    }
  }

  // ---- webhook ----

  /** Sets the owner's webhook; the signing secret is in the response only when just generated. */
  setWebhook(input: WebhookInput): Promise<{ webhook: Webhook; signingSecret?: string }> {
    return this.call('setWebhook', { body: input });
  }

  /** Reads the owner's webhook. */
  getWebhook(): Promise<{ webhook: Webhook }> {
    return this.call('getWebhook', {});
  }

  /** The owner's webhook (null when none is set) and its most recent deliveries, newest first. */
  listWebhookDeliveries(
    query: { limit?: number } = {},
  ): Promise<{ webhook: Webhook | null; deliveries: WebhookDelivery[] }> {
    return this.call('listWebhookDeliveries', { query: { ...query } });
  }

  // ---- owner console (browser sessions) ----

  /**
   * Signs in to the owner console with this client's owner key: the API sets an HttpOnly
   * session cookie (kept by the browser, not by this client) and returns the CSRF token that
   * state-changing requests made with the cookie must carry as `X-CSRF-Token`.
   *
   * @example
   * ```ts
   * const { session } = await new WaiaasClient({ baseUrl: location.origin, apiKey: ownerKey }).createConsoleSession();
   * const browser = new WaiaasClient({ baseUrl: location.origin, headers: { 'x-csrf-token': session.csrfToken } });
   * ```
   */
  createConsoleSession(): Promise<{ session: ConsoleSession }> {
    return this.call('createConsoleSession', {});
  }

  /** The console session of the browser's cookie (after a reload) with its CSRF token; null when none. */
  getConsoleSession(): Promise<{ session: ConsoleSession | null }> {
    return this.call('getConsoleSession', {});
  }

  /** Signs the browser's console session out (deleted server-side; the cookie is cleared). */
  async deleteConsoleSession(): Promise<void> {
    await this.call('deleteConsoleSession', {});
  }

  /** The cluster the API runs against and the explorer link for signatures. */
  getConsoleSettings(): Promise<{ settings: ConsoleSettings }> {
    return this.call('getConsoleSettings', {});
  }

  // ---- operations ----

  /** Operator database health (PostgreSQL, Redis, worker lag). */
  dbHealth(): Promise<Record<string, unknown>> {
    return this.call('dbHealth', {});
  }

  /** Whether the operator has frozen the whole service (operator token). */
  getServiceFreeze(): Promise<{ freeze: Freeze }> {
    return this.call('getServiceFreeze', {});
  }

  /**
   * Freezes the whole service (operator token; kill switch): no transfer of any owner until
   * {@link unfreezeService}; every waiting and unsent transfer is cancelled.
   */
  freezeService(): Promise<{ freeze: Freeze }> {
    return this.call('freezeService', {});
  }

  /** Lifts the service-wide freeze (operator token); owner, wallet and agent freezes stay. */
  unfreezeService(): Promise<{ freeze: Freeze }> {
    return this.call('unfreezeService', {});
  }

  /** Liveness. */
  healthLive(): Promise<{ status: string }> {
    return this.call('healthLive', {});
  }

  /** Readiness: PostgreSQL, Redis (when configured) and the Solana RPC. Not ready (503) throws `UNEXPECTED_RESPONSE` with status 503. */
  healthReady(): Promise<ReadinessReport> {
    return this.call('healthReady', {});
  }

  // ---- transport ----

  private async call<T>(route: RouteName, spec: RequestSpec): Promise<T> {
    return (await this.send<T>(route, spec)).body;
  }

  private async send<T>(
    route: RouteName,
    spec: RequestSpec,
  ): Promise<{ body: T; headers: Headers }> {
    const request = this.prepare(route, spec);
    const { response, text } = await this.exchange(request);
    return { body: readBody<T>(request.name, response, text), headers: response.headers };
  }

  /** The URL, headers and JSON body of a call to `route`. */
  private prepare(route: RouteName, spec: RequestSpec): PreparedRequest {
    const { method, path } = ROUTES[route];
    const resolved = path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = spec.params?.[name];
      if (value === undefined) throw new TypeError(`${route}: missing path parameter "${name}"`);
      return encodeURIComponent(value);
    });
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.query ?? {}))
      if (v !== undefined) search.set(k, String(v));
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      ...this.options.headers,
      ...spec.headers,
    };
    if (this.options.apiKey !== undefined) headers.authorization = `Bearer ${this.options.apiKey}`;
    let payload: string | undefined;
    if (spec.body !== undefined) {
      payload = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    return {
      method,
      url: `${this.baseUrl}${resolved}${search.size > 0 ? `?${search.toString()}` : ''}`,
      name: `${method} ${resolved}`,
      headers,
      payload,
    };
  }

  /** Sends the request under the timeout; a transport failure is `TIMEOUT` or `NETWORK_ERROR`. */
  private async exchange(request: PreparedRequest): Promise<{ response: Response; text: string }> {
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const fetchImpl = this.options.fetch ?? fetch;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetchImpl(request.url, {
        method: request.method,
        headers: request.headers,
        signal,
        ...(request.payload === undefined ? {} : { body: request.payload }),
      });
      return { response, text: await response.text() };
    } catch (e) {
      // The signal, not the error's class: fetch's DOMException may come from another realm.
      const timedOut = signal.aborted;
      throw new WaiaasApiError({
        code: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
        status: null,
        problem: null,
        request: request.name,
        message: timedOut
          ? `${request.name}: no response within ${timeoutMs} ms`
          : `${request.name}: ${describeCause(e)}`,
        cause: e,
      });
    }
  }
}

/**
 * The JSON body of a successful response; a problem document becomes a {@link WaiaasApiError}
 * with its code, any other failure `UNEXPECTED_RESPONSE`, a body that is not JSON `INVALID_RESPONSE`.
 */
function readBody<T>(requestName: string, response: Response, text: string): T {
  let parsed: unknown = undefined;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!response.ok) {
    if (isWaiaasProblem(parsed)) {
      throw new WaiaasApiError({
        code: parsed.code,
        status: response.status,
        problem: parsed,
        request: requestName,
        message: `${requestName}: ${response.status} ${parsed.code}: ${parsed.detail ?? parsed.title}`,
      });
    }
    throw new WaiaasApiError({
      code: 'UNEXPECTED_RESPONSE',
      status: response.status,
      problem: null,
      request: requestName,
      message: `${requestName}: HTTP ${response.status} without a problem document: ${text.slice(0, 200)}`,
    });
  }
  if (parsed === undefined && text !== '') {
    throw new WaiaasApiError({
      code: 'INVALID_RESPONSE',
      status: response.status,
      problem: null,
      request: requestName,
      message: `${requestName}: HTTP ${response.status} with a body that is not JSON`,
    });
  }
  return parsed as T;
}
