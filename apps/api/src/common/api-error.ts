/**
 * The API's one coded error class. Every code maps to exactly one HTTP status and a title;
 * codes are part of the public contract (clients switch on them) and are never renamed.
 */

/**
 * Every error code of the API with its HTTP status and title.
 *
 * @example
 * ```ts
 * API_ERRORS.POLICY_DENIED.status; // 403
 * ```
 */
export const API_ERRORS = {
  VALIDATION_FAILED: { status: 400, title: 'The request is invalid' },
  BAD_REQUEST: { status: 400, title: 'The HTTP request is malformed' },
  INVALID_JSON: { status: 400, title: 'The request body is not valid JSON' },
  AMOUNT_INVALID: { status: 400, title: 'The amount is not a valid positive decimal' },
  AMOUNT_PRECISION_EXCEEDED: { status: 400, title: 'The amount has more decimals than the asset' },
  MINT_NOT_FOUND: { status: 400, title: 'The mint does not exist on chain' },
  RECIPIENT_IS_SENDER: { status: 400, title: 'The recipient is the sending wallet' },
  RECIPIENT_IS_PROGRAM: { status: 400, title: 'The recipient is a program or sysvar' },
  RECIPIENT_BELOW_RENT_EXEMPTION: {
    status: 400,
    title: 'The transfer would leave a new recipient account below rent exemption',
  },
  TRANSFER_INVALID: { status: 400, title: 'The transfer cannot be built as requested' },
  POLICY_INVALID: { status: 400, title: 'The policy is invalid' },
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, title: 'The Idempotency-Key header is required' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'The Idempotency-Key header is invalid' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  INVALID_API_KEY: { status: 401, title: 'The API key is not valid' },
  AGENT_REVOKED: { status: 401, title: 'The agent has been revoked' },
  AGENT_KEY_EXPIRED: { status: 401, title: 'The agent key has expired' },
  FORBIDDEN: { status: 403, title: 'This principal may not call this endpoint' },
  AGENT_SUSPENDED: { status: 403, title: 'The agent is suspended' },
  AGENT_KEY_SCOPE: { status: 403, title: 'The agent key lacks the scope this endpoint needs' },
  AGENT_KEY_WALLET: { status: 403, title: 'The agent key is not allowed this wallet' },
  CSRF_REJECTED: { status: 403, title: 'The console request failed its CSRF check' },
  POLICY_DENIED: { status: 403, title: 'The wallet policy denies this transfer' },
  SERVICE_FROZEN: { status: 403, title: 'The operator has frozen the service' },
  OWNER_FROZEN: { status: 403, title: "The wallet's owner has frozen everything they own" },
  WALLET_FROZEN: { status: 403, title: 'The wallet is frozen' },
  AGENT_FROZEN: { status: 403, title: 'The agent is frozen' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such endpoint' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request did not arrive in time' },
  CONFLICT: { status: 409, title: 'The request conflicts with the current state' },
  EMAIL_TAKEN: { status: 409, title: 'An owner with this email exists' },
  AGENT_REVOKED_FINAL: { status: 409, title: 'A revoked agent cannot be changed' },
  OWNER_REVOKED_FINAL: { status: 409, title: 'A revoked owner cannot be changed' },
  TRANSACTION_NOT_AWAITING_APPROVAL: {
    status: 409,
    title: 'The transaction is not awaiting approval',
  },
  APPROVAL_EXPIRED: {
    status: 409,
    title: 'The approval request expired before the owner decided',
  },
  TRANSACTION_NOT_DELAYED: {
    status: 409,
    title: 'The transaction is not delayed (already released, cancelled, or never delayed)',
  },
  IDEMPOTENCY_REQUEST_IN_PROGRESS: {
    status: 409,
    title: 'A request with this Idempotency-Key is in progress',
  },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  URI_TOO_LONG: { status: 414, title: 'The request URI is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json' },
  INSUFFICIENT_FUNDS: {
    status: 422,
    title: "The wallet's balance cannot pay this transfer and its fee",
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'The Idempotency-Key was used with a different request',
  },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  INTERNAL: { status: 500, title: 'Internal server error' },
  CUSTODY_SIGNING_FAILED: { status: 502, title: 'Key custody could not sign' },
  RPC_UNAVAILABLE: { status: 503, title: 'The Solana RPC is unavailable' },
  CUSTODY_UNAVAILABLE: { status: 503, title: 'Key custody is unavailable' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'A dependency is unavailable' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'The database is unavailable' },
  DATABASE_CONFLICT: {
    status: 503,
    title: 'The database cancelled the request to settle a conflict with another',
  },
  SHUTTING_DOWN: { status: 503, title: 'The server is shutting down' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/**
 * The problem codes a route documents (its OpenAPI error responses): checked against
 * {@link API_ERRORS}, so an unknown or misspelt code is a type error, not free text.
 *
 * @example
 * ```ts
 * const problems = ['VALIDATION_FAILED', 'POLICY_DENIED'] as const satisfies ApiProblemCodes;
 * ```
 */
export type ApiProblemCodes = readonly ApiErrorCode[];

/** One field-level problem, as listed in a problem document's `errors`. */
export interface FieldIssue {
  /** JSON pointer-ish dotted path of the offending field (`""` for the body itself). */
  path: string;
  /** Stable machine code (e.g. `isPositive`, `whitelistValidation`, `INVALID_AMOUNT`). */
  code: string;
  message: string;
  /** Every field involved, when an issue is about several at once (contradictory limits). */
  fields?: string[];
}

export interface ApiErrorExtras {
  errors?: FieldIssue[];
  /** Policy reasons (POLICY_DENIED). */
  reasons?: unknown[];
  /** Any further members of the problem document. */
  extensions?: Record<string, unknown>;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
  /** A complete problem document to send verbatim (an idempotent replay of a stored one). */
  document?: Record<string, unknown> & { status: number };
  cause?: unknown;
}

/**
 * A request failed for a known reason.
 *
 * @example
 * ```ts
 * throw new ApiError('NOT_FOUND', 'Wallet not found');
 * ```
 */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ApiErrorCode,
    readonly detail?: string,
    readonly extras: ApiErrorExtras = {},
  ) {
    super(
      detail ?? API_ERRORS[code].title,
      extras.cause === undefined ? undefined : { cause: extras.cause },
    );
    this.name = 'ApiError';
    this.status = API_ERRORS[code].status;
    this.title = API_ERRORS[code].title;
  }
}

/**
 * Narrows `e` to an {@link ApiError}, optionally with a given code.
 *
 * @example
 * ```ts
 * if (isApiError(e, 'NOT_FOUND')) return null;
 * ```
 */
export function isApiError(e: unknown, code?: ApiErrorCode): e is ApiError {
  return e instanceof ApiError && (code === undefined || e.code === code);
}
