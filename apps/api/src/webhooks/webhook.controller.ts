import { Body, Controller, Get, Inject, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Owner } from '../auth/auth.decorators.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { PutWebhookDto, WebhookResponseDto } from './webhook.dto.js';
import { WebhookService } from './webhook.service.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

@ApiTags('webhooks')
@Controller('v1/webhook')
@Owner()
export class WebhookController {
  constructor(@Inject(WebhookService) private readonly webhooks: WebhookService) {}

  @Put()
  @ApiOperation({
    operationId: 'setWebhook',
    summary:
      "Set the owner's webhook URL. The signing secret is generated on first set (or rotateSecret) and shown once.",
    description:
      'Deliveries are signed with HMAC-SHA256 of the body under the signing secret (header `X-WAIaaS-Signature`). The secret is in this response only when it was just generated.',
  })
  @ApiOkResponse({ type: WebhookResponseDto })
  put(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @Body() dto: PutWebhookDto,
  ): Promise<WebhookResponseDto> {
    return this.webhooks.put(principal, dto);
  }

  @Get()
  @ApiOperation({
    operationId: 'getWebhook',
    summary: "Read the owner's webhook configuration (never the secret).",
    description: '404 when no webhook is set.',
  })
  @ApiProblems('NOT_FOUND')
  @ApiOkResponse({ type: WebhookResponseDto })
  get(@CurrentPrincipal() principal: OwnerPrincipal): Promise<WebhookResponseDto> {
    return this.webhooks.get(principal);
  }
}
