import { ApiProperty } from '@nestjs/swagger';
import type { FreezeResult } from '@waiaas/database';

const SCOPES = ['SERVICE', 'OWNER', 'WALLET', 'AGENT'] as const;

/** A freeze's state after a freeze or unfreeze call. */
export class FreezeDto {
  @ApiProperty({
    enum: SCOPES,
    description:
      'What the freeze applies to: the whole service (operator), everything an owner owns, one wallet, or one agent',
  })
  scope!: (typeof SCOPES)[number];
  @ApiProperty({ description: 'Whether this scope is frozen now' }) frozen!: boolean;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When the current freeze began (a repeated freeze keeps it); null when not frozen',
  })
  frozenAt!: string | null;
  @ApiProperty({
    description: 'False when the scope already was in the asked state (nothing was recorded)',
  })
  changed!: boolean;
  @ApiProperty({
    type: [String],
    description:
      'The transfers this call cancelled (AWAITING_APPROVAL, DELAYED and PENDING ones in scope; now CANCELLED and never broadcast). Empty for an unfreeze, which revives nothing.',
  })
  cancelledTransactionIds!: string[];
}

export class FreezeResponseDto {
  @ApiProperty({ type: FreezeDto }) freeze!: FreezeDto;
}

export function toFreezeDto(result: FreezeResult): FreezeResponseDto {
  return {
    freeze: {
      scope: result.scope,
      frozen: result.frozen,
      frozenAt: result.frozenAt?.toISOString() ?? null,
      changed: result.changed,
      cancelledTransactionIds: result.cancelled.map((c) => c.id),
    },
  };
}
