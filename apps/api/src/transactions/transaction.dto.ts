import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { TransactionModel } from '@waiaas/database';
import { formatUiAmount } from '@waiaas/policy-engine';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DecisionDto } from '../transfers/transfer.dto.js';

export const TX_STATUSES = [
  'AWAITING_APPROVAL',
  'PENDING',
  'SUBMITTED',
  'CONFIRMED',
  'FAILED',
  'REJECTED',
  'EXPIRED',
  'DELAYED',
  'CANCELLED',
] as const;
export type TxStatusValue = (typeof TX_STATUSES)[number];

export class TransactionPolicyDto extends DecisionDto {
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Policy version the decision was made under',
  })
  version!: number | null;
}

export class TransactionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) walletId!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) agentId!: string | null;
  @ApiProperty({ enum: TX_STATUSES }) status!: TxStatusValue;
  @ApiProperty({ example: 'TRANSFER' }) type!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Mint; null for SOL' }) asset!:
    string | null;
  @ApiProperty({ example: '0.25', description: 'UI units' }) amount!: string;
  @ApiProperty({ example: '250000000', description: 'Base units' }) amountBaseUnits!: string;
  @ApiProperty({ example: 9 }) decimals!: number;
  @ApiProperty() destination!: string;
  @ApiProperty({ nullable: true, type: String }) memo!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Solana signature (null until signed)',
  })
  signature!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    // OpenAPI 3.0: a nullable enum must list null itself, or validators reject the null.
    enum: ['EXPIRED', 'ON_CHAIN_ERROR', 'POLICY', 'CUSTODY', 'RPC_REJECTED', null],
  })
  failureReason!: string | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Last block height at which the signed transaction can land',
  })
  lastValidBlockHeight!: string | null;
  @ApiProperty() submitAttempts!: number;
  @ApiProperty({ nullable: true, type: String }) slot!: string | null;
  @ApiProperty({
    example: '5000',
    description:
      'Network fee in lamports, known when the transfer was planned; counts toward the SOL limits',
  })
  networkFee!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Fee paid, lamports' }) fee!:
    string | null;
  @ApiProperty({ type: TransactionPolicyDto }) policy!: TransactionPolicyDto;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The Idempotency-Key it was created with',
  })
  idempotencyKey!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) submittedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) confirmedAt!: string | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When the owner approved or rejected it, or when it expired',
  })
  decidedAt!: string | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description:
      'Transfers that wait for approval: the owner must decide before this instant, or it becomes EXPIRED and stops counting against the limits (APPROVAL_TTL_SECONDS after it was asked for); null for the others',
  })
  expiresAt!: string | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description:
      "DELAYED transfers: when the policy's delay ends; it is then judged again and signed (PENDING) or refused (FAILED, POLICY). The owner may cancel it before (cancelTransaction). Null for the others",
  })
  dueAt!: string | null;
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'The agent key that requested it (its daily cap counts this transfer)',
  })
  agentKeyId!: string | null;
}

export class TransactionResponseDto {
  @ApiProperty({ type: TransactionDto }) transaction!: TransactionDto;
}

export class TransactionListDto {
  @ApiProperty({ type: [TransactionDto] }) transactions!: TransactionDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  nextCursor!: string | null;
}

export class ListTransactionsQueryDto {
  @ApiPropertyOptional({ enum: TX_STATUSES })
  @IsOptional()
  @IsIn(TX_STATUSES)
  status?: TxStatusValue;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from a previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

function iso(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}

export function toTransactionDto(row: TransactionModel): TransactionDto {
  const base = BigInt(row.amount.toFixed(0));
  const decision = row.policyDecision as {
    outcome?: DecisionDto['outcome'];
    reasons?: unknown[];
  } | null;
  return {
    id: row.id,
    walletId: row.walletId,
    agentId: row.agentId,
    status: row.status,
    type: row.type,
    asset: row.asset,
    amount: formatUiAmount(base, row.decimals),
    amountBaseUnits: base.toString(),
    decimals: row.decimals,
    destination: row.destination,
    memo: row.memo,
    signature: row.signature,
    failureReason: row.failureReason,
    error: row.errorMsg,
    lastValidBlockHeight:
      row.lastValidBlockHeight === null ? null : row.lastValidBlockHeight.toString(),
    submitAttempts: row.submitAttempts,
    slot: row.slot === null ? null : row.slot.toString(),
    networkFee: row.networkFee.toFixed(0),
    fee: row.fee === null ? null : row.fee.toString(),
    policy: {
      outcome: row.policyOutcome,
      reasons: decision?.reasons ?? [],
      version: row.policyVersion,
    },
    idempotencyKey: row.idempotencyKey,
    createdAt: row.createdAt.toISOString(),
    submittedAt: iso(row.submittedAt),
    confirmedAt: iso(row.confirmedAt),
    decidedAt: iso(row.decidedAt),
    expiresAt: iso(row.expiresAt),
    dueAt: iso(row.dueAt),
    agentKeyId: row.agentKeyId,
  };
}
