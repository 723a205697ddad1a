import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '@waiaas/database';
import { assertWebhookUrl, isWebhookTargetError } from '@waiaas/webhook-target';
import { AuditService } from '../audit/audit.service.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { PRISMA } from '../infra/tokens.js';
import { type PutWebhookDto, toWebhookDto, type WebhookResponseDto } from './webhook.dto.js';

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

@Injectable()
export class WebhookService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Refuses targets the worker must never call (SSRF): see @waiaas/webhook-target. The worker
   * checks again at delivery, on the address the name resolves to then.
   */
  private checkTarget(url: string): void {
    try {
      assertWebhookUrl(url, { allowPrivate: this.config.webhooks.allowPrivateTargets });
    } catch (e) {
      if (!isWebhookTargetError(e)) throw e;
      throw new ApiError('VALIDATION_FAILED', `The webhook URL is refused: ${e.message}`, {
        errors: [{ path: 'url', code: e.problem, message: e.message }],
      });
    }
  }

  async put(principal: OwnerPrincipal, dto: PutWebhookDto): Promise<WebhookResponseDto> {
    this.checkTarget(dto.url);
    return this.prisma.$transaction(async (tx) => {
      const existing = await tx.webhookEndpoint.findUnique({
        where: { ownerId: principal.ownerId },
      });
      const secret = existing === null || dto.rotateSecret === true ? newSecret() : undefined;
      const row = await tx.webhookEndpoint.upsert({
        where: { ownerId: principal.ownerId },
        create: {
          ownerId: principal.ownerId,
          url: dto.url,
          enabled: dto.enabled ?? true,
          signingSecret: secret ?? newSecret(),
        },
        update: {
          url: dto.url,
          ...(dto.enabled === undefined ? {} : { enabled: dto.enabled }),
          ...(secret === undefined ? {} : { signingSecret: secret }),
        },
      });
      await this.audit.record(
        principal,
        {
          type: 'webhook.updated',
          ownerId: principal.ownerId,
          payload: { url: row.url, enabled: row.enabled, secretRotated: secret !== undefined },
        },
        tx,
      );
      return {
        webhook: toWebhookDto(row),
        ...(secret === undefined ? {} : { signingSecret: row.signingSecret }),
      };
    });
  }

  async get(principal: OwnerPrincipal): Promise<WebhookResponseDto> {
    const row = await this.prisma.webhookEndpoint.findUnique({
      where: { ownerId: principal.ownerId },
    });
    if (row === null) throw new ApiError('NOT_FOUND', 'No webhook is configured');
    return { webhook: toWebhookDto(row) };
  }
}
