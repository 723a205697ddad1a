import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class SpendQueryDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 31,
    default: 7,
    description: 'UTC days in `days`, today included',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(31)
  days?: number;
}

export class AssetSpendDto {
  @ApiProperty({ nullable: true, type: String, description: 'Mint; null for SOL' })
  asset!: string | null;
  @ApiProperty({ example: 9 }) decimals!: number;
  @ApiProperty({ example: '0.35', description: 'UI units' }) spent!: string;
  @ApiProperty({ example: '350000000', description: 'Base units' }) spentBaseUnits!: string;
  @ApiProperty({ example: 2, description: 'Transactions counted' }) count!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '5',
    description: "The policy's daily limit for this asset, UI units; null when there is none",
  })
  dailyLimit!: string | null;
}

export class DaySpendDto {
  @ApiProperty({ example: '2026-12-02', description: 'UTC day' }) day!: string;
  @ApiProperty({ type: [AssetSpendDto], description: 'SOL first; dailyLimit is always null here' })
  assets!: AssetSpendDto[];
}

export class WalletSpendDto {
  @ApiProperty({ format: 'uuid' }) walletId!: string;
  @ApiProperty({
    enum: ['ROLLING_24H', 'UTC_DAY'],
    description: "The policy's daily window (ROLLING_24H when the wallet has no policy)",
  })
  window!: 'ROLLING_24H' | 'UTC_DAY';
  @ApiProperty({ format: 'date-time' }) windowStart!: string;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ description: 'False: the wallet has no policy, so it cannot send anything' })
  hasPolicy!: boolean;
  @ApiProperty({
    type: [AssetSpendDto],
    description:
      'What counts against the daily limits in the current window (every transfer not FAILED or REJECTED), per asset: SOL first, then every mint spent or limited',
  })
  assets!: AssetSpendDto[];
  @ApiProperty({ type: [DaySpendDto], description: 'Per UTC day, oldest first, zero-filled' })
  days!: DaySpendDto[];
}

export class WalletSpendResponseDto {
  @ApiProperty({ type: WalletSpendDto }) spend!: WalletSpendDto;
}
