import type { AmountErrorCode } from './errors.js';

/**
 * Stable codes for a problem `parsePolicy` found in its input. Never renamed once shipped.
 *
 * - `INVALID_TYPE`: the value has the wrong JSON type (e.g. a number where a decimal string is required).
 * - `REQUIRED`: a required key is missing.
 * - `UNKNOWN_KEY`: a key the policy format does not define (a typo must never silently disable a rule).
 * - `AMOUNT_*`: a limit string is malformed (same codes as `parseUiAmount`/`parseLimit`).
 * - `INVALID_ADDRESS`: not a base58 Solana address.
 * - `DUPLICATE_ADDRESS`: the same address appears twice in one list.
 * - `EMPTY_ALLOWLIST`: `metadata.allowedPrograms` is `[]` (ambiguous: omit the key for "no restriction").
 * - `TOKEN_LIMIT_ASSET_NOT_ALLOWED`: `metadata.tokenLimits` names a mint missing from `allowedAssets`.
 * - `TOKEN_LIMIT_EMPTY`: a `tokenLimits` entry has neither `perTx` nor `daily`.
 * - `INVALID_DECIMALS`: `decimals` is not an integer in 0..255.
 * - `INVALID_INTEGER`: not a non-negative safe integer (`maxTxPerHour`).
 * - `INVALID_ENUM`: not one of the allowed values (`dailyWindow`).
 * - `INVALID_TIME_ZONE`: `metadata.timeWindow.timeZone` is not an IANA zone the runtime knows (fixed offsets are refused too).
 * - `INVALID_TIME_OF_DAY`: a range's `from`/`to` is not `HH:MM` (24-hour; `to` may be `24:00`).
 * - `INVALID_WEEKDAY`: a day is not one of `MON`…`SUN`.
 * - `DUPLICATE_WEEKDAY`: the same day twice in one range.
 * - `EMPTY_TIME_RANGE`: a range's `from` equals its `to`.
 * - `EMPTY_LIST`: `timeWindow.ranges` or a range's `days` is `[]`.
 * - `TOO_MANY_ITEMS`: more than 50 ranges.
 * - `APPROVAL_THRESHOLD_WITHOUT_APPROVAL`: `approvalThreshold` is set but `requiresApproval` is not `true`.
 * - `DELAY_INCOMPLETE`: one of `delayThreshold` / `delaySeconds` is set without the other.
 *
 * @example
 * ```ts
 * const code: PolicyIssueCode = 'UNKNOWN_KEY';
 * ```
 */
export type PolicyIssueCode =
  | 'INVALID_TYPE'
  | 'REQUIRED'
  | 'UNKNOWN_KEY'
  | Exclude<AmountErrorCode, 'AMOUNT_NEGATIVE'>
  | 'INVALID_ADDRESS'
  | 'DUPLICATE_ADDRESS'
  | 'EMPTY_ALLOWLIST'
  | 'TOKEN_LIMIT_ASSET_NOT_ALLOWED'
  | 'TOKEN_LIMIT_EMPTY'
  | 'INVALID_DECIMALS'
  | 'INVALID_INTEGER'
  | 'INVALID_ENUM'
  | 'APPROVAL_THRESHOLD_WITHOUT_APPROVAL'
  | 'INVALID_TIME_ZONE'
  | 'INVALID_TIME_OF_DAY'
  | 'INVALID_WEEKDAY'
  | 'DUPLICATE_WEEKDAY'
  | 'EMPTY_TIME_RANGE'
  | 'EMPTY_LIST'
  | 'TOO_MANY_ITEMS'
  | 'DELAY_INCOMPLETE';

/**
 * One problem found by `parsePolicy`. `path` is dotted from the input's root
 * (`dailyLimit`, `allowedAddresses[2]`, `metadata.tokenLimits.<mint>.perTx`); `""` is the root.
 *
 * @example
 * ```ts
 * const issue: PolicyIssue = { path: 'metadata.maxTxPerHr', code: 'UNKNOWN_KEY', message: 'unknown key "maxTxPerHr"' };
 * ```
 */
export interface PolicyIssue {
  readonly path: string;
  readonly code: PolicyIssueCode;
  readonly message: string;
}
