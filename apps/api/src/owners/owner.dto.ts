import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';

export class CreateOwnerDto {
  @ApiProperty({ example: 'ops@example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiPropertyOptional({ example: 'Acme Robotics', maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;
}

export class UpdateOwnerDto {
  @ApiProperty({
    enum: ['ACTIVE', 'REVOKED'],
    description:
      "REVOKED is final: the owner's key and all its agents' keys stop working at once, on every instance.",
  })
  @IsIn(['ACTIVE', 'REVOKED'])
  status!: 'ACTIVE' | 'REVOKED';
}

export class OwnerDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'ops@example.com' }) email!: string;
  @ApiProperty({ example: 'Acme Robotics', nullable: true, type: String }) name!: string | null;
  @ApiProperty({ enum: ['ACTIVE', 'REVOKED'] }) status!: 'ACTIVE' | 'REVOKED';
  @ApiProperty({
    description:
      'The owner froze everything they own (POST /v1/owners/me/freeze): no transfer leaves any of its wallets (403 OWNER_FROZEN).',
  })
  frozen!: boolean;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When the current freeze began; null when not frozen',
  })
  frozenAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class OwnerResponseDto {
  @ApiProperty({ type: OwnerDto }) owner!: OwnerDto;
}

export class CreatedOwnerDto {
  @ApiProperty({ type: OwnerDto }) owner!: OwnerDto;
  @ApiProperty({
    example: 'waiaas_owner_5Jv8…',
    description: 'The owner API key. Shown once: only its SHA-256 is stored.',
  })
  apiKey!: string;
}

export function toOwnerDto(row: {
  id: string;
  email: string;
  name: string | null;
  status: 'ACTIVE' | 'REVOKED';
  frozenAt: Date | null;
  createdAt: Date;
}): OwnerDto {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    status: row.status,
    frozen: row.frozenAt !== null,
    frozenAt: row.frozenAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
