import { Body, Controller, Get, Inject, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Owner } from '../auth/auth.decorators.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { ProblemDto } from '../common/problem.dto.js';
import { PutWebhookDto, WebhookResponseDto } from './webhook.dto.js';
import { WebhookService } from './webhook.service.js';

@ApiTags('webhooks')
@Controller('v1/webhook')
@Owner()
export class WebhookController {
  constructor(@Inject(WebhookService) private readonly webhooks: WebhookService) {}

  @Put()
  @ApiOperation({
    summary:
      "Set the owner's webhook URL. The signing secret is generated on first set (or rotateSecret) and shown once.",
  })
  @ApiOkResponse({ type: WebhookResponseDto })
  @ApiBadRequestResponse({
    type: ProblemDto,
    description: 'VALIDATION_FAILED (url must be http or https)',
  })
  put(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @Body() dto: PutWebhookDto,
  ): Promise<WebhookResponseDto> {
    return this.webhooks.put(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: "Read the owner's webhook configuration (never the secret)." })
  @ApiOkResponse({ type: WebhookResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(@CurrentPrincipal() principal: OwnerPrincipal): Promise<WebhookResponseDto> {
    return this.webhooks.get(principal);
  }
}
