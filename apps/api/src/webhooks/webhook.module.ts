import { Module } from '@nestjs/common';
import { WebhookDeliveryController } from './webhook-delivery.controller.js';
import { WebhookDeliveryService } from './webhook-delivery.service.js';
import { WebhookController } from './webhook.controller.js';
import { WebhookService } from './webhook.service.js';

@Module({
  controllers: [WebhookController, WebhookDeliveryController],
  providers: [WebhookService, WebhookDeliveryService],
})
export class WebhookModule {}
