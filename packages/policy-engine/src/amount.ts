// Exact decimal-string <-> bigint conversion. Written by hand rather than with a decimal
// library because the rules are stricter than any library's parser (no exponent, no sign, no
// whitespace, no leading zeros, no excess fraction digits, u64 range) and because the result
// must be a bigint, never a float: a 40-line grammar is easier to audit than a library's
// configuration of one.

import { type AmountErrorCode, PolicyEngineError } from './errors.js';

/**
 * The largest on-chain amount: u64::MAX base units (18446744073709551615).
 *
 * @example
 * ```ts
 * if (amount > U64_MAX) throw new Error('does not fit in a u64');
 * ```
 */
export const U64_MAX = 18_446_744_073_709_551_615n;

/**
 * Decimals of SOL: 1 SOL = 10^9 lamports.
 *
 * @example
 * ```ts
 * formatUiAmount(1_500_000_000n, SOL_DECIMALS); // '1.5'
 * ```
 */
export const SOL_DECIMALS = 9;

/**
 * Lamports in one SOL (10^9).
 *
 * @example
 * ```ts
 * const twoSol = lamports(2n * LAMPORTS_PER_SOL);
 * ```
 */
export const LAMPORTS_PER_SOL = 1_000_000_000n;

declare const lamportsBrand: unique symbol;

/**
 * An amount of SOL in lamports. Branded so that a token base-unit amount cannot be passed where
 * lamports are meant (and vice versa) without an explicit `lamports(...)`.
 *
 * @example
 * ```ts
 * const fee: Lamports = lamports(5000n);
 * ```
 */
export type Lamports = bigint & { readonly [lamportsBrand]: 'Lamports' };

// Canonical decimal: "0" or no leading zero, optional fraction with at least one digit.
const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;
const EXPONENT = /^[0-9]*\.?[0-9]*[eE][+-]?[0-9]*$/;
const WHITESPACE = /\s/;
// u64::MAX has 20 digits: a longer integer part is out of range whatever the decimals, and
// checking the length first keeps a hostile 1 MB digit string from reaching BigInt().
const MAX_INTEGER_DIGITS = 20;

function isValidDecimals(decimals: unknown): decimals is number {
  return (
    typeof decimals === 'number' && Number.isInteger(decimals) && decimals >= 0 && decimals <= 255
  );
}

function assertDecimals(decimals: unknown): asserts decimals is number {
  if (!isValidDecimals(decimals)) {
    throw new PolicyEngineError(
      'INVALID_DECIMALS',
      { decimals },
      `decimals must be an integer in 0..255, got ${String(decimals)}`,
    );
  }
}

/**
 * Shared core of parseUiAmount/parseLimit/isUiAmount and the policy parser: the bigint on
 * success, the refusal code otherwise (no throw, no allocation beyond the BigInt itself).
 * `decimals` must already be valid.
 * @internal
 */
export function checkUiAmount(
  text: unknown,
  decimals: number,
  allowZero: boolean,
): bigint | Exclude<AmountErrorCode, 'AMOUNT_NEGATIVE'> {
  if (typeof text !== 'string') return 'AMOUNT_NOT_A_STRING';
  if (text.length === 0) return 'AMOUNT_EMPTY';
  if (WHITESPACE.test(text)) return 'AMOUNT_WHITESPACE';
  const first = text.charCodeAt(0);
  if (first === 0x2b /* + */ || first === 0x2d /* - */) return 'AMOUNT_SIGN';
  const match = DECIMAL.exec(text);
  if (match === null) return EXPONENT.test(text) ? 'AMOUNT_EXPONENT' : 'AMOUNT_MALFORMED';
  const integer = match[1]!;
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) return 'AMOUNT_TOO_MANY_DECIMALS';
  if (integer.length > MAX_INTEGER_DIGITS) return 'AMOUNT_ABOVE_U64_MAX';
  const value = BigInt(integer + fraction.padEnd(decimals, '0'));
  if (value === 0n && !allowZero) return 'AMOUNT_ZERO';
  if (value > U64_MAX) return 'AMOUNT_ABOVE_U64_MAX';
  return value;
}

const AMOUNT_MESSAGES: Record<Exclude<AmountErrorCode, 'AMOUNT_NEGATIVE'>, string> = {
  AMOUNT_NOT_A_STRING: 'amount must be a decimal string',
  AMOUNT_EMPTY: 'amount is empty',
  AMOUNT_WHITESPACE: 'amount contains whitespace',
  AMOUNT_SIGN: 'amount must not carry a sign',
  AMOUNT_EXPONENT: 'amount must not use exponent notation',
  AMOUNT_MALFORMED:
    'amount must be plain decimal digits with an optional fraction (e.g. "0.25"), no leading zeros',
  AMOUNT_TOO_MANY_DECIMALS: 'amount has more fraction digits than the asset has decimals',
  AMOUNT_ZERO: 'amount must be greater than zero',
  AMOUNT_ABOVE_U64_MAX: 'amount exceeds u64::MAX base units',
};

/** @internal Message for an amount refusal code. */
export function amountMessage(
  code: Exclude<AmountErrorCode, 'AMOUNT_NEGATIVE'>,
  decimals: number,
): string {
  return code === 'AMOUNT_TOO_MANY_DECIMALS'
    ? `amount has more than ${decimals} fraction digits`
    : AMOUNT_MESSAGES[code];
}

function parseOrThrow(text: string, decimals: number, allowZero: boolean): bigint {
  assertDecimals(decimals);
  const result = checkUiAmount(text, decimals, allowZero);
  if (typeof result === 'bigint') return result;
  throw new PolicyEngineError(
    result,
    { text: String(text), decimals },
    `${amountMessage(result, decimals)}: ${JSON.stringify(String(text))}`,
  );
}

/**
 * Parses a UI-unit decimal string ("0.25") into base units (bigint), exactly. Accepts only
 * `0|[1-9][0-9]*` optionally followed by `.` and 1..`decimals` digits. Throws
 * `PolicyEngineError` with `AMOUNT_*` codes for: non-strings, empty, whitespace anywhere, a
 * leading sign, exponent notation, anything else malformed (hex, leading/trailing `.`, leading
 * zeros, separators), more fraction digits than `decimals` (even trailing zeros), zero, and
 * more than u64::MAX base units; `INVALID_DECIMALS` if `decimals` is not an integer in 0..255.
 *
 * @example
 * ```ts
 * parseUiAmount('0.25', 9); // 250000000n
 * parseUiAmount('1', 6);    // 1000000n
 * parseUiAmount('1e9', 9);  // throws PolicyEngineError AMOUNT_EXPONENT
 * ```
 */
export function parseUiAmount(text: string, decimals: number): bigint {
  return parseOrThrow(text, decimals, false);
}

/**
 * Like `parseUiAmount` but accepts zero: for limits, where `"0"` means "nothing may be sent".
 *
 * @example
 * ```ts
 * parseLimit('0', 9);   // 0n
 * parseLimit('1.5', 9); // 1500000000n
 * ```
 */
export function parseLimit(text: string, decimals: number): bigint {
  return parseOrThrow(text, decimals, true);
}

/**
 * `true` if `parseUiAmount(text, decimals)` would succeed (never throws; invalid `decimals` gives `false`).
 *
 * @example
 * ```ts
 * isUiAmount('0.25', 9); // true
 * isUiAmount('.25', 9);  // false
 * ```
 */
export function isUiAmount(text: unknown, decimals: number): text is string {
  return isValidDecimals(decimals) && typeof checkUiAmount(text, decimals, false) === 'bigint';
}

/**
 * Formats base units as a canonical UI decimal string: no exponent, no trailing fraction zeros,
 * no trailing `.`; `parseLimit(formatUiAmount(x, d), d) === x` for every 0 <= x <= u64::MAX.
 * Throws `AMOUNT_NEGATIVE` for a negative amount and `INVALID_DECIMALS` for bad decimals.
 *
 * @example
 * ```ts
 * formatUiAmount(250_000_000n, 9); // '0.25'
 * formatUiAmount(0n, 6);           // '0'
 * ```
 */
export function formatUiAmount(base: bigint, decimals: number): string {
  assertDecimals(decimals);
  if (typeof base !== 'bigint' || base < 0n) {
    throw new PolicyEngineError(
      'AMOUNT_NEGATIVE',
      { text: String(base), decimals },
      `cannot format ${String(base)}: amounts are non-negative bigints`,
    );
  }
  const digits = base.toString();
  if (decimals === 0) return digits;
  const padded = digits.padStart(decimals + 1, '0');
  const integer = padded.slice(0, padded.length - decimals);
  const fraction = padded.slice(padded.length - decimals).replace(/0+$/, '');
  return fraction.length === 0 ? integer : `${integer}.${fraction}`;
}

/**
 * Brands a bigint as lamports after checking it is in 0..u64::MAX (throws `AMOUNT_NEGATIVE` /
 * `AMOUNT_ABOVE_U64_MAX`).
 *
 * @example
 * ```ts
 * const amount = lamports(250_000_000n); // 0.25 SOL
 * ```
 */
export function lamports(value: bigint): Lamports {
  if (typeof value !== 'bigint' || value < 0n) {
    throw new PolicyEngineError(
      'AMOUNT_NEGATIVE',
      { text: String(value), decimals: SOL_DECIMALS },
      'lamports must be a non-negative bigint',
    );
  }
  if (value > U64_MAX) {
    throw new PolicyEngineError(
      'AMOUNT_ABOVE_U64_MAX',
      { text: value.toString(), decimals: SOL_DECIMALS },
      'lamports exceed u64::MAX',
    );
  }
  return value as Lamports;
}

/**
 * Parses a SOL decimal string (at most 9 fraction digits, > 0) into lamports.
 *
 * @example
 * ```ts
 * parseSol('0.000000001'); // 1n
 * ```
 */
export function parseSol(text: string): Lamports {
  return parseUiAmount(text, SOL_DECIMALS) as Lamports;
}

/**
 * Formats lamports as a SOL decimal string.
 *
 * @example
 * ```ts
 * formatSol(lamports(1_500_000_000n)); // '1.5'
 * ```
 */
export function formatSol(value: Lamports): string {
  return formatUiAmount(value, SOL_DECIMALS);
}
