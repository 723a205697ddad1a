import { callChild } from './child.js';

/**
 * One kind of request, as data (it crosses a process boundary): the generator sends
 * `method` to `paths[i % paths.length]` for the i-th request it makes.
 *
 * @example
 * ```ts
 * const spec: RequestSpec = {
 *   method: 'POST',
 *   paths: walletIds.map((id) => `/v1/wallets/${id}/transfers`),
 *   headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json' },
 *   body: JSON.stringify({ to, amount: '0.000001' }),
 *   uniqueIdempotencyKeys: true,
 * };
 * ```
 */
export interface RequestSpec {
  method: 'GET' | 'POST';
  paths: readonly string[];
  headers?: Record<string, string>;
  body?: string;
  /** Each request gets its own `Idempotency-Key` header. */
  uniqueIdempotencyKeys?: boolean;
  /**
   * Keep, for every 201, when the response arrived (epoch ms, sub-millisecond) and the
   * `transaction.id` of its body: the POST → SUBMITTED latency is measured from these.
   */
  recordCreated?: boolean;
}

/**
 * One load run.
 *
 * @example
 * ```ts
 * const spec: LoadSpec = { url: 'http://127.0.0.1:37003', connections: 64, durationSec: 10, request: { method: 'GET', paths: ['/'] } };
 * ```
 */
export interface LoadSpec {
  url: string;
  connections: number;
  durationSec: number;
  request: RequestSpec;
  /** Requests per second over all connections (default: as fast as answers come). */
  overallRate?: number;
  /** Stop after this many requests instead of after `durationSec`. */
  amount?: number;
}

/**
 * What a load run measured.
 *
 * @example
 * ```ts
 * const r: LoadResult = await runLoad(spec);
 * console.log(`${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, ${r.non2xx} non-2xx`);
 * ```
 */
export interface LoadResult {
  /** Responses per second over the run (all of them; `non2xx` says how many were not 2xx). */
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  /** Connection errors and timeouts (no response at all). */
  errors: number;
  statusCodes: Record<string, number>;
  /** With `recordCreated`: [arrival epoch ms, transaction id] per 201. */
  created: [number, string][];
  /** First bodies of non-2xx answers (at most 3), to say what went wrong. */
  sampleErrors: string[];
}

/**
 * Runs autocannon in a process of its own (`load-child.js`), so the generator never shares an
 * event loop with what it measures, and resolves with its figures once the child has exited.
 *
 * @example
 * ```ts
 * const result = await runLoad({ url, connections: 64, durationSec: 10, request: { method: 'GET', paths: ['/'] } });
 * ```
 */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return callChild<LoadSpec, LoadResult>('load-child.js', spec);
}
