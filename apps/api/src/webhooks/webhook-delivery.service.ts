import { Inject, Injectable } from '@nestjs/common';
import { WebhookEndpointRepository } from '@waiaas/database';
import type { OwnerPrincipal } from '../auth/principal.js';
import { toWebhookDto } from './webhook.dto.js';
import type {
  ListDeliveriesQueryDto,
  WebhookDeliveryDto,
  WebhookDeliveryListDto,
} from './webhook-delivery.dto.js';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** The owner's webhook and its recent deliveries (what the worker sent, and how it went). */
@Injectable()
export class WebhookDeliveryService {
  constructor(
    @Inject(WebhookEndpointRepository) private readonly endpoints: WebhookEndpointRepository,
  ) {}

  async list(
    principal: OwnerPrincipal,
    query: ListDeliveriesQueryDto,
  ): Promise<WebhookDeliveryListDto> {
    const endpoint = await this.endpoints.findByOwner(principal.ownerId);
    if (endpoint === null) return { webhook: null, deliveries: [] };
    const rows = await this.endpoints.recentDeliveries(endpoint.id, query.limit ?? 20);
    return {
      webhook: toWebhookDto(endpoint),
      deliveries: rows.map((row): WebhookDeliveryDto => ({
        id: row.id,
        eventId: row.eventId.toString(),
        eventType: row.event.type,
        transactionId: row.event.transactionId,
        status: row.status,
        attempts: row.attempts,
        lastStatusCode: row.lastStatusCode,
        lastError: row.lastError,
        lastAttemptAt: iso(row.lastAttemptAt),
        deliveredAt: iso(row.deliveredAt),
        nextAttemptAt: row.nextAttemptAt.toISOString(),
        createdAt: row.createdAt.toISOString(),
      })),
    };
  }
}
