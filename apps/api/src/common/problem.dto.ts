import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { POLICY_REASON_SCHEMA } from './policy-reason.schema.js';

export class FieldIssueDto {
  @ApiProperty({ example: 'amount' }) path!: string;
  @ApiProperty({ example: 'isDecimal' }) code!: string;
  @ApiProperty({ example: 'amount must be a decimal string' }) message!: string;
  @ApiPropertyOptional({
    type: [String],
    example: ['perTxLimit', 'dailyLimit'],
    description: 'Every field involved, when the issue is about several (CONTRADICTORY_LIMITS)',
  })
  fields?: string[];
}

/** RFC 9457 problem document (`application/problem+json`), the body of every error. */
export class ProblemDto {
  @ApiProperty({ example: 'https://waiaas.dev/problems/not-found' }) type!: string;
  @ApiProperty({ example: 'Not found' }) title!: string;
  @ApiProperty({ example: 404 }) status!: number;
  @ApiProperty({
    example: 'NOT_FOUND',
    description: 'Stable machine-readable code; never renamed.',
  })
  code!: string;
  @ApiProperty({ example: 'Wallet not found' }) detail!: string;
  @ApiProperty({ example: '/v1/wallets/6c1f…' }) instance!: string;
  @ApiProperty({
    example: 'req-8f3a',
    description: 'Correlation id (also the x-request-id header).',
  })
  requestId!: string;
  @ApiPropertyOptional({ type: [FieldIssueDto] }) errors?: FieldIssueDto[];
  @ApiPropertyOptional({
    description: 'Policy reasons (POLICY_DENIED)',
    example: [
      {
        code: 'PER_TX_LIMIT_EXCEEDED',
        asset: null,
        decimals: 9,
        limit: '1000000000',
        requested: '1500000000',
      },
    ],
    type: 'array',
    items: POLICY_REASON_SCHEMA,
  })
  reasons?: unknown[];
  @ApiPropertyOptional({
    example: 'PENDING',
    description:
      'TRANSACTION_NOT_DELAYED: the status the transaction has instead (PENDING: its delay ended and it was released before the cancel arrived).',
  })
  transactionStatus?: string;
}
