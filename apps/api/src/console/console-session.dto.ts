import { ApiProperty } from '@nestjs/swagger';
import { SOLANA_CLUSTERS, type SolanaCluster } from '../config/app-config.js';

export class ConsoleSessionDto {
  @ApiProperty({ format: 'uuid' }) ownerId!: string;
  @ApiProperty({ format: 'date-time', description: 'When the session ends (absolute).' })
  expiresAt!: string;
  @ApiProperty({
    description:
      'Send as X-CSRF-Token on every state-changing console request. Derived from the session cookie, so it is readable only by the same origin and dies with the session.',
  })
  csrfToken!: string;
}

export class ConsoleSessionResponseDto {
  @ApiProperty({ type: ConsoleSessionDto }) session!: ConsoleSessionDto;
}

export class ConsoleSessionProbeDto {
  @ApiProperty({
    type: ConsoleSessionDto,
    nullable: true,
    description: 'Null when the request carries no live console session cookie',
  })
  session!: ConsoleSessionDto | null;
}

export class ConsoleSettingsDto {
  @ApiProperty({ enum: SOLANA_CLUSTERS, description: 'The Solana cluster the API is connected to' })
  cluster!: SolanaCluster;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'https://explorer.solana.com/tx/{signature}?cluster=devnet',
    description: 'Explorer link for a signature (replace {signature}); null when unknown',
  })
  explorerTxUrl!: string | null;
  @ApiProperty({ example: 480, description: 'Lifetime of a console sign-in, minutes' })
  sessionTtlMinutes!: number;
}

export class ConsoleSettingsResponseDto {
  @ApiProperty({ type: ConsoleSettingsDto }) settings!: ConsoleSettingsDto;
}
