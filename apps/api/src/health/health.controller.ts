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
  @ApiOperation({
    operationId: 'getLiveness',
    summary: 'Liveness: the process is up.',
    description:
      "For an orchestrator's liveness probe: answers while the process runs, whatever its dependencies.",
  })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Readiness: PostgreSQL, Redis (when configured) and the Solana RPC answer.',
    description:
      'For a load balancer: 503 (with the failing check) while a dependency does not answer or the server is shutting down.',
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
