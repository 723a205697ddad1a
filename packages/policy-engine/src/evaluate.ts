// The hot path. evaluate() runs once per transfer request inside the spend-accounting database
// transaction, so it allocates nothing on the ALLOW path (a shared frozen decision), looks
// everything up in Sets/Maps precomputed by parsePolicy, and only builds reason objects and
// decimal strings when there is something to report.

import { formatUiAmount, SOL_DECIMALS, U64_MAX } from './amount.js';
import type { DailyWindow, Policy } from './policy.js';
import { nextOpening } from './time-window.js';
import { epochMs, type Instant, windowStartMs } from './window.js';

/**
 * What an agent asks to do: send `amount` base units of `asset` (null = SOL, in lamports;
 * otherwise an SPL mint address, in the mint's base units) to `to`. `programs` lists the
 * program ids the transaction will invoke; it is required when the policy has
 * `metadata.allowedPrograms` (an undeclared list is denied, never assumed empty). `fee` is the
 * network fee in lamports the sender pays (base fee × signatures + priority fee; default 0):
 * it leaves the wallet like the amount, so it counts toward the SOL per-transaction and daily
 * limits, for token transfers too.
 *
 * @example
 * ```ts
 * const intent: TransferIntent = { asset: null, amount: 250_000_000n, fee: 5_000n, to: recipient, programs: ['11111111111111111111111111111111'] };
 * ```
 */
export interface TransferIntent {
  readonly asset: string | null;
  readonly amount: bigint;
  readonly to: string;
  readonly programs?: readonly string[];
  readonly fee?: bigint;
}

/**
 * Spend already counted in the current daily window (every transaction not FAILED/REJECTED with
 * `createdAt >= windowStart(policy, now)`): SOL in lamports (SOL amounts plus the network fees
 * of every counted transfer, token transfers included), tokens in base units by mint (a missing
 * mint means 0).
 *
 * @example
 * ```ts
 * const spent: SpentInWindow = { sol: 1_000_000_000n, tokens: { [usdcMint]: 25_000_000n } };
 * ```
 */
export interface SpentInWindow {
  readonly sol: bigint;
  readonly tokens: Readonly<Record<string, bigint>>;
}

/**
 * Everything `evaluate` needs besides the policy and the intent. Time is an input.
 * - `now`: the instant of evaluation (the one the caller used for `windowStart`).
 * - `spentInWindow`: spend already counted in the daily window (not including this intent).
 * - `txCountLastHour`: counting transactions with `createdAt >= rateWindowStart(now)`, not including this one.
 * - `spentSince` (optional, recommended): the instant the caller summed `spentInWindow` from.
 *   If given, it must be at or before `windowStart(policy, now)`; a later start would undercount
 *   spend, so the intent is denied with `INVALID_CONTEXT`.
 *
 * @example
 * ```ts
 * const context: EvaluationContext = { now, spentInWindow: { sol: 0n, tokens: {} }, txCountLastHour: 0, spentSince: windowStart(policy, now) };
 * ```
 */
export interface EvaluationContext {
  readonly now: Instant;
  readonly spentInWindow: SpentInWindow;
  readonly txCountLastHour: number;
  readonly spentSince?: Instant;
  /**
   * The requesting agent key's daily cap, when it has one: `limit` lamports of SOL cost
   * (amounts + fees, as the wallet's SOL limits count them) in a rolling 24 hours, and `spent`
   * what the key's counting transfers already cost in that window (not including this intent).
   * The stricter of the key's cap and the wallet's limits wins.
   */
  readonly keyCap?: { readonly limit: bigint; readonly spent: bigint };
}

/**
 * Stable reason codes. Never renamed once shipped. All but `APPROVAL_REQUIRED` and
 * `DELAY_REQUIRED` deny.
 *
 * @example
 * ```ts
 * const code: ReasonCode = 'DAILY_LIMIT_EXCEEDED';
 * ```
 */
export type ReasonCode = Reason['code'];

/**
 * No policy: deny by default.
 *
 * @example
 * ```ts
 * const r: NoPolicyReason = { code: 'NO_POLICY' };
 * ```
 */
export interface NoPolicyReason {
  readonly code: 'NO_POLICY';
}
/**
 * What a transfer takes out of the SOL limits is `requested + fee` (`requested` is the SOL
 * amount, `'0'` for a token transfer, whose fee still costs SOL); above `perTxLimit` it is
 * denied. Lamports.
 *
 * @example
 * ```ts
 * const r: PerTxLimitExceededReason = { code: 'PER_TX_LIMIT_EXCEEDED', asset: null, decimals: 9, limit: '1000000000', requested: '1000000000', fee: '5000' };
 * ```
 */
export interface PerTxLimitExceededReason {
  readonly code: 'PER_TX_LIMIT_EXCEEDED';
  readonly asset: null;
  readonly decimals: number;
  readonly limit: string;
  readonly requested: string;
  readonly fee: string;
}
/**
 * SOL: spent + requested + fee > `dailyLimit` (`spent` includes earlier fees; `requested` is
 * `'0'` for a token transfer, whose fee still costs SOL). Lamports; `remaining = max(0, limit - spent)`.
 *
 * @example
 * ```ts
 * const r: DailyLimitExceededReason = {
 *   code: 'DAILY_LIMIT_EXCEEDED', asset: null, decimals: 9, window: 'ROLLING_24H',
 *   limit: '5000000000', spent: '4800000000', requested: '750000000', fee: '5000', remaining: '200000000',
 * };
 * ```
 */
export interface DailyLimitExceededReason {
  readonly code: 'DAILY_LIMIT_EXCEEDED';
  readonly asset: null;
  readonly decimals: number;
  readonly window: DailyWindow;
  readonly limit: string;
  readonly spent: string;
  readonly requested: string;
  readonly fee: string;
  readonly remaining: string;
}
/**
 * A mint's `tokenLimits[mint].perTx` (scope PER_TX) or `.daily` (scope DAILY) exceeded. Base units.
 *
 * @example
 * ```ts
 * const r: TokenLimitExceededReason = { code: 'TOKEN_LIMIT_EXCEEDED', scope: 'PER_TX', asset: usdcMint, decimals: 6, limit: '100000000', requested: '100000001' };
 * ```
 */
export type TokenLimitExceededReason =
  | {
      readonly code: 'TOKEN_LIMIT_EXCEEDED';
      readonly scope: 'PER_TX';
      readonly asset: string;
      readonly decimals: number;
      readonly limit: string;
      readonly requested: string;
    }
  | {
      readonly code: 'TOKEN_LIMIT_EXCEEDED';
      readonly scope: 'DAILY';
      readonly asset: string;
      readonly decimals: number;
      readonly window: DailyWindow;
      readonly limit: string;
      readonly spent: string;
      readonly requested: string;
      readonly remaining: string;
    };
/**
 * The mint is not in `allowedAssets`.
 *
 * @example
 * ```ts
 * const r: AssetNotAllowedReason = { code: 'ASSET_NOT_ALLOWED', asset: mint };
 * ```
 */
export interface AssetNotAllowedReason {
  readonly code: 'ASSET_NOT_ALLOWED';
  readonly asset: string;
}
/**
 * The recipient is not in a non-empty `allowedAddresses`.
 *
 * @example
 * ```ts
 * const r: RecipientNotAllowedReason = { code: 'RECIPIENT_NOT_ALLOWED', recipient: to };
 * ```
 */
export interface RecipientNotAllowedReason {
  readonly code: 'RECIPIENT_NOT_ALLOWED';
  readonly recipient: string;
}
/**
 * A program not in `metadata.allowedPrograms`; `program: null` = the intent did not declare its programs.
 *
 * @example
 * ```ts
 * const r: ProgramNotAllowedReason = { code: 'PROGRAM_NOT_ALLOWED', program: null };
 * ```
 */
export interface ProgramNotAllowedReason {
  readonly code: 'PROGRAM_NOT_ALLOWED';
  readonly program: string | null;
}
/**
 * `txCountLastHour + 1 > maxTxPerHour`. Counts of transactions as decimal strings.
 *
 * @example
 * ```ts
 * const r: RateLimitedReason = { code: 'RATE_LIMITED', limit: '20', spent: '20', requested: '1', remaining: '0' };
 * ```
 */
export interface RateLimitedReason {
  readonly code: 'RATE_LIMITED';
  readonly limit: string;
  readonly spent: string;
  readonly requested: string;
  readonly remaining: string;
}
/**
 * The policy's `timeWindow` is closed at `now`. `nextOpening` is the first instant (ISO 8601,
 * UTC) the window opens again, on the zone's local clock with daylight saving time followed;
 * null only if none is found within 8 weeks.
 *
 * @example
 * ```ts
 * const r: OutsideTimeWindowReason = { code: 'OUTSIDE_TIME_WINDOW', timeZone: 'Europe/Berlin', nextOpening: '2026-03-30T07:00:00.000Z' };
 * ```
 */
export interface OutsideTimeWindowReason {
  readonly code: 'OUTSIDE_TIME_WINDOW';
  readonly timeZone: string;
  readonly nextOpening: string | null;
}
/**
 * The requesting agent key's daily cap would be exceeded: the key's spent + requested + fee >
 * `limit` (lamports, rolling 24 hours, every wallet the key used). Denies even when the
 * wallet's own limits would allow the transfer.
 *
 * @example
 * ```ts
 * const r: AgentKeyCapExceededReason = { code: 'AGENT_KEY_CAP_EXCEEDED', asset: null, decimals: 9, limit: '1000000000', spent: '900000000', requested: '200000000', fee: '5000', remaining: '100000000' };
 * ```
 */
export interface AgentKeyCapExceededReason {
  readonly code: 'AGENT_KEY_CAP_EXCEEDED';
  readonly asset: null;
  readonly decimals: number;
  readonly limit: string;
  readonly spent: string;
  readonly requested: string;
  readonly fee: string;
  readonly remaining: string;
}
/**
 * The policy's delay tier applies: the transfer's SOL cost (`requested` + `fee`, lamports) is
 * above `threshold`, so it waits `delaySeconds` (stored DELAYED, cancellable by the owner) and
 * is judged again before it is signed. Does not deny: with it alone the outcome stays `ALLOW`.
 *
 * @example
 * ```ts
 * const r: DelayRequiredReason = { code: 'DELAY_REQUIRED', asset: null, threshold: '1000000000', requested: '2000000000', fee: '5000', delaySeconds: 3600 };
 * ```
 */
export interface DelayRequiredReason {
  readonly code: 'DELAY_REQUIRED';
  readonly asset: string | null;
  readonly threshold: string;
  readonly requested: string;
  readonly fee: string;
  readonly delaySeconds: number;
}
/**
 * The owner must approve. `threshold` (lamports) is set when only SOL transfers above it need
 * approval; `null` when every transfer does (and for token transfers, which a SOL threshold cannot price).
 *
 * @example
 * ```ts
 * const r: ApprovalRequiredReason = { code: 'APPROVAL_REQUIRED', asset: null, threshold: '500000000', requested: '750000000' };
 * ```
 */
export interface ApprovalRequiredReason {
  readonly code: 'APPROVAL_REQUIRED';
  readonly asset: string | null;
  readonly threshold: string | null;
  readonly requested: string;
}
/**
 * The intent is malformed (`amount` not a bigint in 1..u64::MAX, `fee` not a bigint in 0..u64::MAX, `asset`/`to`/`programs` of the wrong type).
 *
 * @example
 * ```ts
 * const r: InvalidIntentReason = { code: 'INVALID_INTENT', field: 'amount' };
 * ```
 */
export interface InvalidIntentReason {
  readonly code: 'INVALID_INTENT';
  readonly field: 'asset' | 'amount' | 'to' | 'programs' | 'fee';
}
/**
 * The context is malformed, or `spentSince` is after the policy's window start.
 *
 * @example
 * ```ts
 * const r: InvalidContextReason = { code: 'INVALID_CONTEXT', field: 'spentSince' };
 * ```
 */
export interface InvalidContextReason {
  readonly code: 'INVALID_CONTEXT';
  readonly field:
    'now' | 'spentInWindow.sol' | 'spentInWindow.tokens' | 'txCountLastHour' | 'spentSince';
}

/**
 * One reason behind a decision: a stable `code` plus the figures behind it. Amounts are
 * base-unit integer strings (lamports for SOL) with the asset's `decimals` for display
 * (`formatUiAmount(BigInt(r.limit), r.decimals)`); everything is JSON-serialisable.
 *
 * @example
 * ```ts
 * const reason: Reason = { code: 'RECIPIENT_NOT_ALLOWED', recipient: 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS' };
 * ```
 */
export type Reason =
  | NoPolicyReason
  | InvalidIntentReason
  | InvalidContextReason
  | AssetNotAllowedReason
  | PerTxLimitExceededReason
  | DailyLimitExceededReason
  | TokenLimitExceededReason
  | RecipientNotAllowedReason
  | ProgramNotAllowedReason
  | RateLimitedReason
  | OutsideTimeWindowReason
  | AgentKeyCapExceededReason
  | ApprovalRequiredReason
  | DelayRequiredReason;

/**
 * Every reason code, in the order reasons are reported.
 *
 * @example
 * ```ts
 * REASON_CODES.includes('RATE_LIMITED'); // true
 * ```
 */
export const REASON_CODES: readonly ReasonCode[] = Object.freeze([
  'NO_POLICY',
  'INVALID_INTENT',
  'INVALID_CONTEXT',
  'ASSET_NOT_ALLOWED',
  'PER_TX_LIMIT_EXCEEDED',
  'DAILY_LIMIT_EXCEEDED',
  'TOKEN_LIMIT_EXCEEDED',
  'RECIPIENT_NOT_ALLOWED',
  'PROGRAM_NOT_ALLOWED',
  'RATE_LIMITED',
  'OUTSIDE_TIME_WINDOW',
  'AGENT_KEY_CAP_EXCEEDED',
  'APPROVAL_REQUIRED',
  'DELAY_REQUIRED',
] as const);

/**
 * Outcome of an evaluation.
 *
 * @example
 * ```ts
 * const o: DecisionOutcome = 'REQUIRE_APPROVAL';
 * ```
 */
export type DecisionOutcome = 'ALLOW' | 'DENY' | 'REQUIRE_APPROVAL';

/**
 * The decision: `DENY` if any reason denies, else `REQUIRE_APPROVAL` if approval applies, else
 * `ALLOW`. `reasons` lists every applicable reason (an `APPROVAL_REQUIRED` or `DELAY_REQUIRED`
 * reason is listed even when another reason denies). An `ALLOW` (or `REQUIRE_APPROVAL`) with a
 * `DELAY_REQUIRED` reason is delayed before it is signed (see {@link delayOf}). Plain data, safe to `JSON.stringify` and store. Treat as
 * immutable: the reason-less ALLOW decision is a shared frozen object.
 *
 * @example
 * ```ts
 * const d: Decision = { outcome: 'DENY', reasons: [{ code: 'NO_POLICY' }] };
 * ```
 */
export interface Decision {
  readonly outcome: DecisionOutcome;
  readonly reasons: readonly Reason[];
}

const ALLOW: Decision = Object.freeze({ outcome: 'ALLOW', reasons: Object.freeze([]) });
const NO_POLICY: Decision = Object.freeze({
  outcome: 'DENY',
  reasons: Object.freeze([Object.freeze({ code: 'NO_POLICY' })]),
});

function add(reasons: Reason[] | undefined, reason: Reason): Reason[] {
  if (reasons === undefined) return [reason];
  reasons.push(reason);
  return reasons;
}

function isStringArray(value: unknown): value is readonly string[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false;
  return true;
}

/**
 * Judges a transfer intent against a wallet's policy and its recent spend. Pure and
 * deterministic (time comes from `context.now`), never throws, and enforces every rule
 * `parsePolicy` accepts. Limits are inclusive: amount == perTxLimit and spent + amount ==
 * dailyLimit are allowed; one base unit more is denied. A limit of 0 lets nothing through.
 * `null` policy ⇒ DENY `NO_POLICY`. See the README for the full rule table.
 *
 * @example
 * ```ts
 * const policy = assertPolicy({ perTxLimit: '1', dailyLimit: '2' });
 * const decision = evaluate(policy, { asset: null, amount: 1_500_000_000n, to: recipient }, {
 *   now: new Date(), spentInWindow: { sol: 1_000_000_000n, tokens: {} }, txCountLastHour: 0,
 * });
 * decision.outcome; // 'DENY': PER_TX_LIMIT_EXCEEDED and DAILY_LIMIT_EXCEEDED
 * ```
 */
export function evaluate(
  policy: Policy | null,
  intent: TransferIntent,
  context: EvaluationContext,
): Decision {
  if (policy === null) return NO_POLICY;

  // Every reason but APPROVAL_REQUIRED denies, and that one is added last: so "denied" is
  // simply "some reason was added before the approval step". No closure, no array until needed.
  let reasons: Reason[] | undefined;
  // The requested amount's decimal string, built once and only if some reason reports it.
  let requested: string | undefined;

  const { asset, amount, to, programs } = intent;
  const fee = intent.fee === undefined ? 0n : intent.fee;
  const amountValid = typeof amount === 'bigint' && amount > 0n && amount <= U64_MAX;
  const feeValid = typeof fee === 'bigint' && fee >= 0n && fee <= U64_MAX;
  const assetValid = asset === null || typeof asset === 'string';
  if (!assetValid) reasons = add(reasons, { code: 'INVALID_INTENT', field: 'asset' });
  if (!amountValid) reasons = add(reasons, { code: 'INVALID_INTENT', field: 'amount' });
  if (!feeValid) reasons = add(reasons, { code: 'INVALID_INTENT', field: 'fee' });
  if (typeof to !== 'string') reasons = add(reasons, { code: 'INVALID_INTENT', field: 'to' });
  const programsValid = programs === undefined || isStringArray(programs);
  if (!programsValid) reasons = add(reasons, { code: 'INVALID_INTENT', field: 'programs' });

  const nowMs = epochMs(context.now);
  if (Number.isNaN(nowMs)) reasons = add(reasons, { code: 'INVALID_CONTEXT', field: 'now' });
  else if (context.spentSince !== undefined) {
    const sinceMs = epochMs(context.spentSince);
    if (Number.isNaN(sinceMs) || sinceMs > windowStartMs(policy.dailyWindow, nowMs))
      reasons = add(reasons, { code: 'INVALID_CONTEXT', field: 'spentSince' });
  }

  // SOL limits: what leaves the wallet in lamports is the SOL amount (none for a token
  // transfer) plus the network fee, which every transfer pays.
  const solAmount = asset === null ? amount : 0n;
  const solValid = feeValid && (asset !== null || amountValid);
  const spent = context.spentInWindow.sol;
  const spentValid = typeof spent === 'bigint' && spent >= 0n;
  if (!spentValid) reasons = add(reasons, { code: 'INVALID_CONTEXT', field: 'spentInWindow.sol' });
  if (solValid && (asset === null || fee > 0n)) {
    const cost = solAmount + fee;
    const perTx = policy.perTxLimit;
    if (cost > perTx) {
      reasons = add(reasons, {
        code: 'PER_TX_LIMIT_EXCEEDED',
        asset: null,
        decimals: SOL_DECIMALS,
        limit: perTx.toString(),
        requested: solAmount.toString(),
        fee: fee.toString(),
      });
    }
    const daily = policy.dailyLimit;
    if (spentValid && spent + cost > daily) {
      reasons = add(reasons, {
        code: 'DAILY_LIMIT_EXCEEDED',
        asset: null,
        decimals: SOL_DECIMALS,
        window: policy.dailyWindow,
        limit: daily.toString(),
        spent: spent.toString(),
        requested: solAmount.toString(),
        fee: fee.toString(),
        remaining: (spent >= daily ? 0n : daily - spent).toString(),
      });
    }
  }
  const keyCap = context.keyCap;
  if (keyCap !== undefined && solValid && (asset === null || fee > 0n)) {
    const cost = solAmount + fee;
    if (keyCap.spent + cost > keyCap.limit) {
      reasons = add(reasons, {
        code: 'AGENT_KEY_CAP_EXCEEDED',
        asset: null,
        decimals: SOL_DECIMALS,
        limit: keyCap.limit.toString(),
        spent: keyCap.spent.toString(),
        requested: solAmount.toString(),
        fee: fee.toString(),
        remaining: (keyCap.spent >= keyCap.limit ? 0n : keyCap.limit - keyCap.spent).toString(),
      });
    }
  }
  if (asset !== null && assetValid) {
    if (!policy.allowedAssets.has(asset))
      reasons = add(reasons, { code: 'ASSET_NOT_ALLOWED', asset });
    const limit = policy.tokenLimits.get(asset);
    if (limit !== undefined && amountValid) {
      if (limit.perTx !== null && amount > limit.perTx) {
        reasons = add(reasons, {
          code: 'TOKEN_LIMIT_EXCEEDED',
          scope: 'PER_TX',
          asset,
          decimals: limit.decimals,
          limit: limit.perTx.toString(),
          requested: (requested ??= amount.toString()),
        });
      }
      if (limit.daily !== null) {
        const tokens: unknown = context.spentInWindow.tokens;
        const raw: unknown =
          typeof tokens === 'object' && tokens !== null && Object.hasOwn(tokens, asset)
            ? (tokens as Record<string, unknown>)[asset]
            : 0n;
        if (typeof raw !== 'bigint' || raw < 0n)
          reasons = add(reasons, { code: 'INVALID_CONTEXT', field: 'spentInWindow.tokens' });
        else if (raw + amount > limit.daily) {
          reasons = add(reasons, {
            code: 'TOKEN_LIMIT_EXCEEDED',
            scope: 'DAILY',
            asset,
            decimals: limit.decimals,
            window: policy.dailyWindow,
            limit: limit.daily.toString(),
            spent: raw.toString(),
            requested: (requested ??= amount.toString()),
            remaining: (raw >= limit.daily ? 0n : limit.daily - raw).toString(),
          });
        }
      }
    }
  }

  if (policy.allowedAddresses.size > 0 && !policy.allowedAddresses.has(to)) {
    reasons = add(reasons, { code: 'RECIPIENT_NOT_ALLOWED', recipient: String(to) });
  }

  const allowedPrograms = policy.allowedPrograms;
  if (allowedPrograms !== null && programsValid) {
    if (programs === undefined)
      reasons = add(reasons, { code: 'PROGRAM_NOT_ALLOWED', program: null });
    else {
      for (let i = 0; i < programs.length; i++) {
        const program = programs[i]!;
        // Report each offending program once, however often the transaction invokes it.
        if (!allowedPrograms.has(program) && programs.indexOf(program) === i)
          reasons = add(reasons, { code: 'PROGRAM_NOT_ALLOWED', program });
      }
    }
  }

  const maxTxPerHour = policy.maxTxPerHour;
  if (maxTxPerHour !== null) {
    const count = context.txCountLastHour;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0)
      reasons = add(reasons, { code: 'INVALID_CONTEXT', field: 'txCountLastHour' });
    else if (count >= maxTxPerHour) {
      reasons = add(reasons, {
        code: 'RATE_LIMITED',
        limit: String(maxTxPerHour),
        spent: String(count),
        requested: '1',
        remaining: '0',
      });
    }
  }

  const timeWindow = policy.timeWindow;
  if (timeWindow !== null && !Number.isNaN(nowMs)) {
    const opening = nextOpening(timeWindow, nowMs);
    if (opening !== nowMs) {
      reasons = add(reasons, {
        code: 'OUTSIDE_TIME_WINDOW',
        timeZone: timeWindow.timeZone,
        nextOpening: opening === null ? null : new Date(opening).toISOString(),
      });
    }
  }

  const denied = reasons !== undefined;
  let approval = false;
  if (policy.requiresApproval) {
    const threshold = policy.approvalThreshold;
    // A SOL threshold cannot price a token transfer, so token transfers always need approval.
    if (threshold === null || asset !== null || !amountValid || amount > threshold) {
      approval = true;
      reasons = add(reasons, {
        code: 'APPROVAL_REQUIRED',
        asset: assetValid ? asset : null,
        threshold: threshold === null || asset !== null ? null : threshold.toString(),
        requested: typeof amount === 'bigint' ? (requested ?? amount.toString()) : String(amount),
      });
    }
  }

  // The delay tier prices what leaves in SOL, as perTxLimit does: amount + fee.
  const delay = policy.delay;
  if (delay !== null && solValid && solAmount + fee > delay.threshold) {
    reasons = add(reasons, {
      code: 'DELAY_REQUIRED',
      asset: assetValid ? asset : null,
      threshold: delay.threshold.toString(),
      requested: solAmount.toString(),
      fee: fee.toString(),
      delaySeconds: delay.seconds,
    });
  }

  if (reasons === undefined) return ALLOW;
  return { outcome: denied ? 'DENY' : approval ? 'REQUIRE_APPROVAL' : 'ALLOW', reasons };
}

/**
 * The decision's `DELAY_REQUIRED` reason, if the transfer must wait out the policy's delay.
 *
 * @example
 * ```ts
 * const delay = delayOf(decision);
 * if (decision.outcome === 'ALLOW' && delay) dueAt = new Date(now.getTime() + delay.delaySeconds * 1000);
 * ```
 */
export function delayOf(decision: Decision): DelayRequiredReason | undefined {
  for (const reason of decision.reasons) if (reason.code === 'DELAY_REQUIRED') return reason;
  return undefined;
}

/**
 * A human-readable sentence for a reason (for logs and problem+json `detail`). Wording may
 * change; match on `code`, never on this text.
 *
 * @example
 * ```ts
 * describeReason({ code: 'NO_POLICY' }); // 'the wallet has no policy: nothing may be sent'
 * ```
 */
export function describeReason(reason: Reason): string {
  const ui = (base: string, decimals: number): string => formatUiAmount(BigInt(base), decimals);
  switch (reason.code) {
    case 'NO_POLICY':
      return 'the wallet has no policy: nothing may be sent';
    case 'INVALID_INTENT':
      return `the transfer intent has an invalid ${reason.field}`;
    case 'INVALID_CONTEXT':
      return reason.field === 'spentSince'
        ? "spend was summed from after the policy's window start"
        : `the evaluation context has an invalid ${reason.field}`;
    case 'ASSET_NOT_ALLOWED':
      return `asset ${reason.asset} is not in the policy's allowed assets`;
    case 'PER_TX_LIMIT_EXCEEDED':
      return `${solCost(reason, ui)} exceeds the per-transaction limit of ${ui(reason.limit, reason.decimals)} SOL`;
    case 'DAILY_LIMIT_EXCEEDED':
      return `${solCost(reason, ui)} exceeds the ${ui(reason.remaining, reason.decimals)} SOL left of the daily limit of ${ui(reason.limit, reason.decimals)} SOL`;
    case 'TOKEN_LIMIT_EXCEEDED':
      return reason.scope === 'PER_TX'
        ? `${ui(reason.requested, reason.decimals)} exceeds the per-transaction limit of ${ui(reason.limit, reason.decimals)} for ${reason.asset}`
        : `${ui(reason.requested, reason.decimals)} exceeds the ${ui(reason.remaining, reason.decimals)} left of the daily limit of ${ui(reason.limit, reason.decimals)} for ${reason.asset}`;
    case 'RECIPIENT_NOT_ALLOWED':
      return `recipient ${reason.recipient} is not in the policy's allowed addresses`;
    case 'PROGRAM_NOT_ALLOWED':
      return reason.program === null
        ? 'the policy restricts programs but the transfer did not declare the programs it invokes'
        : `program ${reason.program} is not in the policy's allowed programs`;
    case 'RATE_LIMITED':
      return `${reason.spent} transactions in the last hour reach the limit of ${reason.limit}`;
    case 'OUTSIDE_TIME_WINDOW':
      return reason.nextOpening === null
        ? `transfers are outside the policy's time window (${reason.timeZone})`
        : `transfers are outside the policy's time window (${reason.timeZone}); it opens at ${reason.nextOpening}`;
    case 'AGENT_KEY_CAP_EXCEEDED':
      return `${solCost(reason, ui)} exceeds the ${ui(reason.remaining, reason.decimals)} SOL left of this agent key's daily cap of ${ui(reason.limit, reason.decimals)} SOL`;
    case 'DELAY_REQUIRED':
      return `${ui(reason.requested, SOL_DECIMALS)} SOL (+ ${ui(reason.fee, SOL_DECIMALS)} SOL fee) is above the delay threshold of ${ui(reason.threshold, SOL_DECIMALS)} SOL: it waits ${reason.delaySeconds} s before it is signed, and the owner may cancel it meanwhile`;
    case 'APPROVAL_REQUIRED':
      return reason.threshold === null
        ? 'the policy requires owner approval for this transfer'
        : `${ui(reason.requested, SOL_DECIMALS)} SOL is above the approval threshold of ${ui(reason.threshold, SOL_DECIMALS)} SOL`;
  }
}

/** "1 SOL + 0.000005 SOL fee", or just the amount when there is no fee. */
function solCost(
  reason: PerTxLimitExceededReason | DailyLimitExceededReason | AgentKeyCapExceededReason,
  ui: (base: string, decimals: number) => string,
): string {
  const amount = `${ui(reason.requested, reason.decimals)} SOL`;
  // Reasons stored before fees were counted have no `fee`.
  const fee = (reason as { fee?: string }).fee ?? '0';
  return fee === '0' ? amount : `${amount} + ${ui(fee, reason.decimals)} SOL fee`;
}
