import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';

export const AGENT_STATUSES = ['ACTIVE', 'SUSPENDED', 'REVOKED'] as const;
export type AgentStatusValue = (typeof AGENT_STATUSES)[number];

export class CreateAgentDto {
  @ApiProperty({ example: 'trading-bot-1', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({ example: 'Rebalances the treasury every hour', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  description?: string;
}

export class UpdateAgentDto {
  @ApiPropertyOptional({ example: 'trading-bot-2', maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({
    enum: AGENT_STATUSES,
    description: 'SUSPENDED refuses the key until set ACTIVE again; REVOKED is final.',
  })
  @IsOptional()
  @IsIn(AGENT_STATUSES)
  status?: AgentStatusValue;
}

export class AgentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) ownerId!: string;
  @ApiProperty({ example: 'trading-bot-1' }) name!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ enum: AGENT_STATUSES }) status!: AgentStatusValue;
  @ApiProperty({
    description:
      'Frozen by its owner (POST /v1/agents/{id}/freeze): its transfers are refused (403 AGENT_FROZEN).',
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
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class AgentResponseDto {
  @ApiProperty({ type: AgentDto }) agent!: AgentDto;
}

export class AgentListDto {
  @ApiProperty({ type: [AgentDto] }) agents!: AgentDto[];
}

export class AgentWithKeyDto {
  @ApiProperty({ type: AgentDto }) agent!: AgentDto;
  @ApiProperty({
    example: 'waiaas_agent_3Fq9…',
    description: 'The agent API key. Shown once: only its SHA-256 is stored.',
  })
  apiKey!: string;
}

export function toAgentDto(row: {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  status: AgentStatusValue;
  frozenAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}): AgentDto {
  return {
    id: row.id,
    ownerId: row.ownerId,
    name: row.name,
    description: row.description,
    status: row.status,
    frozen: row.frozenAt !== null,
    frozenAt: row.frozenAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
