import { type ApprovalExpiryRepository } from '@waiaas/database';
import { type Logger } from 'pino';

/**
 * The approval expiry sweep: moves AWAITING_APPROVAL transfers past their `expires_at` to
 * EXPIRED (each with a `transaction.expired` event and its webhook deliveries), which releases
 * the budget they held at once. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so the sweeps of
 * several worker replicas take disjoint rows, and one an owner is approving right now is left to
 * that approval (which refuses it past its expiry).
 *
 * @example
 * ```ts
 * const sweep = new ApprovalExpirySweep({ approvals: new ApprovalExpiryRepository(prisma), logger, onOutbox }, { batchSize: 500 });
 * await sweep.runOnce(new Date());
 * ```
 */
export class ApprovalExpirySweep {
  constructor(
    private readonly deps: {
      approvals: Pick<ApprovalExpiryRepository, 'expireDue'>;
      logger: Logger;
      /** Called when expiries wrote webhook deliveries (wakes the webhook loop). */
      onOutbox?: () => void;
    },
    private readonly options: { batchSize: number },
  ) {}

  /** One batch; returns how many transfers expired (a full batch means there may be more). */
  async runOnce(now: Date): Promise<number> {
    const { expired, deliveries } = await this.deps.approvals.expireDue(
      now,
      this.options.batchSize,
    );
    if (expired.length > 0) {
      this.deps.logger.info(
        { expired: expired.length, ids: expired.map((e) => e.id) },
        'approvals_expired',
      );
    }
    if (deliveries > 0) this.deps.onOutbox?.();
    return expired.length;
  }
}
