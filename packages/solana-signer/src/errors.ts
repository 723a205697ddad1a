import { CodedError } from '@waiaas/shared';

/**
 * The one error class of this package. Every failure a caller can act on carries a stable
 * string code (never renamed once shipped) and a typed context for that code; the message is
 * for humans and may change. Secrets never appear in a message or a context.
 */

/**
 * Context carried by each error code.
 *
 * @example
 * ```ts
 * const ctx: SignerErrorContext['MINT_NOT_FOUND'] = { mint };
 * ```
 */
export interface SignerErrorContext {
  /** The custody backend failed to produce a signature (or produced one that does not verify). */
  CUSTODY_SIGNING_FAILED: { address: string; reason: string };
  /** A keystore row could not be opened: tampered ciphertext, wrong address/AAD or wrong master key. */
  CUSTODY_KEY_DECRYPT_FAILED: { address: string; keyVersion: number };
  /** The custody holds no key for this address. */
  CUSTODY_KEY_NOT_FOUND: { address: string };
  /** A keystore row was sealed with a master key version this process does not hold. */
  CUSTODY_KEY_VERSION_UNKNOWN: { address: string; keyVersion: number };
  /** The custody provider throttled us (HTTP 429 / RESOURCE_EXHAUSTED) and retries ran out. */
  CUSTODY_RATE_LIMITED: { operation: string; attempts: number };
  /** The custody provider could not be reached or answered 5xx, and retries ran out. */
  CUSTODY_UNAVAILABLE: { operation: string; attempts: number; status?: number };
  /** The custody provider refused the request (4xx other than 429, failed/rejected activity). */
  CUSTODY_REJECTED: { operation: string; status?: number; providerCode?: number | string };
  /** The overall deadline for a custody call passed. */
  CUSTODY_TIMEOUT: { operation: string; timeoutMs: number };
  /** The custody provider answered something this package does not understand. */
  CUSTODY_BAD_RESPONSE: { operation: string; reason: string };
  /** Custody configuration (e.g. Turnkey credentials) is missing or malformed. */
  CUSTODY_CONFIG_INVALID: { variable: string; reason: string };
  /** Master key configuration is missing, malformed or weak. */
  MASTER_KEY_INVALID: { variable: string; reason: string };
  /** The mint account does not exist. */
  MINT_NOT_FOUND: { mint: string };
  /** The account exists but is not a mint of SPL Token or Token-2022. */
  MINT_INVALID: { mint: string; owner: string; reason: string };
  /** An amount is not a positive u64. */
  AMOUNT_OUT_OF_RANGE: { amount: string };
  /** Parameters of a build are inconsistent (e.g. decimals given that do not match the mint). */
  INVALID_TRANSFER: { reason: string };
  /** The recipient is the sending wallet. */
  RECIPIENT_IS_SENDER: { recipient: string };
  /** The recipient is a program or sysvar (known address, or an executable account). */
  RECIPIENT_IS_PROGRAM: { recipient: string };
  /** A SOL transfer would leave a new recipient account below the rent-exempt minimum. */
  RECIPIENT_BELOW_RENT_EXEMPTION: { recipient: string; amount: string; minimum: string };
  /**
   * The sender cannot pay the transfer and its fee (`asset` null: SOL, in lamports; else the
   * mint, in its base units). `minimumRemaining`: what a SOL balance must keep if not emptied.
   */
  INSUFFICIENT_FUNDS: {
    address: string;
    asset: string | null;
    balance: string;
    required: string;
    minimumRemaining?: string;
  };
}

/**
 * A stable error code of `@waiaas/solana-signer`.
 *
 * @example
 * ```ts
 * const retriable: SignerErrorCode[] = ['CUSTODY_RATE_LIMITED', 'CUSTODY_UNAVAILABLE', 'CUSTODY_TIMEOUT'];
 * ```
 */
export type SignerErrorCode = keyof SignerErrorContext;

/**
 * The coded error thrown by `@waiaas/solana-signer`.
 *
 * @example
 * ```ts
 * throw new SignerError('MINT_NOT_FOUND', { mint }, `mint ${mint} does not exist`);
 * ```
 */
export class SignerError<C extends SignerErrorCode = SignerErrorCode> extends CodedError<
  SignerErrorContext,
  C
> {
  override readonly name = 'SignerError';

  constructor(
    code: C,
    context: SignerErrorContext[C],
    message?: string,
    options?: { cause?: unknown },
  ) {
    super(code, context, message ?? code, options);
  }
}

/**
 * True when `e` is a {@link SignerError} (with the given code, if any); narrows the context.
 *
 * @example
 * ```ts
 * try { await custody.signMessage(address, bytes); }
 * catch (e) { if (isSignerError(e, 'CUSTODY_RATE_LIMITED')) retryLater(e.context.attempts); }
 * ```
 */
export function isSignerError<C extends SignerErrorCode>(
  e: unknown,
  code?: C,
): e is SignerError<C> {
  return e instanceof SignerError && (code === undefined || e.code === code);
}
