import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { WebhookEndpointRepository } from '@waiaas/database';
import { assertWebhookUrl, isWebhookTargetError } from '@waiaas/webhook-target';
import { AuditService } from '../audit/audit.service.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { type PutWebhookDto, toWebhookDto, type WebhookResponseDto } from './webhook.dto.js';

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

@Injectable()
export class WebhookService {
  constructor(
    @Inject(WebhookEndpointRepository) private readonly endpoints: WebhookEndpointRepository,
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
    const { row, secretChanged } = await this.endpoints.upsertForOwner(
      {
        ownerId: principal.ownerId,
        url: dto.url,
        ...(dto.enabled === undefined ? {} : { enabled: dto.enabled }),
      },
      (existing) => (existing === null || dto.rotateSecret === true ? newSecret() : undefined),
      (written, rotated, tx) =>
        this.audit.record(
          principal,
          {
            type: 'webhook.updated',
            ownerId: principal.ownerId,
            payload: { url: written.url, enabled: written.enabled, secretRotated: rotated },
          },
          tx,
        ),
    );
    return {
      webhook: toWebhookDto(row),
      ...(secretChanged ? { signingSecret: row.signingSecret } : {}),
    };
  }

  async get(principal: OwnerPrincipal): Promise<WebhookResponseDto> {
    const row = await this.endpoints.findByOwner(principal.ownerId);
    if (row === null) throw new ApiError('NOT_FOUND', 'No webhook is configured');
    return { webhook: toWebhookDto(row) };
  }
}
