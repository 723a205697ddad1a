import {
  type Rpc,
  type RpcResponse,
  type RpcTransport,
  type SolanaRpcApi,
  SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR,
  createDefaultRpcTransport,
  createSolanaRpcFromTransport,
  isSolanaError,
} from '@solana/kit';
import pRetry from 'p-retry';

/**
 * Options for {@link createRpc}.
 *
 * @example
 * ```ts
 * const options: RpcOptions = { url: process.env.SOLANA_RPC_URL!, timeoutMs: 5_000, retries: 2 };
 * ```
 */
export interface RpcOptions {
  /** JSON-RPC endpoint, e.g. `https://api.mainnet-beta.solana.com` or `http://127.0.0.1:8899`. */
  url: string;
  /** Per-attempt timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Retries after the first attempt, on transient failures only (default 3). */
  retries?: number;
  /** First backoff delay in milliseconds, doubled per retry (default 200). */
  minBackoffMs?: number;
  /** Extra HTTP headers (e.g. a provider API key). */
  headers?: Parameters<typeof createDefaultRpcTransport>[0]['headers'];
}

/**
 * True for failures worth retrying: the network (fetch failed, connection reset), our own
 * per-attempt timeout, and HTTP 429 / 5xx from the RPC node. JSON-RPC errors (HTTP 200 with
 * an `error` body: preflight failure, invalid params...) are answers, not transient failures.
 *
 * @example
 * ```ts
 * if (isTransientRpcError(e)) scheduleRetry();
 * ```
 */
export function isTransientRpcError(e: unknown): boolean {
  if (isSolanaError(e, SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR)) {
    const status = e.context.statusCode;
    return status === 429 || status >= 500;
  }
  // Duck-typed: fetch's errors may come from another realm (test sandboxes), where
  // `instanceof Error` is false. undici reports every network failure as `fetch failed`.
  const { name, message } = (typeof e === 'object' && e !== null ? e : {}) as {
    name?: unknown;
    message?: unknown;
  };
  return (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    (name === 'TypeError' && message === 'fetch failed')
  );
}

/**
 * The signal of one RPC attempt: aborted with a `TimeoutError` (which
 * {@link isTransientRpcError} retries) after `timeoutMs`, or when `caller` aborts. Call
 * `done()` when the attempt ends: unlike `AbortSignal.timeout()`, whose timer runs for the
 * whole timeout after the answer came and keeps the signal, and what fetch hung on it (the
 * request, its body streams), alive until then, this one's timer is cleared.
 *
 * @example
 * ```ts
 * const attempt = attemptSignal(5_000);
 * try { await fetch(url, { signal: attempt.signal }); } finally { attempt.done(); }
 * ```
 */
export function attemptSignal(
  timeoutMs: number,
  caller?: AbortSignal,
): { signal: AbortSignal; done: () => void } {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new DOMException('The RPC attempt timed out', 'TimeoutError')),
    timeoutMs,
  );
  return {
    signal: caller ? AbortSignal.any([caller, timeout.signal]) : timeout.signal,
    done: () => clearTimeout(timer),
  };
}

/** Carries any failure through p-retry (which only retries `Error`s of its own realm) and back out unchanged. */
class AttemptFailure extends Error {
  constructor(readonly original: unknown) {
    super('RPC attempt failed');
  }
}

/**
 * A kit RPC client for `url` whose transport gives each attempt a timeout and retries
 * transient failures ({@link isTransientRpcError}) with exponential backoff.
 *
 * Retrying is safe for every method this service uses, `sendTransaction` included: a signed
 * transaction re-sent with identical bytes has the same signature and the cluster processes
 * it at most once, so a retry can only deliver it, never double-spend. A caller's own
 * `abortSignal` stops retries at once.
 *
 * @example
 * ```ts
 * const rpc = createRpc({ url: 'http://127.0.0.1:8899', timeoutMs: 5_000, retries: 2 });
 * const { value: lamports } = await rpc.getBalance(address).send();
 * ```
 */
export function createRpc(options: RpcOptions): Rpc<SolanaRpcApi> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 3;
  const base = createDefaultRpcTransport({
    url: options.url,
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const transport: RpcTransport = <TResponse>(config: Parameters<RpcTransport>[0]) =>
    pRetry<RpcResponse<TResponse>>(
      async () => {
        const attempt = attemptSignal(timeoutMs, config.signal);
        try {
          return await base<TResponse>({ ...config, signal: attempt.signal });
        } catch (e) {
          throw new AttemptFailure(e);
        } finally {
          attempt.done();
        }
      },
      {
        retries,
        minTimeout: options.minBackoffMs ?? 200,
        factor: 2,
        maxTimeout: 5_000,
        ...(config.signal ? { signal: config.signal } : {}),
        shouldRetry: ({ error }) =>
          !config.signal?.aborted &&
          error instanceof AttemptFailure &&
          isTransientRpcError(error.original),
      },
    ).catch((e: unknown) => {
      throw e instanceof AttemptFailure ? e.original : e;
    });
  return createSolanaRpcFromTransport(transport);
}
