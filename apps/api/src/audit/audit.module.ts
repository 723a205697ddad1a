import { Global, Module } from '@nestjs/common';
import { EventRepository } from '@waiaas/database';
import { repositoryProvider } from '../infra/repository-provider.js';
import { AuditService } from './audit.service.js';

@Global()
@Module({
  providers: [repositoryProvider(EventRepository), AuditService],
  exports: [AuditService, EventRepository],
})
export class AuditModule {}
