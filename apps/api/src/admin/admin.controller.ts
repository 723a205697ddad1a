import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Operator } from '../auth/auth.decorators.js';
import { type AdminDbHealth, AdminService } from './admin.service.js';

@ApiTags('admin')
@Controller('v1/admin')
@Operator()
export class AdminController {
  constructor(@Inject(AdminService) private readonly admin: AdminService) {}

  @Get('db/health')
  @ApiOperation({
    operationId: 'getDatabaseHealth',
    summary:
      'Operator: PostgreSQL version, connections, size, top statements; cache hit rate; worker lag.',
    description:
      'For the operator: what to look at when the API is slow. Counts, sizes and lag come from PostgreSQL statistics, the cache counters and the transaction table; nothing here is about one owner.',
  })
  @ApiOkResponse({
    schema: {
      example: {
        postgres: {
          version: '15.8',
          databaseSizeBytes: '8421376',
          connections: { total: 12, active: 1, idle: 11, idleInTransaction: 0, max: 100 },
          topStatements: null,
        },
        redis: { backend: 'redis', ok: true, latencyMs: 0, hits: 980, misses: 20, hitRate: 0.98 },
        worker: {
          pending: 0,
          submitted: 2,
          oldestPendingAt: null,
          oldestSubmittedAt: '2026-11-22T03:00:00.000Z',
          lagSeconds: 3,
        },
      },
    },
  })
  dbHealth(): Promise<AdminDbHealth> {
    return this.admin.databaseHealth();
  }
}
