/**
 * The coded-error base every WAIaaS package builds its one error class on (after
 * `@solana/kit`'s errors): a stable string `code` that callers switch on, a `context` typed per
 * code, and a human message kept apart from both. Codes are part of each package's public API:
 * never renamed once shipped, only added. Each package declares its own code → context table
 * and a subclass naming it.
 *
 * @example
 * ```ts
 * interface FooErrorContext { FOO_MISSING: { id: string } }
 * class FooError<C extends keyof FooErrorContext = keyof FooErrorContext> extends CodedError<FooErrorContext, C> {
 *   override readonly name = 'FooError';
 * }
 * const e = new FooError('FOO_MISSING', { id: '1' }, 'foo 1 is missing');
 * e.context.id; // '1'
 * ```
 */
export abstract class CodedError<
  TContext extends object,
  C extends keyof TContext & string = keyof TContext & string,
> extends Error {
  readonly code: C;
  readonly context: TContext[C];

  constructor(code: C, context: TContext[C], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.context = context;
  }
}

/**
 * True when `error` is a {@link CodedError} of any package, optionally with the given code.
 *
 * @example
 * ```ts
 * if (isCodedError(e)) logger.warn({ code: e.code }, e.message);
 * ```
 */
export function isCodedError(
  error: unknown,
  code?: string,
): error is CodedError<Record<string, unknown>, string> {
  return error instanceof CodedError && (code === undefined || error.code === code);
}
