import {
  SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR,
  SolanaError,
  type RpcResponse,
  type RpcTransport,
} from '@solana/kit';
import { parseJsonWithBigInts, stringifyJsonWithBigInts } from '@solana/rpc-spec-types';
import { attemptSignal, isTransientRpcError } from '@waiaas/solana-signer/rpc';
import pRetry from 'p-retry';

/**
 * Options of {@link createBatchingTransport}.
 *
 * @example
 * ```ts
 * const options: BatchingTransportOptions = { url: 'http://127.0.0.1:8899', maxBatch: 100, timeoutMs: 5_000, retries: 2 };
 * ```
 */
export interface BatchingTransportOptions {
  url: string;
  /** Most calls in one HTTP request; 1 sends every call on its own. */
  maxBatch: number;
  /** Per-attempt timeout of one HTTP request. */
  timeoutMs: number;
  /** Retries of a request that failed transiently (network, timeout, HTTP 429/5xx). */
  retries: number;
  /** First backoff delay (doubled per retry); default 200 ms. */
  minBackoffMs?: number;
}

interface Pending {
  payload: { id?: unknown };
  signal: AbortSignal | undefined;
  resolve: (response: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * A kit {@link RpcTransport} that sends the calls made in the same turn of the event loop as
 * one JSON-RPC 2.0 batch (one HTTP request, `maxBatch` calls at most), so the worker's 100
 * `sendTransaction` of a claimed batch, or its `getTransaction` of a confirmed page, cost the
 * node one request instead of a hundred. The calls stay kit calls (typed, with kit's response
 * transformers); only the HTTP layer is shared.
 *
 * Written here because kit has no batching transport. Same contract as `createRpc` from
 * `@waiaas/solana-signer/rpc`: each attempt has a timeout, transient failures (network, our
 * timeout, HTTP 429 / 5xx) are retried with backoff, and a failed request fails every call in
 * it with kit's own error. Resending a batch is safe for the same reason a retry is: signed
 * bytes sent again carry the same signature, which a cluster executes at most once.
 * Integers in answers are parsed exactly (`parseJsonWithBigInts`), as kit's HTTP transport does.
 *
 * @example
 * ```ts
 * const rpc = createSolanaRpcFromTransport(createBatchingTransport({ url, maxBatch: 100, timeoutMs: 5_000, retries: 2 }));
 * await Promise.all(wires.map((w) => rpc.sendTransaction(w, { encoding: 'base64' }).send())); // one HTTP request
 * ```
 */
export function createBatchingTransport(options: BatchingTransportOptions): RpcTransport {
  let queue: Pending[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const calls = queue;
    queue = [];
    for (let i = 0; i < calls.length; i += options.maxBatch)
      void post(options, calls.slice(i, i + options.maxBatch));
  };

  const transport = <TResponse>({ payload, signal }: Parameters<RpcTransport>[0]) =>
    new Promise<RpcResponse<TResponse>>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(abortReason(signal));
        return;
      }
      queue.push({
        payload: payload as { id?: unknown },
        signal,
        resolve: resolve as (response: unknown) => void,
        reject,
      });
      if (!scheduled) {
        scheduled = true;
        // After the current macrotask: every call made by a `Promise.all(rows.map(...))`,
        // including from microtasks, lands in the same request.
        setImmediate(flush);
      }
    });
  return transport;
}

/** The reason an aborted call is rejected with: the signal's own, when it is an Error. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('the RPC call was aborted');
}

async function post(options: BatchingTransportOptions, calls: Pending[]): Promise<void> {
  const live = calls.filter((c) => {
    if (c.signal?.aborted !== true) return true;
    c.reject(abortReason(c.signal));
    return false;
  });
  if (live.length === 0) return;
  // Ids are the positions in this request; each call gets its own id back in its answer.
  const single = live.length === 1;
  const body = single
    ? stringifyJsonWithBigInts({ ...live[0]!.payload, id: 0 })
    : stringifyJsonWithBigInts(live.map((c, i) => ({ ...c.payload, id: i })));
  try {
    const text = await pRetry(() => attempt(options, body), {
      retries: options.retries,
      minTimeout: options.minBackoffMs ?? 200,
      factor: 2,
      maxTimeout: 5_000,
      shouldRetry: ({ error }) =>
        error instanceof AttemptFailure && isTransientRpcError(error.original),
    }).catch((e: unknown) => {
      throw e instanceof AttemptFailure ? e.original : e;
    });
    const parsed = parseJsonWithBigInts(text);
    const answers = Array.isArray(parsed)
      ? (parsed as { id?: unknown }[])
      : [parsed as { id?: unknown }];
    const byId = new Map<number, { id?: unknown }>();
    for (const answer of answers) {
      // Ids went out as small integers and come back as bigints from the exact parser.
      const id = typeof answer.id === 'bigint' ? Number(answer.id) : answer.id;
      if (typeof id === 'number') byId.set(id, answer);
    }
    // A node that refuses a whole batch (unhealthy, invalid request) answers one error
    // object: every call in it gets that error, as kit would have raised it for each.
    const wholeBatch = !Array.isArray(parsed) ? answers[0] : undefined;
    live.forEach((call, i) => {
      const answer = byId.get(i) ?? (single ? answers[0] : wholeBatch);
      if (answer === undefined) {
        call.reject(new Error('the RPC node answered the batch without this call'));
        return;
      }
      call.resolve({ ...answer, id: call.payload.id });
    });
  } catch (error) {
    for (const call of live) call.reject(error);
  }
}

/** Carries any failure through p-retry (which only retries its own realm's `Error`s) and back out. */
class AttemptFailure extends Error {
  constructor(readonly original: unknown) {
    super('RPC attempt failed');
  }
}

async function attempt(options: BatchingTransportOptions, body: string): Promise<string> {
  const timeout = attemptSignal(options.timeoutMs);
  try {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json; charset=utf-8' },
      body,
      signal: timeout.signal,
    });
    if (!response.ok) {
      await response.arrayBuffer().catch(() => undefined);
      throw new SolanaError(SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR, {
        headers: response.headers,
        message: response.statusText,
        statusCode: response.status,
      });
    }
    return await response.text();
  } catch (error) {
    throw new AttemptFailure(error);
  } finally {
    timeout.done();
  }
}
