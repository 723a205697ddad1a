import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '@waiaas/database';
import type { OwnerPrincipal } from '../auth/principal.js';
import { PRISMA } from '../infra/tokens.js';
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
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async list(
    principal: OwnerPrincipal,
    query: ListDeliveriesQueryDto,
  ): Promise<WebhookDeliveryListDto> {
    const endpoint = await this.prisma.webhookEndpoint.findUnique({
      where: { ownerId: principal.ownerId },
    });
    if (endpoint === null) return { webhook: null, deliveries: [] };
    const rows = await this.prisma.webhookDelivery.findMany({
      where: { endpointId: endpoint.id },
      orderBy: [{ createdAt: 'desc' }, { eventId: 'desc' }],
      take: query.limit ?? 20,
      include: { event: { select: { type: true, transactionId: true } } },
    });
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
