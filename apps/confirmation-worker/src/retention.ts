import { type IdempotencyRepository, type WebhookDeliveryRepository } from '@waiaas/database';
import { type Logger } from 'pino';

const DAY_MS = 86_400_000;

/**
 * Retention (docs/architecture.md, operations): deletes idempotency records past their expiry (kept ≥ 24 h by the API)
 * and webhook deliveries delivered more than `deliveryDays` ago. The events they point at are
 * the audit log and are never deleted. Deletes in bounded batches so one run never holds long
 * locks; several workers running it at once only share the work.
 *
 * @example
 * ```ts
 * const retention = new Retention({ idempotency, deliveries, logger }, { deliveryDays: 30 });
 * await retention.runOnce(new Date());
 * ```
 */
export class Retention {
  constructor(
    private readonly deps: {
      idempotency: Pick<IdempotencyRepository, 'deleteExpired'>;
      deliveries: Pick<WebhookDeliveryRepository, 'deleteDeliveredBefore'>;
      logger: Logger;
    },
    private readonly options: { deliveryDays: number; batchSize?: number },
  ) {}

  /** One pass; returns how many rows went. */
  async runOnce(now: Date): Promise<{ idempotencyRecords: number; deliveries: number }> {
    const batch = this.options.batchSize ?? 10_000;
    const before = new Date(now.getTime() - this.options.deliveryDays * DAY_MS);
    let idempotencyRecords = 0;
    let deliveries = 0;
    let n: number;
    do {
      n = await this.deps.idempotency.deleteExpired(now, batch);
      idempotencyRecords += n;
    } while (n === batch);
    do {
      n = await this.deps.deliveries.deleteDeliveredBefore(before, batch);
      deliveries += n;
    } while (n === batch);
    if (idempotencyRecords + deliveries > 0) {
      this.deps.logger.info({ idempotencyRecords, deliveries }, 'retention_deleted');
    }
    return { idempotencyRecords, deliveries };
  }
}
