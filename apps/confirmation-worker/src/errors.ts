import { CodedError } from '@waiaas/shared';

/**
 * The one coded error class of `@waiaas/confirmation-worker` (see
 * docs/decisions/coded-errors.md). Codes are
 * stable: operators alert on them and they are never renamed once shipped.
 *
 * @example
 * ```ts
 * const context: WorkerErrorContext['WORKER_CONFIG_INVALID'] = { variable: 'BATCH_SIZE', reason: 'too big' };
 * ```
 */
export interface WorkerErrorContext {
  /** An environment variable is missing or malformed; start-up stops. */
  WORKER_CONFIG_INVALID: { variable: string; reason: string };
  /** PostgreSQL did not answer at start-up. */
  WORKER_DATABASE_UNREACHABLE: { cause: string };
  /** A webhook signature header is malformed, too old, or does not match the body. */
  WORKER_WEBHOOK_SIGNATURE_INVALID: {
    reason: 'MALFORMED' | 'TIMESTAMP_OUT_OF_TOLERANCE' | 'MISMATCH';
  };
}

/**
 * The stable error codes.
 *
 * @example
 * ```ts
 * const code: WorkerErrorCode = 'WORKER_DATABASE_UNREACHABLE';
 * ```
 */
export type WorkerErrorCode = keyof WorkerErrorContext;

const MESSAGES: { [C in WorkerErrorCode]: (context: WorkerErrorContext[C]) => string } = {
  WORKER_CONFIG_INVALID: (c) => `Invalid configuration: ${c.variable} ${c.reason}.`,
  WORKER_DATABASE_UNREACHABLE: (c) => `PostgreSQL is unreachable: ${c.cause}.`,
  WORKER_WEBHOOK_SIGNATURE_INVALID: (c) => `Webhook signature rejected (${c.reason}).`,
};

/**
 * @example
 * ```ts
 * try { loadConfig(process.env); }
 * catch (e) { if (isWorkerError(e, 'WORKER_CONFIG_INVALID')) console.error(e.context.variable); }
 * ```
 */
export class WorkerError<C extends WorkerErrorCode = WorkerErrorCode> extends CodedError<
  WorkerErrorContext,
  C
> {
  override readonly name = 'WorkerError';

  constructor(code: C, context: WorkerErrorContext[C]) {
    super(code, context, MESSAGES[code](context));
  }
}

/**
 * Narrows `error` to a {@link WorkerError}, optionally with a given code.
 *
 * @example
 * ```ts
 * if (isWorkerError(e, 'WORKER_WEBHOOK_SIGNATURE_INVALID')) return res.writeHead(400).end();
 * ```
 */
export function isWorkerError<C extends WorkerErrorCode>(
  error: unknown,
  code?: C,
): error is WorkerError<C> {
  return error instanceof WorkerError && (code === undefined || error.code === code);
}
