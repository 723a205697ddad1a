import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { POLICY_REASON_SCHEMA } from '../common/policy-reason.schema.js';
import { IsSolanaAddress } from '../common/solana-address.validator.js';

export class TransferRequestDto {
  @ApiProperty({
    example: 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS',
    description: 'Recipient address (for tokens: the owner of the destination token account)',
  })
  @IsSolanaAddress()
  to!: string;

  @ApiProperty({
    example: '0.25',
    description:
      'Amount in UI units as a decimal string (SOL: up to 9 decimals; a token: up to its mint decimals). No exponent, no sign.',
  })
  @IsString()
  @MaxLength(80)
  amount!: string;

  @ApiPropertyOptional({
    example: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
    description: 'SPL mint (SPL Token or Token-2022); omitted for SOL',
  })
  @IsOptional()
  @IsSolanaAddress()
  mint?: string;

  @ApiPropertyOptional({
    example: 'invoice 42',
    maxLength: 256,
    description: 'SPL Memo attached to the transaction',
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  memo?: string;
}

export class ReasonDto {
  @ApiProperty({ example: 'DAILY_LIMIT_EXCEEDED' }) code!: string;
  @ApiPropertyOptional({ example: 'daily limit exceeded: 1.8 of 2 SOL spent, 0.5 requested' })
  message?: string;
}

export class DecisionDto {
  @ApiProperty({ enum: ['ALLOW', 'DENY', 'REQUIRE_APPROVAL'] }) outcome!:
    'ALLOW' | 'DENY' | 'REQUIRE_APPROVAL';
  @ApiProperty({
    type: 'array',
    items: POLICY_REASON_SCHEMA,
    example: [
      {
        code: 'DAILY_LIMIT_EXCEEDED',
        asset: null,
        decimals: 9,
        window: 'ROLLING_24H',
        limit: '2000000000',
        spent: '1800000000',
        requested: '500000000',
        remaining: '200000000',
      },
    ],
    description: 'Every reason, with the figures behind it (amounts in base units)',
  })
  reasons!: unknown[];
}

export class EvaluationDto {
  @ApiProperty({ type: DecisionDto }) decision!: DecisionDto;
  @ApiProperty({ nullable: true, type: String, description: 'Mint, or null for SOL' }) asset!:
    string | null;
  @ApiProperty({ example: '250000000', description: 'Base units' }) amountBaseUnits!: string;
  @ApiProperty({ example: 9 }) decimals!: number;
  @ApiProperty({
    example: '5000',
    description:
      'Network fee in lamports (base fee × signatures + priority fee); counts toward the SOL limits',
  })
  networkFee!: string;
}
