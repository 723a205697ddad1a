import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';

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

export class OwnerDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'ops@example.com' }) email!: string;
  @ApiProperty({ example: 'Acme Robotics', nullable: true, type: String }) name!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
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
  createdAt: Date;
}): OwnerDto {
  return { id: row.id, email: row.email, name: row.name, createdAt: row.createdAt.toISOString() };
}
