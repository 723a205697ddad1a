import { CodedError } from '@waiaas/shared';

/**
 * Stable codes for every error this package throws to its callers. JSON-RPC errors sent to
 * clients over the wire are protocol responses (see `json-rpc.ts`), not these.
 * Codes are never renamed once shipped.
 *
 * @example
 * ```ts
 * const known = (LOCAL_LEDGER_ERROR_CODES as readonly string[]).includes(code);
 * ```
 */
export const LOCAL_LEDGER_ERROR_CODES = [
  'LOCAL_LEDGER_INVALID_OPTION',
  'LOCAL_LEDGER_LISTEN_FAILED',
  'LOCAL_LEDGER_CLOSED',
] as const;

/**
 * One of {@link LOCAL_LEDGER_ERROR_CODES}.
 *
 * @example
 * ```ts
 * const code: LocalLedgerErrorCode = 'LOCAL_LEDGER_LISTEN_FAILED';
 * ```
 */
export type LocalLedgerErrorCode = (typeof LOCAL_LEDGER_ERROR_CODES)[number];

/**
 * Typed context carried by each code.
 *
 * @example
 * ```ts
 * const ctx: LocalLedgerErrorContext['LOCAL_LEDGER_LISTEN_FAILED'] = { host: '127.0.0.1', port: 8899, cause: 'EADDRINUSE' };
 * ```
 */
export interface LocalLedgerErrorContext {
  LOCAL_LEDGER_INVALID_OPTION: { option: string; value: unknown; reason: string };
  LOCAL_LEDGER_LISTEN_FAILED: { host: string; port: number; cause: string };
  LOCAL_LEDGER_CLOSED: { operation: string };
}

/**
 * The one error class of `@waiaas/local-ledger`: a stable `code`, a typed `context`, and a
 * human message kept apart from the code.
 *
 * @example
 * ```ts
 * try { await startLocalLedger({ port: 8899 }); }
 * catch (e) { if (isLocalLedgerError(e, 'LOCAL_LEDGER_LISTEN_FAILED')) console.error(e.context.port); }
 * ```
 */
export class LocalLedgerError<
  C extends LocalLedgerErrorCode = LocalLedgerErrorCode,
> extends CodedError<LocalLedgerErrorContext, C> {
  override readonly name = 'LocalLedgerError';
}

/**
 * True when `error` is a {@link LocalLedgerError}, optionally with the given code; narrows
 * `context` to that code's shape.
 *
 * @example
 * ```ts
 * if (isLocalLedgerError(e, 'LOCAL_LEDGER_INVALID_OPTION')) console.error(e.context.option);
 * ```
 */
export function isLocalLedgerError<C extends LocalLedgerErrorCode>(
  error: unknown,
  code?: C,
): error is LocalLedgerError<C> {
  return error instanceof LocalLedgerError && (code === undefined || error.code === code);
}
