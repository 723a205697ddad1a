import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
} from 'class-validator';
import { formatUiAmount, SOL_DECIMALS } from '@waiaas/policy-engine';
import { AGENT_KEY_SCOPES, type AgentKeyScope } from '../auth/principal.js';

/** The longest an agent key may live: a year (see docs/decisions/agent-keys.md). */
export const AGENT_KEY_MAX_LIFETIME_DAYS = 365;

export const AGENT_KEY_STATUSES = ['ACTIVE', 'EXPIRED', 'REVOKED'] as const;
export type AgentKeyStatus = (typeof AGENT_KEY_STATUSES)[number];

export class CreateAgentKeyDto {
  @ApiProperty({ example: 'reporting-job', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({
    enum: AGENT_KEY_SCOPES,
    isArray: true,
    example: ['read', 'evaluate'],
    description:
      'read: wallets, balances, policies, transactions; evaluate: transfer dry runs; transfer: requesting transfers (anything that moves money).',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(AGENT_KEY_SCOPES, { each: true })
  scopes!: AgentKeyScope[];

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    isArray: true,
    maxItems: 100,
    example: ['7d1f9c2e-5b8a-4e3f-9a61-2c4d8e0f1a2b'],
    description:
      "Limit the key to these of the owner's wallets (each must also be granted to the agent to be usable). Omitted: every wallet granted to the agent, now and later.",
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  walletIds?: string[];

  @ApiProperty({
    format: 'date-time',
    example: '2027-03-01T00:00:00.000Z',
    description: `Required: when the key stops working, in the future and at most ${AGENT_KEY_MAX_LIFETIME_DAYS} days ahead.`,
  })
  @IsISO8601({ strict: true, strictSeparator: true })
  expiresAt!: string;

  @ApiPropertyOptional({
    example: '1.5',
    description:
      "SOL (decimal string, at most 9 decimals): the most this key's transfers may cost (amounts + network fees) in a rolling 24 hours, across its wallets. Checked with each wallet's policy in the same reservation; the stricter wins (a key cap never lifts a wallet limit). Denials name AGENT_KEY_CAP_EXCEEDED with the figures. Omitted: only the wallets' policies bind the key.",
  })
  @IsOptional()
  @IsString()
  @Length(1, 40)
  dailyCap?: string;
}

export class AgentKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) agentId!: string;
  @ApiProperty({ example: 'reporting-job' }) name!: string;
  @ApiProperty({ enum: AGENT_KEY_SCOPES, isArray: true, example: ['read', 'evaluate'] })
  scopes!: AgentKeyScope[];
  @ApiProperty({
    type: String,
    format: 'uuid',
    isArray: true,
    nullable: true,
    description: 'The wallets the key is limited to; null: every wallet granted to the agent.',
  })
  walletIds!: string[] | null;
  @ApiProperty({
    description:
      'The key issued with the agent or by rotateAgentKey: every scope, no expiry; rotateAgentKey replaces it.',
  })
  primary!: boolean;
  @ApiProperty({ enum: AGENT_KEY_STATUSES, description: 'Judged now: REVOKED, EXPIRED or ACTIVE.' })
  status!: AgentKeyStatus;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expiresAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt!: string | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description:
      'When the key last authenticated a request, to the minute: written at most once a minute per key, after the request.',
  })
  lastUsedAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '1.5',
    description: "The key's daily cap in SOL (rolling 24 hours, amounts + fees); null: none.",
  })
  dailyCap!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class AgentKeyListDto {
  @ApiProperty({ type: [AgentKeyDto] }) keys!: AgentKeyDto[];
}

export class AgentKeyWithSecretDto {
  @ApiProperty({ type: AgentKeyDto }) key!: AgentKeyDto;
  @ApiProperty({
    example: 'waiaas_agent_3Fq9…',
    description: 'The key. Shown once, in this response only: only its SHA-256 is stored.',
  })
  apiKey!: string;
}

export function toAgentKeyDto(
  row: {
    id: string;
    agentId: string;
    name: string;
    scopes: AgentKeyScope[];
    walletIds: string[];
    primary: boolean;
    expiresAt: Date | null;
    revokedAt: Date | null;
    lastUsedAt: Date | null;
    createdAt: Date;
    dailyCap?: { toFixed(dp: number): string } | null;
  },
  now: number,
): AgentKeyDto {
  const status: AgentKeyStatus =
    row.revokedAt !== null
      ? 'REVOKED'
      : row.expiresAt !== null && row.expiresAt.getTime() <= now
        ? 'EXPIRED'
        : 'ACTIVE';
  return {
    id: row.id,
    agentId: row.agentId,
    name: row.name,
    scopes: [...row.scopes],
    walletIds: row.walletIds.length === 0 ? null : [...row.walletIds],
    primary: row.primary,
    status,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    dailyCap:
      row.dailyCap === undefined || row.dailyCap === null
        ? null
        : formatUiAmount(BigInt(row.dailyCap.toFixed(0)), SOL_DECIMALS),
    createdAt: row.createdAt.toISOString(),
  };
}
