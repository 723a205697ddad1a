import { Module } from '@nestjs/common';
import { OwnerRepository } from '@waiaas/database';
import { repositoryProvider } from '../infra/repository-provider.js';
import { OwnerController } from './owner.controller.js';
import { OwnerService } from './owner.service.js';

@Module({
  controllers: [OwnerController],
  providers: [OwnerService, repositoryProvider(OwnerRepository)],
})
export class OwnerModule {}
