/**
 * `@waiaas/policy-engine` decides whether a wallet may make a transfer. `parsePolicy` validates
 * and normalises a policy as written (REST body or `wallet_policies` row) into a `Policy` with
 * exact bigint limits and precomputed lookup sets, rejecting anything it does not understand
 * with stable issue codes; `evaluate` judges a `TransferIntent` against that policy and the
 * spend already counted in the window, returning `ALLOW`, `DENY` or `REQUIRE_APPROVAL` with
 * every applicable reason. It is pure and deterministic: no I/O, no clock reads (time is an
 * input, and `windowStart` tells the caller which spend to sum). Amount helpers convert
 * between UI decimal strings and bigint base units exactly.
 *
 * @packageDocumentation
 */

export {
  type AmountErrorCode,
  isPolicyEngineError,
  PolicyEngineError,
  type PolicyEngineErrorCode,
  type PolicyEngineErrorContext,
} from './errors.js';
export type { PolicyIssue, PolicyIssueCode } from './issues.js';
export {
  formatSol,
  formatUiAmount,
  isUiAmount,
  LAMPORTS_PER_SOL,
  type Lamports,
  lamports,
  parseLimit,
  parseSol,
  parseUiAmount,
  SOL_DECIMALS,
  U64_MAX,
} from './amount.js';
export {
  assertPolicy,
  type DailyWindow,
  DEFAULT_DAILY_WINDOW,
  MAX_DELAY_SECONDS,
  type ParseResult,
  parsePolicy,
  type Policy,
  type PolicyError,
  type PolicyInput,
  type PolicyMetadataInput,
  serializePolicy,
  type TokenLimit,
  type TokenLimitInput,
} from './policy.js';
export { type Instant, rateWindowStart, windowStart } from './window.js';
export {
  isOpenAt,
  nextOpening,
  type TimeRange,
  type TimeRangeInput,
  type TimeWindow,
  type TimeWindowInput,
  type Weekday,
  WEEKDAYS,
} from './time-window.js';
export {
  type AgentKeyCapExceededReason,
  type ApprovalRequiredReason,
  type AssetNotAllowedReason,
  type DailyLimitExceededReason,
  type Decision,
  type DecisionOutcome,
  type DelayRequiredReason,
  delayOf,
  describeReason,
  evaluate,
  type EvaluationContext,
  type InvalidContextReason,
  type InvalidIntentReason,
  type NoPolicyReason,
  type OutsideTimeWindowReason,
  type PerTxLimitExceededReason,
  type ProgramNotAllowedReason,
  type RateLimitedReason,
  type Reason,
  REASON_CODES,
  type ReasonCode,
  type RecipientNotAllowedReason,
  type SpentInWindow,
  type TokenLimitExceededReason,
  type TransferIntent,
} from './evaluate.js';
