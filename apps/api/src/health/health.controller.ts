import { Controller, Get, Inject, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators.js';
import { type ReadinessReport, HealthService } from './health.service.js';

@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up.' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: PostgreSQL, Redis (when configured) and the Solana RPC answer.',
  })
  @ApiOkResponse({
    schema: {
      example: {
        status: 'ok',
        checks: { database: { ok: true, latencyMs: 1 }, redis: { ok: true }, rpc: { ok: true } },
      },
    },
  })
  @ApiServiceUnavailableResponse({ description: 'One check failed; `checks` says which.' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    const report = await this.health.readiness();
    if (report.status !== 'ok') void reply.status(503);
    return report;
  }
}
