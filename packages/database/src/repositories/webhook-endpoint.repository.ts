import type { PrismaClient, WebhookDelivery, WebhookEndpoint } from '../generated/prisma/client.js';
import type { TransactionClient } from '../transaction-client.js';

/** A delivery with the event it carries (what an owner's delivery list shows). */
export type DeliveryWithEvent = WebhookDelivery & {
  event: { type: string; transactionId: string | null };
};

/** What an owner sets on their webhook endpoint. */
export interface WebhookEndpointInput {
  ownerId: string;
  url: string;
  /** Unset: unchanged (enabled when the endpoint is created). */
  enabled?: boolean;
  /** A new signing secret; required when the owner has no endpoint yet. */
  signingSecret?: string;
}

/**
 * An owner's webhook endpoint (one per owner) and its recent deliveries: the API's side of the
 * webhook tables (the worker's side is {@link WebhookDeliveryRepository}).
 *
 * @example
 * ```ts
 * const endpoints = new WebhookEndpointRepository(prisma);
 * const endpoint = await endpoints.findByOwner(ownerId);
 * ```
 */
export class WebhookEndpointRepository {
  constructor(private readonly prisma: PrismaClient) {}

  findByOwner(ownerId: string): Promise<WebhookEndpoint | null> {
    return this.prisma.webhookEndpoint.findUnique({ where: { ownerId } });
  }

  /**
   * The endpoint's latest deliveries, newest first: by event id, down the
   * `(endpoint_id, event_id)` index, reading `limit` rows. A delivery is written in the
   * statement that writes its event, so the event's id orders deliveries as they were created;
   * ordering by `created_at` read and sorted every delivery the endpoint kept (all of the
   * retention period's).
   */
  recentDeliveries(endpointId: string, limit: number): Promise<DeliveryWithEvent[]> {
    return this.prisma.webhookDelivery.findMany({
      where: { endpointId },
      orderBy: { eventId: 'desc' },
      take: limit,
      include: { event: { select: { type: true, transactionId: true } } },
    });
  }

  /**
   * Creates or updates the owner's endpoint in one database transaction; `secretFor` is told
   * whether an endpoint exists and returns the new signing secret, or undefined to keep it;
   * `audit` writes the change's event in the same transaction.
   */
  upsertForOwner(
    input: Omit<WebhookEndpointInput, 'signingSecret'>,
    secretFor: (existing: WebhookEndpoint | null) => string | undefined,
    audit: (row: WebhookEndpoint, secretChanged: boolean, tx: TransactionClient) => Promise<void>,
  ): Promise<{ row: WebhookEndpoint; secretChanged: boolean }> {
    return this.prisma.$transaction(async (tx) => {
      const existing = await tx.webhookEndpoint.findUnique({ where: { ownerId: input.ownerId } });
      const secret = secretFor(existing);
      if (existing === null && secret === undefined)
        throw new TypeError('a new webhook endpoint needs a signing secret');
      const row = await tx.webhookEndpoint.upsert({
        where: { ownerId: input.ownerId },
        create: {
          ownerId: input.ownerId,
          url: input.url,
          enabled: input.enabled ?? true,
          signingSecret: secret ?? '',
        },
        update: {
          url: input.url,
          ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
          ...(secret === undefined ? {} : { signingSecret: secret }),
        },
      });
      await audit(row, secret !== undefined, tx);
      return { row, secretChanged: secret !== undefined };
    });
  }
}
