import type { WaiaasProblem } from './types.js';

/**
 * Codes the client raises itself, when no problem document came back. Every other code is
 * the `code` of the API's problem document (`POLICY_DENIED`, `NOT_FOUND`, ...).
 *
 * @example
 * ```ts
 * if (isWaiaasApiError(e, 'NETWORK_ERROR' satisfies WaiaasClientErrorCode)) await retryLater();
 * ```
 */
export type WaiaasClientErrorCode =
  /** The request never got an HTTP response (connection refused, DNS, reset). */
  | 'NETWORK_ERROR'
  /** No response within `timeoutMs`. */
  | 'TIMEOUT'
  /** An error status without a problem document (a proxy's HTML page, ...). */
  | 'UNEXPECTED_RESPONSE'
  /** A success status whose body is not the JSON the route returns. */
  | 'INVALID_RESPONSE'
  /** `waitForTransaction` gave up before the transaction reached a wanted status. */
  | 'WAIT_TIMEOUT';

/**
 * Every failure of a {@link WaiaasClient} call. `code` is the API's stable problem code
 * (or a {@link WaiaasClientErrorCode}); `status` the HTTP status (null when there was no
 * response); `problem` the full RFC 9457 document (with `reasons` for policy denials).
 *
 * @example
 * ```ts
 * try {
 *   await agent.createTransfer(walletId, { to, amount: '50' });
 * } catch (e) {
 *   if (isWaiaasApiError(e, 'POLICY_DENIED')) console.log(e.reasons.map((r) => r.code));
 *   else throw e;
 * }
 * ```
 */
export class WaiaasApiError extends Error {
  override readonly name = 'WaiaasApiError';
  /** The API's problem `code`, or a client-side {@link WaiaasClientErrorCode}. */
  readonly code: string;
  /** HTTP status, or null when no response arrived. */
  readonly status: number | null;
  /** The problem document, when the API sent one. */
  readonly problem: WaiaasProblem | null;
  /** `METHOD path` of the failed call. */
  readonly request: string;

  constructor(init: {
    code: string;
    status: number | null;
    problem: WaiaasProblem | null;
    request: string;
    message: string;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.problem = init.problem;
    this.request = init.request;
  }

  /** Policy reasons of a `POLICY_DENIED` problem (empty otherwise). */
  get reasons(): NonNullable<WaiaasProblem['reasons']> {
    return this.problem?.reasons ?? [];
  }
}

/**
 * Narrows `e` to a {@link WaiaasApiError}, optionally with the given `code`.
 *
 * @example
 * ```ts
 * if (isWaiaasApiError(e, 'NOT_FOUND')) return null;
 * ```
 */
export function isWaiaasApiError(e: unknown, code?: string): e is WaiaasApiError {
  return e instanceof WaiaasApiError && (code === undefined || e.code === code);
}

/**
 * True when `body` has the shape of an RFC 9457 problem document with a `code`.
 *
 * @example
 * ```ts
 * isWaiaasProblem({ type: 'about:blank', title: 'x', status: 404, code: 'NOT_FOUND' }); // true
 * ```
 */
export function isWaiaasProblem(body: unknown): body is WaiaasProblem {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.code === 'string' && typeof b.status === 'number' && typeof b.title === 'string';
}
