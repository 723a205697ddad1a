// The package's one coded error class, after anza-xyz/kit `packages/errors`: a stable string
// code, a typed context per code, and the human message kept apart from the code. Codes are
// part of the public API: never rename one once shipped, only add.

import { CodedError } from '@waiaas/shared';
import type { PolicyIssue } from './issues.js';

/**
 * Why an amount string (or base-unit value) was refused. The same codes appear as
 * `PolicyIssue.code` when a policy limit is malformed.
 *
 * @example
 * ```ts
 * const code: AmountErrorCode = 'AMOUNT_EXPONENT';
 * ```
 */
export type AmountErrorCode =
  | 'AMOUNT_NOT_A_STRING'
  | 'AMOUNT_EMPTY'
  | 'AMOUNT_WHITESPACE'
  | 'AMOUNT_SIGN'
  | 'AMOUNT_EXPONENT'
  | 'AMOUNT_MALFORMED'
  | 'AMOUNT_TOO_MANY_DECIMALS'
  | 'AMOUNT_ZERO'
  | 'AMOUNT_ABOVE_U64_MAX'
  | 'AMOUNT_NEGATIVE';

/**
 * Context carried by each `PolicyEngineError` code.
 *
 * @example
 * ```ts
 * const ctx: PolicyEngineErrorContext['INVALID_DECIMALS'] = { decimals: 256 };
 * ```
 */
export interface PolicyEngineErrorContext extends Record<
  AmountErrorCode,
  { text: string; decimals: number }
> {
  /** `decimals` is not an integer in 0..255. */
  INVALID_DECIMALS: { decimals: unknown };
  /** `assertPolicy` refused its input; `issues` lists every problem found. */
  INVALID_POLICY: { issues: readonly PolicyIssue[] };
  /** A time input is not a valid `Date` or finite epoch-milliseconds number. */
  INVALID_TIME: { value: string };
}

/**
 * Every code a `PolicyEngineError` can carry.
 *
 * @example
 * ```ts
 * const code: PolicyEngineErrorCode = 'INVALID_POLICY';
 * ```
 */
export type PolicyEngineErrorCode = keyof PolicyEngineErrorContext;

/**
 * The one error class thrown by `@waiaas/policy-engine`. `code` is stable; `context` is typed
 * per code; `message` is for humans and may change.
 *
 * @example
 * ```ts
 * try {
 *   parseUiAmount('1e9', 9);
 * } catch (e) {
 *   if (isPolicyEngineError(e, 'AMOUNT_EXPONENT')) console.log(e.context.text);
 * }
 * ```
 */
export class PolicyEngineError<
  TCode extends PolicyEngineErrorCode = PolicyEngineErrorCode,
> extends CodedError<PolicyEngineErrorContext, TCode> {
  override readonly name = 'PolicyEngineError';
}

/**
 * Narrows `e` to a `PolicyEngineError`, optionally of one code (then `context` is typed).
 *
 * @example
 * ```ts
 * if (isPolicyEngineError(e, 'INVALID_POLICY')) {
 *   for (const issue of e.context.issues) console.log(issue.path, issue.code);
 * }
 * ```
 */
export function isPolicyEngineError<TCode extends PolicyEngineErrorCode>(
  e: unknown,
  code?: TCode,
): e is PolicyEngineError<TCode> {
  return e instanceof PolicyEngineError && (code === undefined || e.code === code);
}
