/**
 * The webhook outbox's delivery side: claiming due deliveries and recording every attempt.
 *
 * Claims are row locks (`FOR UPDATE SKIP LOCKED`) held while the POST is in flight, as in
 * {@link WorkerRepository}: two replicas never deliver the same row at once, and a replica
 * that dies mid-POST leaves the row PENDING for another (delivery is at-least-once; receivers
 * deduplicate by event id). A row moves to DELIVERED or FAILED only from PENDING, so it is
 * marked delivered exactly once.
 */
import type { PrismaClient } from '../generated/prisma/client.js';
import type { TransactionClient } from '../transaction-client.js';

/**
 * A due delivery with its event and endpoint. The signing secret never leaves the worker.
 *
 * @example
 * ```ts
 * await deliveries.withClaimedDue(20, async (rows: ClaimedDelivery[]) => { for (const r of rows) await post(r.url, r.payload); });
 * ```
 */
export interface ClaimedDelivery {
  id: string;
  /** Attempts made before this one. */
  attempts: number;
  eventId: bigint;
  eventType: string;
  eventCreatedAt: Date;
  ownerId: string | null;
  walletId: string | null;
  transactionId: string | null;
  payload: Record<string, unknown>;
  endpointId: string;
  url: string;
  signingSecret: string;
}

/**
 * Recording attempts while a claim is held; all in the claim's transaction.
 *
 * @example
 * ```ts
 * await deliveries.withClaimedDue(20, async (rows, unit: DeliveryUnit) => {
 *   for (const r of rows) await unit.recordFailure(r.id, { statusCode: 503, error: 'HTTP 503', nextAttemptAt: new Date(Date.now() + 1_000) });
 * });
 * ```
 */
export interface DeliveryUnit {
  /** PENDING → DELIVERED, counting the attempt. False when the row was not PENDING. */
  markDelivered(id: string, statusCode: number): Promise<boolean>;
  /**
   * Counts a failed attempt: stays PENDING until `nextAttemptAt`, or becomes FAILED when
   * `nextAttemptAt` is null (given up).
   */
  recordFailure(
    id: string,
    failure: { statusCode: number | null; error: string; nextAttemptAt: Date | null },
  ): Promise<boolean>;
}

interface DeliveryRow {
  id: string;
  attempts: number;
  event_id: string;
  event_type: string;
  event_created_at: Date;
  owner_id: string | null;
  wallet_id: string | null;
  transaction_id: string | null;
  payload: Record<string, unknown>;
  endpoint_id: string;
  url: string;
  signing_secret: string;
}

/**
 * @example
 * ```ts
 * const deliveries = new WebhookDeliveryRepository(prisma);
 * await deliveries.withClaimedDue(20, async (rows, unit) => {
 *   for (const row of rows) await unit.markDelivered(row.id, 200);
 * });
 * ```
 */
export class WebhookDeliveryRepository {
  private readonly txOptions: { timeout: number; maxWait: number };

  constructor(
    private readonly prisma: PrismaClient,
    options: { transactionTimeoutMs?: number; maxWaitMs?: number } = {},
  ) {
    this.txOptions = {
      timeout: options.transactionTimeoutMs ?? 60_000,
      maxWait: options.maxWaitMs ?? 10_000,
    };
  }

  /**
   * Claims up to `limit` PENDING deliveries that are due (oldest due first) to enabled
   * endpoints, runs `work` while holding them, and commits what it recorded. Returns the
   * number claimed (0: `work` was not called).
   */
  async withClaimedDue(
    limit: number,
    work: (rows: ClaimedDelivery[], unit: DeliveryUnit) => Promise<void>,
  ): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<DeliveryRow[]>`
        SELECT d.id::text AS id, d.attempts, d.event_id::text AS event_id, ev.type AS event_type,
               ev.created_at AS event_created_at, ev.owner_id::text AS owner_id, ev.wallet_id::text AS wallet_id,
               ev.transaction_id::text AS transaction_id, ev.payload, e.id::text AS endpoint_id, e.url,
               e.signing_secret
        FROM webhook_deliveries d
        JOIN webhook_endpoints e ON e.id = d.endpoint_id
        JOIN events ev ON ev.id = d.event_id
        WHERE d.status = 'PENDING' AND d.next_attempt_at <= clock_timestamp() AND e.enabled
        ORDER BY d.next_attempt_at
        LIMIT ${limit}
        FOR UPDATE OF d SKIP LOCKED`;
      if (rows.length === 0) return 0;
      await work(rows.map(toClaimed), unitFor(tx));
      return rows.length;
    }, this.txOptions);
  }

  /**
   * Retention: deletes DELIVERED deliveries delivered before `before` (the events themselves
   * stay: the audit log is append-only). Returns how many.
   */
  async deleteDeliveredBefore(before: Date, limit = 10_000): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM webhook_deliveries WHERE id IN (
        SELECT id FROM webhook_deliveries
        WHERE status = 'DELIVERED' AND delivered_at < ${before} LIMIT ${limit})`;
  }

  /** The earliest `next_attempt_at` of a PENDING delivery, for scheduling the next wake-up. */
  async nextDueAt(): Promise<Date | null> {
    const rows = await this.prisma.$queryRaw<{ due: Date | null }[]>`
      SELECT min(next_attempt_at) AS due FROM webhook_deliveries WHERE status = 'PENDING'`;
    return rows[0]?.due ?? null;
  }
}

function toClaimed(row: DeliveryRow): ClaimedDelivery {
  return {
    id: row.id,
    attempts: row.attempts,
    eventId: BigInt(row.event_id),
    eventType: row.event_type,
    eventCreatedAt: row.event_created_at,
    ownerId: row.owner_id,
    walletId: row.wallet_id,
    transactionId: row.transaction_id,
    payload: row.payload,
    endpointId: row.endpoint_id,
    url: row.url,
    signingSecret: row.signing_secret,
  };
}

function unitFor(tx: TransactionClient): DeliveryUnit {
  return {
    async markDelivered(id, statusCode) {
      const n = await tx.$executeRaw`
        UPDATE webhook_deliveries
        SET status = 'DELIVERED', attempts = attempts + 1, last_attempt_at = clock_timestamp(),
            delivered_at = clock_timestamp(), last_status_code = ${statusCode}, last_error = NULL
        WHERE id = ${id}::uuid AND status = 'PENDING'`;
      return n === 1;
    },
    async recordFailure(id, failure) {
      const giveUp = failure.nextAttemptAt === null;
      const n = await tx.$executeRaw`
        UPDATE webhook_deliveries
        SET status = ${giveUp ? 'FAILED' : 'PENDING'}::"DeliveryStatus", attempts = attempts + 1,
            last_attempt_at = clock_timestamp(), last_status_code = ${failure.statusCode},
            last_error = ${failure.error.slice(0, 1000)},
            next_attempt_at = COALESCE(${failure.nextAttemptAt}::timestamptz, next_attempt_at)
        WHERE id = ${id}::uuid AND status = 'PENDING'`;
      return n === 1;
    },
  };
}
