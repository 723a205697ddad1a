import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

export class CreateWalletDto {
  @ApiPropertyOptional({ example: 'treasury', maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  label?: string;
}

export class WalletDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({
    example: '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin',
    description: 'Solana address (base58)',
  })
  address!: string;
  @ApiProperty({ format: 'uuid' }) ownerId!: string;
  @ApiProperty({ enum: ['TURNKEY', 'LOCAL'] }) custody!: 'TURNKEY' | 'LOCAL';
  @ApiProperty({ nullable: true, type: String, example: 'treasury' }) label!: string | null;
  @ApiPropertyOptional({ type: [String], description: 'Agents granted access (owners only)' })
  agentIds?: string[];
  @ApiProperty({
    description:
      'Frozen by its owner (POST /v1/wallets/{id}/freeze): no transfer leaves it (403 WALLET_FROZEN). A freeze of the owner or of the service shows on the owner and to the operator.',
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

export class WalletResponseDto {
  @ApiProperty({ type: WalletDto }) wallet!: WalletDto;
}

export class WalletListDto {
  @ApiProperty({ type: [WalletDto] }) wallets!: WalletDto[];
}

export class GrantDto {
  @ApiProperty({ format: 'uuid' }) walletId!: string;
  @ApiProperty({ format: 'uuid' }) agentId!: string;
  @ApiProperty({ format: 'date-time' }) grantedAt!: string;
}

export class GrantResponseDto {
  @ApiProperty({ type: GrantDto }) grant!: GrantDto;
}

export class TokenBalanceDto {
  @ApiProperty({ description: 'Mint address' }) mint!: string;
  @ApiProperty({ description: 'Token program (SPL Token or Token-2022)' }) programId!: string;
  @ApiProperty({ description: 'Token account address' }) account!: string;
  @ApiProperty({ example: '2500000', description: 'Base units, decimal string' }) amount!: string;
  @ApiProperty({ example: 6 }) decimals!: number;
  @ApiProperty({ example: '2.5', description: 'UI units, decimal string' }) uiAmount!: string;
}

export class BalanceDto {
  @ApiProperty() address!: string;
  @ApiProperty({ example: '1500000000', description: 'Lamports, decimal string' })
  lamports!: string;
  @ApiProperty({ example: '1.5', description: 'SOL, decimal string' }) sol!: string;
  @ApiProperty({ type: [TokenBalanceDto] }) tokens!: TokenBalanceDto[];
  @ApiProperty({
    format: 'date-time',
    description: 'When the balance was read from the chain (cached up to 10 s)',
  })
  fetchedAt!: string;
}

export class BalanceResponseDto {
  @ApiProperty({ type: BalanceDto }) balance!: BalanceDto;
}

export function toWalletDto(
  row: {
    id: string;
    address: string;
    ownerId: string;
    custody: 'TURNKEY' | 'LOCAL';
    label: string | null;
    frozenAt?: Date | null;
    createdAt: Date;
  },
  agentIds?: string[],
): WalletDto {
  return {
    id: row.id,
    address: row.address,
    ownerId: row.ownerId,
    custody: row.custody,
    label: row.label,
    ...(agentIds === undefined ? {} : { agentIds }),
    frozen: (row.frozenAt ?? null) !== null,
    frozenAt: row.frozenAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
