import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Owner } from '../auth/auth.decorators.js';
import type { OwnerPrincipal } from '../auth/principal.js';
import { ProblemDto } from '../common/problem.dto.js';
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
    summary: "The owner's most recent webhook deliveries, newest first, with status.",
  })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ApiBadRequestResponse({ type: ProblemDto, description: 'VALIDATION_FAILED' })
  list(
    @CurrentPrincipal() principal: OwnerPrincipal,
    @Query() query: ListDeliveriesQueryDto,
  ): Promise<WebhookDeliveryListDto> {
    return this.deliveries.list(principal, query);
  }
}
