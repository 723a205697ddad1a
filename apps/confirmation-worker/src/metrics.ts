import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Transitions the worker makes; `reason` is the failure reason or `none`.
 *
 * @example
 * ```ts
 * metrics.transition({ from: 'SUBMITTED', to: 'FAILED', reason: 'EXPIRED' });
 * ```
 */
export type Transition = {
  from: 'PENDING' | 'SUBMITTED';
  to: 'SUBMITTED' | 'CONFIRMED' | 'FAILED' | 'CANCELLED';
  reason?: string;
};

/**
 * The worker's Prometheus metrics on their own registry (so several workers in one process,
 * as in tests, do not collide on the global one).
 *
 * @example
 * ```ts
 * const metrics = new WorkerMetrics({ oldestAges: () => repo.oldestAges() });
 * metrics.transition({ from: 'PENDING', to: 'SUBMITTED' }, 3);
 * const text = await metrics.registry.metrics();
 * ```
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly transitions: Counter<'from' | 'to' | 'reason'>;
  private readonly rpcDuration: Histogram<'method'>;
  private readonly rpcErrors: Counter<'method'>;
  private readonly sends: Counter<'kind'>;
  private readonly webhooks: Counter<'outcome'>;

  constructor(
    sources: { oldestAges: () => Promise<{ PENDING: number; SUBMITTED: number }> },
    options: { defaultMetrics?: boolean } = {},
  ) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.transitions = new Counter({
      name: 'waiaas_worker_transitions_total',
      help: 'Transaction state transitions made by this worker.',
      labelNames: ['from', 'to', 'reason'],
      registers: [this.registry],
    });
    this.rpcDuration = new Histogram({
      name: 'waiaas_worker_rpc_duration_seconds',
      help: 'Solana RPC call latency, retries included.',
      labelNames: ['method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.rpcErrors = new Counter({
      name: 'waiaas_worker_rpc_errors_total',
      help: 'Solana RPC calls that failed after retries.',
      labelNames: ['method'],
      registers: [this.registry],
    });
    this.sends = new Counter({
      name: 'waiaas_worker_sends_total',
      help: 'sendTransaction attempts of stored bytes: first sends and rebroadcasts.',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    this.webhooks = new Counter({
      name: 'waiaas_worker_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry, gave_up).',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'waiaas_worker_oldest_age_seconds',
      help: 'Age of the oldest PENDING / SUBMITTED transaction (worker lag), read from PostgreSQL at scrape time.',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const ages = await sources.oldestAges();
        this.set({ status: 'PENDING' }, ages.PENDING);
        this.set({ status: 'SUBMITTED' }, ages.SUBMITTED);
      },
    });
  }

  transition(t: Transition, count = 1): void {
    if (count > 0)
      this.transitions.inc({ from: t.from, to: t.to, reason: t.reason ?? 'none' }, count);
  }

  send(kind: 'first' | 'rebroadcast', count = 1): void {
    if (count > 0) this.sends.inc({ kind }, count);
  }

  webhook(outcome: 'delivered' | 'retry' | 'gave_up'): void {
    this.webhooks.inc({ outcome });
  }

  /** Times an RPC call, counting it as an error when it throws. */
  async rpc<T>(method: string, call: () => Promise<T>): Promise<T> {
    const end = this.rpcDuration.startTimer({ method });
    try {
      return await call();
    } catch (e) {
      this.rpcErrors.inc({ method });
      throw e;
    } finally {
      end();
    }
  }
}
