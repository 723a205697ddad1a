import { type Logger } from 'pino';
import { type WorkerRepository } from '@waiaas/database';
import type { Chain } from './chain.js';
import type { ClaimObserver } from './claim-observer.js';
import type { WorkerMetrics } from './metrics.js';

/**
 * @example
 * ```ts
 * const options: SubmitterOptions = { batchSize: 100, retryAfterMs: 2_000 };
 * ```
 */
export interface SubmitterOptions {
  batchSize: number;
  /** A PENDING row whose send failed is not claimed again before this (ms). */
  retryAfterMs: number;
}

/**
 * What a {@link Submitter} works with, given explicitly.
 *
 * @example
 * ```ts
 * const deps: SubmitterDeps = { repository: new WorkerRepository(prisma), chain, metrics, logger };
 * ```
 */
export interface SubmitterDeps {
  repository: WorkerRepository;
  chain: Chain;
  metrics: WorkerMetrics;
  logger: Logger;
  observer?: ClaimObserver;
  /** Called after a commit that created webhook deliveries. */
  onOutbox?: () => void;
}

/**
 * PENDING → SUBMITTED: claims a batch, sends each row's stored signed bytes once, and records
 * the attempt and the transition (with its `transaction.submitted` event) in the claim's
 * database transaction.
 *
 * Crash safety: the send happens before the commit. A crash between them leaves the row
 * PENDING, and whoever claims it next sends the identical bytes again; they carry the same
 * signature, which a cluster never executes twice. The row moves to SUBMITTED after the
 * first attempt whatever the RPC answered: from then on the {@link Confirmer} rebroadcasts it
 * while its blockhash is valid and expires it when it no longer is, so a transaction whose
 * sends keep failing still ends terminal.
 *
 * @example
 * ```ts
 * const submitter = new Submitter({ repository, chain, metrics, logger }, { batchSize: 100, retryAfterMs: 2_000 });
 * const claimed = await submitter.runOnce();
 * ```
 */
export class Submitter {
  constructor(
    private readonly deps: SubmitterDeps,
    private readonly options: SubmitterOptions,
  ) {}

  /** Submits one batch; resolves to the number of rows claimed (0: nothing to do). */
  async runOnce(): Promise<number> {
    const { repository, chain, metrics, logger, observer } = this.deps;
    const outcome = await repository.withClaimedPending(
      { limit: this.options.batchSize, retryAfterMs: this.options.retryAfterMs },
      async (claimed, unit) => {
        let rows = claimed;
        const ids = claimed.map((r) => r.id);
        observer?.claimed('submit', ids);
        try {
          // A freeze that committed after these rows were stored: cancelled, never sent.
          const frozen = rows.filter((r) => r.frozen);
          const cancelled = await unit.markCancelled(frozen.map((r) => r.id));
          rows = rows.filter((r) => !r.frozen);
          // One request per row, all at once: the batch size bounds the concurrency.
          const sends = await Promise.allSettled(rows.map((r) => chain.send(r.wireTransaction)));
          const rejected = sends.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
          if (rejected.length > 0) {
            logger.warn(
              { failed: rejected.length, of: rows.length, err: rejected[0]?.reason as unknown },
              'submit_send_failed',
            );
          }
          metrics.send('first', rows.length - rejected.length);
          const result = await unit.markSubmitted(rows.map((r) => r.id));
          return {
            claimed: ids.length,
            moved: result.moved.length,
            cancelled: cancelled.moved.length,
            deliveries: result.deliveries + cancelled.deliveries,
          };
        } finally {
          observer?.released('submit', ids);
        }
      },
    );
    if (outcome === undefined) return 0;
    metrics.transition({ from: 'PENDING', to: 'SUBMITTED' }, outcome.moved);
    metrics.transition({ from: 'PENDING', to: 'CANCELLED' }, outcome.cancelled);
    if (outcome.cancelled > 0)
      logger.info({ cancelled: outcome.cancelled }, 'frozen_transactions_cancelled');
    if (outcome.moved > 0) logger.debug({ submitted: outcome.moved }, 'transactions_submitted');
    if (outcome.deliveries > 0) this.deps.onOutbox?.();
    return outcome.claimed;
  }
}
