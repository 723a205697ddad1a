import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Owner } from '../auth/auth.decorators.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { ListDeliveriesQueryDto, WebhookDeliveryListDto } from './webhook-delivery.dto.js';
import { WebhookDeliveryService } from './webhook-delivery.service.js';

@ApiTags('webhooks')
@Controller('v1/webhook/deliveries')
@Owner()
export class WebhookDeliveryController {
  constructor(
    @Inject(WebhookDeliveryService) private readonly deliveries: WebhookDeliveryService,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: "The owner's most recent webhook deliveries, newest first, with status.",
    description: 'For debugging a receiver: attempts, last HTTP status and error of each delivery.',
  })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  list(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @Query() query: ListDeliveriesQueryDto,
  ): Promise<WebhookDeliveryListDto> {
    return this.deliveries.list(principal, query);
  }
}
