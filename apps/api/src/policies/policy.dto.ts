import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class TokenLimitDto {
  @ApiPropertyOptional({
    example: '100',
    description: 'Per-transfer limit in UI units of the token',
  })
  perTx?: string;
  @ApiPropertyOptional({ example: '1000', description: 'Daily limit in UI units of the token' })
  daily?: string;
  @ApiProperty({ example: 6, description: "The mint's decimals" }) decimals!: number;
}

const WEEKDAY_NAMES = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

export class TimeRangeDto {
  @ApiProperty({
    enum: WEEKDAY_NAMES,
    isArray: true,
    example: ['MON', 'TUE', 'WED', 'THU', 'FRI'],
    description: 'Days on which the range starts',
  })
  days!: (typeof WEEKDAY_NAMES)[number][];
  @ApiProperty({
    example: '09:00',
    pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
    description: 'Local start, HH:MM 24-hour, inclusive',
  })
  from!: string;
  @ApiProperty({
    example: '17:00',
    pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$',
    description:
      'Local end, HH:MM (24:00 = end of the day), exclusive; before `from`: an overnight range ending the next day',
  })
  to!: string;
}

export class TimeWindowDto {
  @ApiProperty({
    example: 'Europe/Berlin',
    description: 'IANA time zone whose local clock (daylight saving time included) the ranges use',
  })
  timeZone!: string;
  @ApiProperty({ type: [TimeRangeDto], minItems: 1, maxItems: 50 }) ranges!: TimeRangeDto[];
}

export class PolicyMetadataDto {
  @ApiPropertyOptional({
    description: 'Per-mint limits, by mint address',
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/TokenLimitDto' },
    example: {
      EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v: { perTx: '100', daily: '1000', decimals: 6 },
    },
  })
  tokenLimits?: Record<string, TokenLimitDto>;
  @ApiPropertyOptional({ type: [String], description: 'Programs a transfer may invoke' })
  allowedPrograms?: string[];
  @ApiPropertyOptional({
    example: '0.5',
    description: 'With requiresApproval: only SOL transfers above this need approval',
  })
  approvalThreshold?: string;
  @ApiPropertyOptional({ example: 60 }) maxTxPerHour?: number;
  @ApiPropertyOptional({ enum: ['ROLLING_24H', 'UTC_DAY'] }) dailyWindow?:
    'ROLLING_24H' | 'UTC_DAY';
  @ApiPropertyOptional({
    type: TimeWindowDto,
    description:
      'Transfers are allowed only inside one of these ranges (outside: denied with OUTSIDE_TIME_WINDOW and the next opening)',
  })
  timeWindow?: TimeWindowDto;
  @ApiPropertyOptional({
    example: '1',
    description:
      'SOL (decimal string): a transfer whose SOL cost (amount + network fee) is above it waits `delaySeconds` as DELAYED (unsigned, holding its budget, cancellable by the owner), then is judged again and signed. With requiresApproval, approval comes first and the delay runs from it. Set together with delaySeconds.',
  })
  delayThreshold?: string;
  @ApiPropertyOptional({
    example: 3600,
    minimum: 1,
    maximum: 604800,
    description: 'The delay, whole seconds (at most 7 days). Set together with delayThreshold.',
  })
  delaySeconds?: number;
}

/**
 * The body of PUT /v1/wallets/:id/policy. Validated by @waiaas/policy-engine's `parsePolicy`
 * (not class-validator), so the API and the engine can never disagree about what a valid
 * policy is; unknown keys are rejected at every level.
 */
export class PolicyInputDto {
  @ApiProperty({ example: '0.5', description: 'Largest SOL transfer, SOL (decimal string)' })
  perTxLimit!: string;
  @ApiProperty({ example: '2', description: 'SOL per daily window (decimal string)' })
  dailyLimit!: string;
  @ApiPropertyOptional({ type: [String], description: 'SPL mints allowed (empty: SOL only)' })
  allowedAssets?: string[];
  @ApiPropertyOptional({
    type: [String],
    description: 'Recipient allowlist (empty: any recipient)',
  })
  allowedAddresses?: string[];
  @ApiPropertyOptional({ example: false }) requiresApproval?: boolean;
  @ApiPropertyOptional({ type: PolicyMetadataDto }) metadata?: PolicyMetadataDto;
}

export class PolicyDto extends PolicyInputDto {
  @ApiProperty({ format: 'uuid' }) walletId!: string;
  @ApiProperty({ example: 3, description: 'Incremented on every write' }) version!: number;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class PolicyResponseDto {
  @ApiProperty({ type: PolicyDto }) policy!: PolicyDto;
}
