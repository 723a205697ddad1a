// Policy parsing and serialisation. The validator is written by hand rather than with a schema
// library (zod, valibot): the issue codes are part of our public API and must stay stable
// across library upgrades (zod 4 renamed its codes), amounts need the exact bigint grammar of
// amount.ts, and cross-field rules (tokenLimits ⊆ allowedAssets, threshold ⇒ approval) would be
// custom refinements anyway. What a library would add here is mostly a second vocabulary.

import { isAddress } from '@solana/addresses';

import {
  amountMessage,
  checkUiAmount,
  formatUiAmount,
  type Lamports,
  SOL_DECIMALS,
} from './amount.js';
import { PolicyEngineError } from './errors.js';
import type { PolicyIssue, PolicyIssueCode } from './issues.js';
import {
  formatTimeOfDay,
  LocalClock,
  parseTimeOfDay,
  type TimeRange,
  type TimeWindow,
  type TimeWindowInput,
  timeWindowOf,
  type Weekday,
  WEEKDAYS,
} from './time-window.js';

/**
 * How the daily limits' window is measured: a rolling 24 hours (default) or the calendar day in UTC.
 *
 * @example
 * ```ts
 * const w: DailyWindow = 'UTC_DAY';
 * ```
 */
export type DailyWindow = 'ROLLING_24H' | 'UTC_DAY';

/**
 * The daily window of a policy that names none.
 *
 * @example
 * ```ts
 * const w: DailyWindow = DEFAULT_DAILY_WINDOW; // 'ROLLING_24H'
 * ```
 */
export const DEFAULT_DAILY_WINDOW: DailyWindow = 'ROLLING_24H';

/**
 * Per-mint limits as written (REST body / DB `metadata.tokenLimits[mint]`). Amounts are UI-unit
 * decimal strings; `decimals` is the mint's decimals (required: it is what turns UI units into
 * the base units the engine compares, exactly).
 *
 * @example
 * ```ts
 * const usdc: TokenLimitInput = { perTx: '100', daily: '1000', decimals: 6 };
 * ```
 */
export interface TokenLimitInput {
  perTx?: string;
  daily?: string;
  decimals: number;
}

/**
 * `WalletPolicy.metadata` as written.
 *
 * @example
 * ```ts
 * const metadata: PolicyMetadataInput = { maxTxPerHour: 10, dailyWindow: 'UTC_DAY' };
 * ```
 */
export interface PolicyMetadataInput {
  tokenLimits?: Record<string, TokenLimitInput>;
  allowedPrograms?: string[];
  approvalThreshold?: string;
  maxTxPerHour?: number;
  dailyWindow?: DailyWindow;
  timeWindow?: TimeWindowInput;
  /** SOL (decimal string): transfers costing more wait `delaySeconds` before they are signed. */
  delayThreshold?: string;
  /** The cool-down, whole seconds in 1..{@link MAX_DELAY_SECONDS}; required with `delayThreshold`. */
  delaySeconds?: number;
}

/**
 * The longest delay a policy may set: 7 days. A delayed transfer holds its budget while it
 * waits, so an unbounded delay would be a way to lock a wallet's budget up by mistake.
 *
 * @example
 * ```ts
 * MAX_DELAY_SECONDS; // 604800
 * ```
 */
export const MAX_DELAY_SECONDS = 604_800;

/**
 * A policy as written: the REST body and the `wallet_policies` row share this shape. SOL
 * limits are decimal strings in SOL (at most 9 fraction digits; `"0"` allowed). The database
 * layer must turn `Prisma.Decimal` columns into plain strings with `.toFixed()` (not
 * `.toString()`, which may use exponent notation and be refused).
 *
 * @example
 * ```ts
 * const input: PolicyInput = { perTxLimit: '0.5', dailyLimit: '2', requiresApproval: false };
 * ```
 */
export interface PolicyInput {
  perTxLimit: string;
  dailyLimit: string;
  allowedAssets?: string[];
  allowedAddresses?: string[];
  requiresApproval?: boolean;
  metadata?: PolicyMetadataInput;
}

/**
 * Parsed per-mint limits, in the mint's base units (`null` = no such limit).
 *
 * @example
 * ```ts
 * const limit: TokenLimit = { perTx: 100_000_000n, daily: null, decimals: 6 };
 * ```
 */
export interface TokenLimit {
  readonly perTx: bigint | null;
  readonly daily: bigint | null;
  readonly decimals: number;
}

/**
 * A validated, normalised policy, ready for `evaluate`. Build it with `parsePolicy` /
 * `assertPolicy` only; its Sets and Maps are precomputed so evaluation does no parsing.
 *
 * @example
 * ```ts
 * const policy: Policy = assertPolicy({ perTxLimit: '1', dailyLimit: '5' });
 * policy.perTxLimit; // 1000000000n (lamports)
 * ```
 */
export interface Policy {
  /** Largest SOL transfer, lamports (inclusive: amount == limit is allowed). */
  readonly perTxLimit: Lamports;
  /** SOL that may leave in one daily window, lamports (spent + amount == limit is allowed). */
  readonly dailyLimit: Lamports;
  /** SPL mints that may be sent; empty = SOL only. SOL is always allowed. */
  readonly allowedAssets: ReadonlySet<string>;
  /** Recipient allowlist; empty = any recipient. */
  readonly allowedAddresses: ReadonlySet<string>;
  /** Transfers wait for the owner (all of them, or those above `approvalThreshold`). */
  readonly requiresApproval: boolean;
  /** Only with `requiresApproval`: SOL transfers with amount > threshold need approval. */
  readonly approvalThreshold: Lamports | null;
  /** Per-mint limits in base units; a mint without an entry has no amount limit. */
  readonly tokenLimits: ReadonlyMap<string, TokenLimit>;
  /** Programs the transaction may invoke; `null` = not restricted. */
  readonly allowedPrograms: ReadonlySet<string> | null;
  /** Transactions per rolling hour; `null` = not limited; 0 = none. */
  readonly maxTxPerHour: number | null;
  /** Window for `dailyLimit` and `tokenLimits[*].daily`. */
  readonly dailyWindow: DailyWindow;
  /** Days and hours (in a time zone) when transfers are allowed; `null` = any time. */
  readonly timeWindow: TimeWindow | null;
  /**
   * The delay tier: a transfer whose SOL cost (amount + fee, as for `perTxLimit`) is above
   * `threshold` lamports waits `seconds` (stored DELAYED, unsigned, cancellable by the owner)
   * before it is judged again and signed. `null` = no delay tier.
   */
  readonly delay: { readonly threshold: Lamports; readonly seconds: number } | null;
}

/**
 * Result of `parsePolicy`: the policy, or every issue found.
 *
 * @example
 * ```ts
 * const result: ParseResult = parsePolicy(body);
 * if (!result.ok) console.log(result.issues);
 * ```
 */
export type ParseResult =
  | { readonly ok: true; readonly policy: Policy }
  | { readonly ok: false; readonly issues: readonly PolicyIssue[] };

const TOP_LEVEL_KEYS = new Set([
  'perTxLimit',
  'dailyLimit',
  'allowedAssets',
  'allowedAddresses',
  'requiresApproval',
  'metadata',
]);
const METADATA_KEYS = new Set([
  'tokenLimits',
  'allowedPrograms',
  'approvalThreshold',
  'maxTxPerHour',
  'dailyWindow',
  'timeWindow',
  'delayThreshold',
  'delaySeconds',
]);
const TIME_WINDOW_KEYS = new Set(['timeZone', 'ranges']);
const TIME_RANGE_KEYS = new Set(['days', 'from', 'to']);
const MAX_TIME_RANGES = 50;
const TOKEN_LIMIT_KEYS = new Set(['perTx', 'daily', 'decimals']);
const DAILY_WINDOWS: readonly string[] = ['ROLLING_24H', 'UTC_DAY'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Any realm's Object.prototype (or none): objects from vm contexts, workers or
  // structuredClone are plain too, while class instances, Maps and Dates are not.
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

class IssueCollector {
  readonly issues: PolicyIssue[] = [];
  add(path: string, code: PolicyIssueCode, message: string): void {
    this.issues.push({ path, code, message });
  }
  unknownKeys(obj: Record<string, unknown>, allowed: ReadonlySet<string>, prefix: string): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.has(key))
        this.add(join(prefix, key), 'UNKNOWN_KEY', `unknown key ${JSON.stringify(key)}`);
    }
  }
}

function join(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

function readAmount(
  c: IssueCollector,
  value: unknown,
  path: string,
  decimals: number,
): bigint | null {
  if (typeof value !== 'string') {
    c.add(path, 'INVALID_TYPE', `expected a decimal string, got ${typeName(value)}`);
    return null;
  }
  const result = checkUiAmount(value, decimals, true);
  if (typeof result === 'bigint') return result;
  c.add(path, result, amountMessage(result, decimals));
  return null;
}

function readAddressList(c: IssueCollector, value: unknown, path: string): string[] | null {
  if (!Array.isArray(value)) {
    c.add(path, 'INVALID_TYPE', `expected an array of base58 addresses, got ${typeName(value)}`);
    return null;
  }
  const seen = new Set<string>();
  let valid = true;
  value.forEach((item: unknown, i) => {
    const itemPath = `${path}[${i}]`;
    if (typeof item !== 'string') {
      c.add(itemPath, 'INVALID_TYPE', `expected a base58 address string, got ${typeName(item)}`);
      valid = false;
    } else if (!isAddress(item)) {
      c.add(itemPath, 'INVALID_ADDRESS', `not a base58 Solana address: ${JSON.stringify(item)}`);
      valid = false;
    } else if (seen.has(item)) {
      c.add(itemPath, 'DUPLICATE_ADDRESS', `duplicate address ${item}`);
      valid = false;
    } else {
      seen.add(item);
    }
  });
  return valid ? [...seen] : null;
}

function readTokenLimits(
  c: IssueCollector,
  value: unknown,
  path: string,
): Map<string, TokenLimit> | null {
  if (!isPlainObject(value)) {
    c.add(path, 'INVALID_TYPE', `expected an object keyed by mint address, got ${typeName(value)}`);
    return null;
  }
  const limits = new Map<string, TokenLimit>();
  let valid = true;
  for (const [mint, entry] of Object.entries(value)) {
    const entryPath = join(path, mint);
    if (!isAddress(mint)) {
      c.add(entryPath, 'INVALID_ADDRESS', `not a base58 mint address: ${JSON.stringify(mint)}`);
      valid = false;
      continue;
    }
    if (!isPlainObject(entry)) {
      c.add(
        entryPath,
        'INVALID_TYPE',
        `expected { perTx?, daily?, decimals }, got ${typeName(entry)}`,
      );
      valid = false;
      continue;
    }
    const before = c.issues.length;
    c.unknownKeys(entry, TOKEN_LIMIT_KEYS, entryPath);
    const decimals = entry.decimals;
    if (decimals === undefined) {
      c.add(
        join(entryPath, 'decimals'),
        'REQUIRED',
        "the mint's decimals are required to convert UI-unit limits to base units",
      );
    } else if (
      typeof decimals !== 'number' ||
      !Number.isInteger(decimals) ||
      decimals < 0 ||
      decimals > 255
    ) {
      c.add(
        join(entryPath, 'decimals'),
        'INVALID_DECIMALS',
        `decimals must be an integer in 0..255, got ${JSON.stringify(decimals) ?? typeName(decimals)}`,
      );
    }
    if (entry.perTx === undefined && entry.daily === undefined) {
      c.add(entryPath, 'TOKEN_LIMIT_EMPTY', 'a token limit needs perTx, daily or both');
    }
    if (c.issues.length > before || typeof decimals !== 'number') {
      valid = false;
      continue;
    }
    const perTx =
      entry.perTx === undefined
        ? null
        : readAmount(c, entry.perTx, join(entryPath, 'perTx'), decimals);
    const daily =
      entry.daily === undefined
        ? null
        : readAmount(c, entry.daily, join(entryPath, 'daily'), decimals);
    if (c.issues.length > before) {
      valid = false;
      continue;
    }
    limits.set(mint, Object.freeze({ perTx, daily, decimals }));
  }
  return valid ? limits : null;
}

function readTimeRange(c: IssueCollector, value: unknown, path: string): TimeRange | null {
  if (!isPlainObject(value)) {
    c.add(path, 'INVALID_TYPE', `expected { days, from, to }, got ${typeName(value)}`);
    return null;
  }
  const before = c.issues.length;
  c.unknownKeys(value, TIME_RANGE_KEYS, path);
  const days = new Set<number>();
  if (value.days === undefined) c.add(join(path, 'days'), 'REQUIRED', 'days is required');
  else if (!Array.isArray(value.days))
    c.add(join(path, 'days'), 'INVALID_TYPE', `expected an array, got ${typeName(value.days)}`);
  else if (value.days.length === 0)
    c.add(join(path, 'days'), 'EMPTY_LIST', 'a range needs at least one day');
  else
    value.days.forEach((day: unknown, i) => {
      const index = typeof day === 'string' ? WEEKDAYS.indexOf(day as Weekday) : -1;
      if (index < 0)
        c.add(
          `${path}.days[${i}]`,
          'INVALID_WEEKDAY',
          `expected one of ${WEEKDAYS.join(', ')}, got ${JSON.stringify(day) ?? typeName(day)}`,
        );
      else if (days.has(index))
        c.add(`${path}.days[${i}]`, 'DUPLICATE_WEEKDAY', `duplicate day ${String(day)}`);
      else days.add(index);
    });
  const time = (key: 'from' | 'to'): number | null => {
    const text = value[key];
    if (text === undefined) {
      c.add(join(path, key), 'REQUIRED', `${key} is required (HH:MM, 24-hour)`);
      return null;
    }
    const minutes = typeof text === 'string' ? parseTimeOfDay(text, key === 'to') : null;
    if (minutes === null)
      c.add(
        join(path, key),
        'INVALID_TIME_OF_DAY',
        `expected HH:MM from 00:00 to ${key === 'to' ? '24:00' : '23:59'}, got ${JSON.stringify(text) ?? typeName(text)}`,
      );
    return minutes;
  };
  const from = time('from');
  const to = time('to');
  if (from !== null && to !== null && from === to)
    c.add(
      path,
      'EMPTY_TIME_RANGE',
      'from and to are the same time: use 00:00 to 24:00 for a whole day',
    );
  if (c.issues.length > before || from === null || to === null) return null;
  return Object.freeze({ days, from, to, overnight: to < from });
}

function readTimeWindow(c: IssueCollector, value: unknown, path: string): TimeWindow | null {
  if (!isPlainObject(value)) {
    c.add(path, 'INVALID_TYPE', `expected { timeZone, ranges }, got ${typeName(value)}`);
    return null;
  }
  const before = c.issues.length;
  c.unknownKeys(value, TIME_WINDOW_KEYS, path);
  const zone = value.timeZone;
  let clock: LocalClock | null = null;
  if (zone === undefined)
    c.add(
      join(path, 'timeZone'),
      'REQUIRED',
      'timeZone is required (an IANA name, e.g. Europe/Berlin)',
    );
  else if (typeof zone !== 'string')
    c.add(join(path, 'timeZone'), 'INVALID_TYPE', `expected a string, got ${typeName(zone)}`);
  else {
    clock = LocalClock.of(zone);
    if (clock === null)
      c.add(
        join(path, 'timeZone'),
        'INVALID_TIME_ZONE',
        `not an IANA time zone this server knows: ${JSON.stringify(zone)}`,
      );
  }
  const ranges: TimeRange[] = [];
  const list = value.ranges;
  if (list === undefined) c.add(join(path, 'ranges'), 'REQUIRED', 'ranges is required');
  else if (!Array.isArray(list))
    c.add(join(path, 'ranges'), 'INVALID_TYPE', `expected an array, got ${typeName(list)}`);
  else if (list.length === 0)
    c.add(
      join(path, 'ranges'),
      'EMPTY_LIST',
      'a time window needs at least one range: omit timeWindow for "any time"',
    );
  else if (list.length > MAX_TIME_RANGES)
    c.add(join(path, 'ranges'), 'TOO_MANY_ITEMS', `at most ${MAX_TIME_RANGES} ranges`);
  else
    list.forEach((item: unknown, i) => {
      const range = readTimeRange(c, item, `${path}.ranges[${i}]`);
      if (range !== null) ranges.push(range);
    });
  if (c.issues.length > before || clock === null) return null;
  return timeWindowOf(zone as string, clock, ranges);
}

/**
 * Validates and normalises a policy as written (REST body or `wallet_policies` row, see
 * `PolicyInput`). Never throws; returns every issue found, each with a stable `code`:
 * malformed/negative/exponent/too-precise limits (`AMOUNT_*`), bad or duplicate addresses,
 * unknown keys at any level, wrong types, `tokenLimits` for a mint missing from `allowedAssets`
 * (rejected: a limit on a mint that cannot be sent is a mistake), `approvalThreshold` without
 * `requiresApproval: true`, and an empty `allowedPrograms` list.
 *
 * @example
 * ```ts
 * const result = parsePolicy({ perTxLimit: '0.5', dailyLimit: '2', metadata: { maxTxPerHour: 10 } });
 * if (result.ok) result.policy.dailyLimit; // 2000000000n
 * else result.issues; // [{ path, code, message }, ...]
 * ```
 */
export function parsePolicy(input: unknown): ParseResult {
  const c = new IssueCollector();
  if (!isPlainObject(input)) {
    c.add('', 'INVALID_TYPE', `expected a policy object, got ${typeName(input)}`);
    return { ok: false, issues: c.issues };
  }
  c.unknownKeys(input, TOP_LEVEL_KEYS, '');

  const sol = (key: 'perTxLimit' | 'dailyLimit'): bigint | null => {
    if (input[key] === undefined) {
      c.add(key, 'REQUIRED', `${key} is required (a decimal string in SOL; "0" sends nothing)`);
      return null;
    }
    return readAmount(c, input[key], key, SOL_DECIMALS);
  };
  const perTxLimit = sol('perTxLimit');
  const dailyLimit = sol('dailyLimit');

  const allowedAssets =
    input.allowedAssets === undefined
      ? []
      : readAddressList(c, input.allowedAssets, 'allowedAssets');
  const allowedAddresses =
    input.allowedAddresses === undefined
      ? []
      : readAddressList(c, input.allowedAddresses, 'allowedAddresses');

  let requiresApproval = false;
  if (input.requiresApproval !== undefined) {
    if (typeof input.requiresApproval === 'boolean') requiresApproval = input.requiresApproval;
    else
      c.add(
        'requiresApproval',
        'INVALID_TYPE',
        `expected a boolean, got ${typeName(input.requiresApproval)}`,
      );
  }

  let tokenLimits: Map<string, TokenLimit> | null = new Map();
  let allowedPrograms: string[] | null = null;
  let approvalThreshold: bigint | null = null;
  let maxTxPerHour: number | null = null;
  let dailyWindow: DailyWindow = DEFAULT_DAILY_WINDOW;
  let timeWindow: TimeWindow | null = null;
  let delay: { threshold: Lamports; seconds: number } | null = null;

  const metadata = input.metadata;
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) {
      c.add('metadata', 'INVALID_TYPE', `expected an object, got ${typeName(metadata)}`);
    } else {
      c.unknownKeys(metadata, METADATA_KEYS, 'metadata');

      if (metadata.tokenLimits !== undefined) {
        tokenLimits = readTokenLimits(c, metadata.tokenLimits, 'metadata.tokenLimits');
        if (tokenLimits !== null && allowedAssets !== null) {
          const assets = new Set(allowedAssets);
          for (const mint of tokenLimits.keys()) {
            if (!assets.has(mint)) {
              c.add(
                `metadata.tokenLimits.${mint}`,
                'TOKEN_LIMIT_ASSET_NOT_ALLOWED',
                `mint ${mint} has limits but is not in allowedAssets`,
              );
            }
          }
        }
      }

      if (metadata.allowedPrograms !== undefined) {
        allowedPrograms = readAddressList(c, metadata.allowedPrograms, 'metadata.allowedPrograms');
        if (allowedPrograms !== null && allowedPrograms.length === 0) {
          c.add(
            'metadata.allowedPrograms',
            'EMPTY_ALLOWLIST',
            'an empty program allowlist is ambiguous: omit the key for "no restriction"',
          );
        }
      }

      if (metadata.approvalThreshold !== undefined) {
        approvalThreshold = readAmount(
          c,
          metadata.approvalThreshold,
          'metadata.approvalThreshold',
          SOL_DECIMALS,
        );
        if (input.requiresApproval !== true) {
          c.add(
            'metadata.approvalThreshold',
            'APPROVAL_THRESHOLD_WITHOUT_APPROVAL',
            'approvalThreshold only applies with requiresApproval: true',
          );
        }
      }

      const max = metadata.maxTxPerHour;
      if (max !== undefined) {
        if (typeof max !== 'number')
          c.add(
            'metadata.maxTxPerHour',
            'INVALID_TYPE',
            `expected an integer, got ${typeName(max)}`,
          );
        else if (!Number.isSafeInteger(max) || max < 0)
          c.add('metadata.maxTxPerHour', 'INVALID_INTEGER', `expected an integer >= 0, got ${max}`);
        else maxTxPerHour = max;
      }

      const window = metadata.dailyWindow;
      if (window !== undefined) {
        if (typeof window !== 'string')
          c.add(
            'metadata.dailyWindow',
            'INVALID_TYPE',
            `expected a string, got ${typeName(window)}`,
          );
        else if (!DAILY_WINDOWS.includes(window))
          c.add(
            'metadata.dailyWindow',
            'INVALID_ENUM',
            `expected one of ${DAILY_WINDOWS.join(', ')}, got ${JSON.stringify(window)}`,
          );
        else dailyWindow = window as DailyWindow;
      }

      if (metadata.timeWindow !== undefined)
        timeWindow = readTimeWindow(c, metadata.timeWindow, 'metadata.timeWindow');

      delay = readDelay(c, metadata);
    }
  }

  if (c.issues.length > 0) return { ok: false, issues: c.issues };
  const policy: Policy = Object.freeze({
    perTxLimit: perTxLimit as Lamports,
    dailyLimit: dailyLimit as Lamports,
    allowedAssets: new Set(allowedAssets),
    allowedAddresses: new Set(allowedAddresses),
    requiresApproval,
    approvalThreshold: approvalThreshold as Lamports | null,
    tokenLimits: tokenLimits ?? new Map<string, TokenLimit>(),
    allowedPrograms: allowedPrograms === null ? null : new Set(allowedPrograms),
    maxTxPerHour,
    dailyWindow,
    timeWindow,
    delay,
  });
  return { ok: true, policy };
}

/**
 * `delayThreshold` and `delaySeconds` come together: one without the other is refused
 * (`DELAY_INCOMPLETE`), since a threshold without a duration (or the reverse) says nothing.
 */
function readDelay(
  c: IssueCollector,
  metadata: Record<string, unknown>,
): { threshold: Lamports; seconds: number } | null {
  const rawThreshold = metadata.delayThreshold;
  const rawSeconds = metadata.delaySeconds;
  if (rawThreshold === undefined && rawSeconds === undefined) return null;
  const threshold =
    rawThreshold === undefined
      ? null
      : readAmount(c, rawThreshold, 'metadata.delayThreshold', SOL_DECIMALS);
  let seconds: number | null = null;
  if (rawSeconds !== undefined) {
    if (typeof rawSeconds !== 'number')
      c.add(
        'metadata.delaySeconds',
        'INVALID_TYPE',
        `expected an integer, got ${typeName(rawSeconds)}`,
      );
    else if (!Number.isSafeInteger(rawSeconds) || rawSeconds < 1 || rawSeconds > MAX_DELAY_SECONDS)
      c.add(
        'metadata.delaySeconds',
        'INVALID_INTEGER',
        `expected an integer in 1..${MAX_DELAY_SECONDS}, got ${rawSeconds}`,
      );
    else seconds = rawSeconds;
  }
  if (rawThreshold === undefined || rawSeconds === undefined) {
    const missing = rawThreshold === undefined ? 'delayThreshold' : 'delaySeconds';
    c.add(
      `metadata.${missing}`,
      'DELAY_INCOMPLETE',
      'delayThreshold and delaySeconds must be set together',
    );
    return null;
  }
  return threshold === null || seconds === null
    ? null
    : { threshold: threshold as Lamports, seconds };
}

/**
 * The error `assertPolicy` throws: a `PolicyEngineError` with code `INVALID_POLICY` (the package
 * has one error class; this alias only names the case).
 *
 * @example
 * ```ts
 * function issuesOf(e: PolicyError) { return e.context.issues; }
 * ```
 */
export type PolicyError = PolicyEngineError<'INVALID_POLICY'>;

/**
 * Throwing variant of `parsePolicy`: returns the policy or throws `PolicyEngineError`
 * `INVALID_POLICY` whose `context.issues` lists every issue.
 *
 * @example
 * ```ts
 * const policy = assertPolicy({ perTxLimit: '1', dailyLimit: '10', allowedAddresses: [] });
 * ```
 */
export function assertPolicy(input: unknown): Policy {
  const result = parsePolicy(input);
  if (result.ok) return result.policy;
  const summary = result.issues.map((i) => `${i.path || '(root)'}: ${i.code}`).join('; ');
  throw new PolicyEngineError(
    'INVALID_POLICY',
    { issues: result.issues },
    `invalid policy: ${summary}`,
  );
}

/**
 * Turns a parsed policy back into the wire/DB shape (decimal strings, arrays, `metadata`).
 * Canonical: amounts are formatted without trailing zeros, optional metadata keys appear only
 * when set, and `dailyWindow` is always written. `parsePolicy(serializePolicy(p))` is equal to `p`.
 *
 * @example
 * ```ts
 * serializePolicy(assertPolicy({ perTxLimit: '1.50', dailyLimit: '3' }));
 * // { perTxLimit: '1.5', dailyLimit: '3', allowedAssets: [], allowedAddresses: [],
 * //   requiresApproval: false, metadata: { dailyWindow: 'ROLLING_24H' } }
 * ```
 */
export function serializePolicy(
  policy: Policy,
): Required<Omit<PolicyInput, 'metadata'>> & { metadata: PolicyMetadataInput } {
  const metadata: PolicyMetadataInput = {};
  if (policy.tokenLimits.size > 0) {
    const tokenLimits: Record<string, TokenLimitInput> = {};
    for (const [mint, limit] of policy.tokenLimits) {
      const entry: TokenLimitInput = { decimals: limit.decimals };
      if (limit.perTx !== null) entry.perTx = formatUiAmount(limit.perTx, limit.decimals);
      if (limit.daily !== null) entry.daily = formatUiAmount(limit.daily, limit.decimals);
      tokenLimits[mint] = entry;
    }
    metadata.tokenLimits = tokenLimits;
  }
  if (policy.allowedPrograms !== null) metadata.allowedPrograms = [...policy.allowedPrograms];
  if (policy.approvalThreshold !== null)
    metadata.approvalThreshold = formatUiAmount(policy.approvalThreshold, SOL_DECIMALS);
  if (policy.maxTxPerHour !== null) metadata.maxTxPerHour = policy.maxTxPerHour;
  metadata.dailyWindow = policy.dailyWindow;
  if (policy.delay !== null) {
    metadata.delayThreshold = formatUiAmount(policy.delay.threshold, SOL_DECIMALS);
    metadata.delaySeconds = policy.delay.seconds;
  }
  if (policy.timeWindow !== null) {
    metadata.timeWindow = {
      timeZone: policy.timeWindow.timeZone,
      ranges: policy.timeWindow.ranges.map((r) => ({
        days: WEEKDAYS.filter((_, i) => r.days.has(i)),
        from: formatTimeOfDay(r.from),
        to: formatTimeOfDay(r.to),
      })),
    };
  }
  return {
    perTxLimit: formatUiAmount(policy.perTxLimit, SOL_DECIMALS),
    dailyLimit: formatUiAmount(policy.dailyLimit, SOL_DECIMALS),
    allowedAssets: [...policy.allowedAssets],
    allowedAddresses: [...policy.allowedAddresses],
    requiresApproval: policy.requiresApproval,
    metadata,
  };
}
