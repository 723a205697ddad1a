import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

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
    example: [{ code: 'DAILY_LIMIT_EXCEEDED', message: 'daily limit 1 SOL exceeded' }],
    type: 'array',
    items: { type: 'object' },
  })
  reasons?: unknown[];
}
