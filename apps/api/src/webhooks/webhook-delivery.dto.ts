import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { WebhookDto } from './webhook.dto.js';

export class ListDeliveriesQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: '42', description: 'Audit event id (decimal string)' }) eventId!: string;
  @ApiProperty({ example: 'transaction.confirmed' }) eventType!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) transactionId!: string | null;
  @ApiProperty({ enum: ['PENDING', 'DELIVERED', 'FAILED'] })
  status!: 'PENDING' | 'DELIVERED' | 'FAILED';
  @ApiProperty({ example: 1 }) attempts!: number;
  @ApiProperty({ nullable: true, type: Number, example: 200 }) lastStatusCode!: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastAttemptAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) deliveredAt!: string | null;
  @ApiProperty({ format: 'date-time' }) nextAttemptAt!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class WebhookDeliveryListDto {
  @ApiProperty({
    type: WebhookDto,
    nullable: true,
    description: "The owner's webhook (never its secret); null when none is set",
  })
  webhook!: WebhookDto | null;
  @ApiProperty({ type: [WebhookDeliveryDto], description: 'Newest first' })
  deliveries!: WebhookDeliveryDto[];
}
