import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsUrl, MaxLength } from 'class-validator';

export class PutWebhookDto {
  @ApiProperty({
    example: 'https://example.com/hooks/waiaas',
    description: 'http(s) URL that receives HMAC-signed event deliveries',
  })
  @IsUrl({
    protocols: ['http', 'https'],
    require_protocol: true,
    require_tld: false,
    require_host: true,
  })
  @MaxLength(2048)
  url!: string;

  @ApiPropertyOptional({ example: true, default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    example: false,
    description: 'Generate a new signing secret (returned once in this response)',
  })
  @IsOptional()
  @IsBoolean()
  rotateSecret?: boolean;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class WebhookResponseDto {
  @ApiProperty({ type: WebhookDto }) webhook!: WebhookDto;
  @ApiPropertyOptional({
    example: 'whsec_2kq…',
    description:
      'HMAC-SHA256 signing secret: present only when it was just generated (first PUT, or rotateSecret). Never shown again.',
  })
  signingSecret?: string;
}

export function toWebhookDto(row: {
  id: string;
  url: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}): WebhookDto {
  return {
    id: row.id,
    url: row.url,
    enabled: row.enabled,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
